"""One of two processes racing on one SQLite state (test_sqlite.py starts two).

`python racer.py STATE RUN,RUN,... FORWARD|BACKWARD` prints "ready", waits for a line on
stdin, then advances the runs from whatever version it reads and claims and delivers what
effects it can get, a few per transaction, until no effect of those runs is pending. It
prints what it won as JSON: {"claimed": [keys], "wins": [[run, version it updated from]...]}.

The two racers take the due effects from opposite ends, and pause a moment after each
transaction: SQLite's busy handler sleeps while it waits, and a writer that never lets go
would otherwise do all the work alone.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flowctl.store.sqlite import SqliteStore
from flowctl.store.workers import worker_id

FAR = datetime(2100, 1, 1, tzinfo=UTC)


def pause() -> None:
    time.sleep(0.002)


def race(store: SqliteStore, runs: list[str], backward: bool) -> dict[str, list[object]]:
    worker = worker_id()
    claimed: list[object] = []
    wins: list[object] = []
    while pending(store, runs):
        for start in range(0, len(runs), 5):
            current = [store.run(run_id) for run_id in runs[start : start + 5]]
            with store.batch() as batch:
                for run in current:
                    assert run is not None
                    if batch.update_run(replace(run, state={"by": worker})) is not None:
                        wins.append([run.id, run.version])
            pause()
        due = [effect.key for effect in store.due_effects(FAR, 20, worker)]
        for start in range(0, len(due), 4):
            until = datetime.now(UTC) + timedelta(minutes=5)
            with store.batch() as batch:
                chunk = due[::-1][start : start + 4] if backward else due[start : start + 4]
                mine = batch.claim_effects(chunk, worker, until)
            pause()
            with store.batch() as batch:
                for effect in mine:
                    assert batch.update_effect(replace(effect, status="delivered"), worker)
            claimed.extend(effect.key for effect in mine)
        if not due:  # the other racer holds what is left
            pause()
    return {"claimed": claimed, "wins": wins}


def pending(store: SqliteStore, runs: list[str]) -> bool:
    return any(e.status == "pending" for run in runs for e in store.effects_of(run))


if __name__ == "__main__":
    opened = SqliteStore.open(Path(sys.argv[1]), timeout=30)
    run_ids = sys.argv[2].split(",")
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(race(opened, run_ids, sys.argv[3] == "BACKWARD")), flush=True)
    opened.close()
