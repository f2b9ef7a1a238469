"""Real runs: the driver of the engine core with the wall clock, a run store and handlers.

It enrols contacts, advances due runs, delivers events, and hands effects to handlers, always
committing an effect's intent before its handler sees it and its result after.
"""
