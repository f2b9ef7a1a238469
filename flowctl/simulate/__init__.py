"""Dry runs: the simulated-clock driver of the engine core, audiences and their tallies.

`walk` runs one contact on a simulated clock and returns its `Run` (the trace);
`read_contacts`, `dry_run_audience` and `Tally` stream an audience in constant memory.
"""

from __future__ import annotations

from flowctl.simulate.audience import Malformed, Tally, dry_run_audience, read_contacts
from flowctl.simulate.dry_run import walk

__all__ = ["Malformed", "Tally", "dry_run_audience", "read_contacts", "walk"]
