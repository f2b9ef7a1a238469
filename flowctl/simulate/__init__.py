"""Dry runs: the simulated-clock driver of the engine core, audiences and their tallies."""
