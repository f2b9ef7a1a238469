"""The run engine: prepare a validated flow, walk contacts through it, trace and tally the runs.

`load_flow` validates and prepares a flow file; `walk` runs one contact on a simulated clock and
returns a `Run` (its trace); `read_contacts`, `dry_run_audience` and `Tally` stream an audience.
Nothing here performs effects or writes to the terminal: runs are data, the CLI renders them.
"""

from __future__ import annotations

from flowctl.engine.plan import LoadedFlow, PreparedFlow, PreparedNode, load_flow, prepare_flow
from flowctl.engine.trace import Run, StepRecord, iso
from flowctl.simulate.audience import Malformed, Tally, dry_run_audience, read_contacts
from flowctl.simulate.dry_run import walk

__all__ = [
    "LoadedFlow",
    "Malformed",
    "PreparedFlow",
    "PreparedNode",
    "Run",
    "StepRecord",
    "Tally",
    "dry_run_audience",
    "iso",
    "load_flow",
    "prepare_flow",
    "read_contacts",
    "walk",
]
