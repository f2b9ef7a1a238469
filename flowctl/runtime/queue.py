"""Real runs on PostgreSQL move through procrastinate's job queue (docs/scale.md).

Jobs name runs and effects; they never carry them. An `advance` job holds a batch of runs, each
with the version it was due at; a `deliver` job a batch of effect keys of one channel, on that
channel's queue (`deliver.email`, `deliver.http`, ...) so that a slow SMTP server never holds
up webhooks. `Dispatch` is the PostgreSQL store's dispatcher: it defers the jobs that a batch
leaves due in that batch's own transaction, so that a run's new state and the job that moves it
on commit together or not at all. A delay's wake time and a retry's next attempt become jobs
scheduled at that time (`scheduled_at`): timers are rows, not memory.

The job bodies (`advance_job`, `deliver_job`, `sweep_store`) reuse the `Runner`: the node
logic, the records and the effect keys are exactly those of a run on SQLite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate

from flowctl.runtime.runner import Runner
from flowctl.store.base import EffectRecord, RunRecord, RunStore
from flowctl.store.postgres import PostgresBatch, PostgresStore
from flowctl.store.postgres_batch import DueEffect

ADVANCE = "flowctl.advance"
DELIVER = "flowctl.deliver"
SWEEP = "flowctl.sweep"
RUNS_QUEUE = "runs"
DELIVER_PREFIX = "deliver."
#: Runs or effects per job: a job amortises its fetch and its transaction over many.
JOB_SIZE = 500
#: Runs or effects a sweep looks at per pass.
SWEEP_LIMIT = 5000


def deliver_queue(channel: str) -> str:
    """The queue of a channel's deliveries."""
    return f"{DELIVER_PREFIX}{channel}"


class Dispatch:
    """Defers, in a batch's transaction, the jobs for what the batch left due."""

    def __init__(self, job_size: int = JOB_SIZE) -> None:
        # Never opened: it only writes jobs on the connections it is handed.
        self._app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
        self.job_size = job_size

    def __call__(self, batch: PostgresBatch) -> None:
        changes = batch.changes
        wall = datetime.now(UTC)
        runs: dict[datetime | None, list[list[Any]]] = defaultdict(list)
        for due in changes.runs.values():
            runs[_when(due.at, wall)].append([due.id, due.version])
        for at, named in runs.items():
            self._defer(batch, ADVANCE, RUNS_QUEUE, at, [{"runs": c} for c in self._cut(named)])
        effects = dict(changes.effects)
        if changes.settled:  # what each of those runs delivers next may now be unblocked
            for record in batch.next_pending(changes.settled):
                effects.setdefault(
                    record.key, DueEffect(record.key, record.channel, record.next_attempt_at)
                )
        keys: dict[tuple[str, datetime | None], list[str]] = defaultdict(list)
        for effect in effects.values():
            keys[effect.channel, _when(effect.at, wall)].append(effect.key)
        for (channel, at), named_keys in keys.items():
            jobs = [{"keys": c, "channel": channel} for c in self._cut(named_keys)]
            self._defer(batch, DELIVER, deliver_queue(channel), at, jobs)

    def _cut(self, items: list[Any]) -> list[list[Any]]:
        return [
            items[start : start + self.job_size] for start in range(0, len(items), self.job_size)
        ]

    def _defer(
        self,
        batch: PostgresBatch,
        task: str,
        queue: str,
        at: datetime | None,
        jobs: list[dict[str, Any]],
    ) -> None:
        deferrer = self._app.configure_task(
            task, connection=batch.connection, queue=queue, scheduled_at=at
        )
        deferrer.batch_defer(*jobs)


def _when(at: datetime | None, wall: datetime) -> datetime | None:
    """When a job for something due at `at` is to run: at once (None) when that time has
    passed, so that everything overdue shares jobs, else `at` rounded up to the whole second:
    runs waking within one second share a job, which runs no earlier than any of them."""
    if at is None or at <= wall:
        return None
    whole = at.astimezone(UTC).replace(microsecond=0)
    return whole if at.microsecond == 0 else whole + timedelta(seconds=1)


