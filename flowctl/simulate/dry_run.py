"""The dry-run driver: one contact through a prepared flow on a simulated clock.

It drives the engine core as a real run's worker does, only with the future known: the
contact's events are its whole history, later ones included, and the tick says the clock has
reached the end of time. So every wait ends as soon as it starts, by the first awaited event
after it began or at its deadline, decided from timestamps as a worker's many ticks would
decide it (`tests/engine` proves that cutting time into ticks changes nothing). No effect is
performed: the run's effects are only recorded in its steps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flowctl.engine.core import Tick, advance
from flowctl.engine.plan import PreparedFlow
from flowctl.engine.state import ACTIVE, RunState
from flowctl.engine.trace import Run
from flowctl.errors import InputError
from flowctl.language.contacts import Contact

#: The longest trace a dry run prints, in characters of JSON: a flow and contact that would
#: print more (a long attribute interpolated into thousands of messages) are refused. The
#: largest flow the loader takes (about 100,000 nodes) prints a trace of some 15 MB.
MAX_TRACE_CHARS = 64 * 1024 * 1024
#: The clock of a dry run once it has started: every wait is over.
END_OF_TIME = datetime.max.replace(tzinfo=UTC)
_new = tuple.__new__  # NamedTuples built per run, faster than their `__new__`
_TO_THE_END = Tick(END_OF_TIME)


def walk(flow: PreparedFlow, contact: Contact, now: datetime, seed: int | None = None) -> Run:
    """Run `contact` through `flow` from `start`, the clock starting at `now` (aware)."""
    begin = _new(RunState, (flow.start.id, now, contact, ACTIVE, 0, None, seed, None))
    transition = advance(flow, begin, _TO_THE_END)
    state = transition.state
    run = (flow.name, contact.id, state.status, transition.steps, state.clock, state.error, True)
    return _new(Run, run)


def trace_json(run: Run, indent: int | None = None) -> str:
    """The run's trace as JSON, one compact line (no newline) unless `indent` is given;
    `InputError` (exit 2) when it is longer than `MAX_TRACE_CHARS`, rather than printing it."""
    import json

    from flowctl.words import printable

    separators = None if indent else (",", ":")
    text = json.dumps(run.to_json(), ensure_ascii=False, indent=indent, separators=separators)
    if len(text) > MAX_TRACE_CHARS:
        raise InputError(
            f"the trace of contact '{printable(run.contact)}' would be {len(text):,} characters, "
            f"over the limit of {MAX_TRACE_CHARS:,}: its messages repeat long values "
            f"({len(run.steps):,} steps)"
        )
    return text
