"""The engine core: flows prepared into plans, and the pure transition function that moves runs.

`load_flow` validates and prepares a flow file; `advance(plan, state, tick)` moves one run from
where it stands until it ends or waits, returning its new state, its steps and the effects it
decided. Dry runs (`flowctl.simulate`) and real runs (`flowctl.runtime`) both drive it; nothing
here reads a clock, performs an effect or writes to the terminal.
"""

from __future__ import annotations

from flowctl.engine.core import Intent, Tick, Transition, advance, start
from flowctl.engine.plan import LoadedFlow, PreparedFlow, PreparedNode, load_flow, prepare_flow
from flowctl.engine.state import RunState, Waiting, state_from_json
from flowctl.engine.trace import Run, StepRecord, iso

__all__ = [
    "Intent",
    "LoadedFlow",
    "PreparedFlow",
    "PreparedNode",
    "Run",
    "RunState",
    "StepRecord",
    "Tick",
    "Transition",
    "Waiting",
    "advance",
    "iso",
    "load_flow",
    "prepare_flow",
    "start",
    "state_from_json",
]