def is_due(run: RunRecord, now: datetime) -> bool:
    """Whether `run` must advance at `now`: active, or waiting and its wake time has come."""
    if run.status == "active":
        return True
    return run.status == "waiting" and run.wake_at is not None and run.wake_at <= now


def advance_job(runner: Runner, runs: Sequence[Sequence[Any]]) -> int:
    """An `advance` job: the named runs still at their version and due now; how many moved."""
    store = _store(runner)
    now = runner.clock.now()
    named = [(str(run_id), int(version)) for run_id, version in runs]
    due = [run for run in store.runs_at(named) if is_due(run, now)]
    with store.expecting(runs=[(run.id, run.version) for run in due]):
        return runner.advance_records(due)


def deliver_job(runner: Runner, keys: Sequence[str], channel: str) -> int:
    """A `deliver` job: for each run of the named effects, its pending effects of `channel`
    that are due, in step order, up to one of another channel or not due yet (the job that
    delivers that one takes the run on). How many effects were handled."""
    store = _store(runner)
    now = runner.clock.now()
    chosen = leading(store.pending_effects_with(list(keys)), channel, now)
    with store.expecting(claims_of=runner.worker):
        return runner.deliver(chosen)


def leading(pending: Iterable[EffectRecord], channel: str, now: datetime) -> list[EffectRecord]:
    """Of pending effects in (run, step) order, each run's first ones that `channel` may
    deliver at `now`."""
    chosen: list[EffectRecord] = []
    stopped: set[str] = set()
    for effect in pending:
        if effect.run in stopped:
            continue
        due = effect.next_attempt_at is None or effect.next_attempt_at <= now
        if effect.channel != channel or not due:
            stopped.add(effect.run)
            continue
        chosen.append(effect)
    return chosen


def sweep_store(runner: Runner, limit: int = SWEEP_LIMIT) -> int:
    """Re-defer jobs for runs and effects that are due while no job is queued to move them:
    a job was lost (deleted by hand, or failed for good while the database was away). A
    duplicate is harmless: a job finds a run at another version, an effect claimed or done,
    and does nothing. How many runs and effects were re-deferred."""
    store = _store(runner)
    now = runner.clock.now()
    with store.batch() as batch:
        if _queued(batch):
            return 0
        for run in store.due_runs(now, limit):
            batch.changes.note_run(run)
        for effect in store.due_effects(now, limit, runner.worker):
            batch.changes.effects[effect.key] = DueEffect(effect.key, effect.channel, None)
        return len(batch.changes.runs) + len(batch.changes.effects)


def _queued(batch: PostgresBatch) -> bool:
    """Whether a flowctl job is waiting or running now (while one is, work is not lost yet)."""
    row = batch.connection.execute(
        "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
        "AND task_name = ANY(%s) AND (scheduled_at IS NULL OR scheduled_at <= now()))",
        ([ADVANCE, DELIVER],),
    ).fetchone()
    return bool(row and row[0])


def _store(runner: Runner) -> PostgresStore:
    store = runner.store
    assert isinstance(store, PostgresStore), "jobs run on the PostgreSQL store"
    return store


def queue_health(store: RunStore, stall_after: float) -> dict[str, Any]:
    """The queue as a supervisor sees it: workers with a recent heartbeat, flowctl's jobs per
    queue and status, and runs per status."""
    assert isinstance(store, PostgresStore), "the queue lives in a PostgreSQL store"
    conn = store.connection
    workers = conn.execute(
        "SELECT count(*) FROM procrastinate_workers "
        "WHERE last_heartbeat >= now() - make_interval(secs => %s)",
        (stall_after,),
    ).fetchone()
    jobs: dict[str, dict[str, int]] = defaultdict(dict)
    for queue_name, status, count in conn.execute(
        "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
        "GROUP BY queue_name, status ORDER BY queue_name, status"
    ):
        jobs[queue_name][status] = int(count)
    due = conn.execute(
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' AND "
        "(scheduled_at IS NULL OR scheduled_at <= now())"
    ).fetchone()
    return {
        "store": store.where,
        "workers": int(workers[0]) if workers else 0,
        "jobs_due": int(due[0]) if due else 0,
        "queues": dict(jobs),
        "runs": store.counts(),
    }
