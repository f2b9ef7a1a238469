"""Records for store tests, with every field meaningful, and worker ids whose liveness is known."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from flowctl.store.base import (
    EffectRecord,
    EventRecord,
    FlowRecord,
    RunRecord,
    RunStore,
)
from flowctl.store.workers import hostname

#: Builds a store: the same name gives a new connection to the same state, a new name a new,
#: empty state.
StoreFactory = Callable[..., RunStore]

T0 = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))
DIGEST = "3f" * 32
FLOW = "post-purchase"


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


def flow_record(digest: str = DIGEST, name: str = FLOW) -> FlowRecord:
    return FlowRecord(digest, name, f"flows/{name}.yaml", "version: 1\nname: x\n", T0)


def state_of(run_id: str, step: int = 0) -> dict[str, Any]:
    """A state shaped like the engine's: nested, with unicode, floats, nulls and lists."""
    return {
        "node": "wait_3d",
        "clock": "2026-11-20T10:00:00Z",
        "contact": {"id": run_id, "attributes": {"name": "Zoë ✓", "total": 120.5, "tags": []}},
        "status": "waiting",
        "step": step,
        "waiting": None,
        "seed": None,
        "error": None,
    }


def run_record(run_id: str, **changes: Any) -> RunRecord:
    """A waiting run of FLOW, waking an hour after T0, unless `changes` say otherwise."""
    run = RunRecord(
        id=run_id,
        flow=FLOW,
        digest=DIGEST,
        contact=f"contact-of-{run_id}",
        status="waiting",
        node="wait_3d",
        step=2,
        wake_at=T0 + minutes(60),
        awaiting=None,
        state=state_of(run_id),
        created_at=T0,
        updated_at=T0,
    )
    return replace(run, **changes)


def effect_record(run: str, step: int, **changes: Any) -> EffectRecord:
    effect = EffectRecord(
        key=f"{run}:send:{step}",
        run=run,
        flow=FLOW,
        contact=f"contact-of-{run}",
        node="send",
        step=step,
        at=T0 + minutes(step),
        channel="email",
        effect={"send": {"channel": "email", "template_id": "thanks_v2", "to": run}},
    )
    return replace(effect, **changes)


def event_record(
    event_id: str, contact: str = "c-1", at: datetime = T0, **changes: Any
) -> EventRecord:
    event = EventRecord(event_id, contact, "purchased", at, {"sku": "SH-1", "total": 9.5})
    return replace(event, **changes)


def seed(
    store: RunStore, runs: Sequence[RunRecord] = (), effects: Sequence[EffectRecord] = ()
) -> None:
    """The flow, then `runs` and `effects`, in one batch."""
    with store.batch() as batch:
        batch.add_flow(flow_record())
        batch.add_runs(runs)
        batch.add_effects(effects)


def live_worker(nonce: str) -> str:
    """A worker id of this very process: alive for as long as the test runs."""
    return f"{hostname()}:{os.getpid()}:{nonce}"


def dead_worker() -> str:
    """The id of a worker of this host whose process has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{hostname()}:{child.pid}:gone"


def remote_worker() -> str:
    """A worker of another machine: its liveness cannot be known here, only its lease."""
    return "elsewhere.example:1:far"


def lease(seconds: float) -> datetime:
    """A claim's end, `seconds` from the wall clock (negative: ended already)."""
    return datetime.now(UTC) + timedelta(seconds=seconds)
