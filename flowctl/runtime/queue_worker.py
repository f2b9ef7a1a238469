"""`flowctl worker` on PostgreSQL: a procrastinate worker that runs flowctl's jobs.

Any number of these run at once, on any number of hosts. Each job runs in a thread of its
own with a `Runner` of that thread (its own connection, handlers and worker id). Every worker
sends procrastinate a heartbeat; the periodic sweep, which procrastinate defers once per period
across all workers, retries the jobs of workers whose heartbeat stopped (killed, frozen, cut
off) and re-defers work whose job was lost. SIGTERM or Ctrl-C: no new job is fetched, the
running ones finish, then the worker exits 0.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import procrastinate

from flowctl.runtime import queue
from flowctl.runtime.runner import Runner


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How one worker process runs."""

    url: str
    concurrency: int = 1
    queues: Sequence[str] | None = None  # None: every queue
    once: bool = False  # process what is due, then exit
    heartbeat: float = 10.0  # seconds between heartbeats
    stall_after: float = 30.0  # a worker silent this long is gone: its jobs are retried
    sweep_every: int = 10  # seconds between sweeps (a divisor of 60)


class Runners:
    """One `Runner` per thread, made on first use, all closed at the end."""

    def __init__(self, make: Callable[[], Runner], close: Callable[[Runner], None]) -> None:
        self._make, self._close = make, close
        self._local = threading.local()
        self._made: list[Runner] = []
        self._lock = threading.Lock()

    def get(self) -> Runner:
        runner: Runner | None = getattr(self._local, "runner", None)
        if runner is None:
            runner = self._local.runner = self._make()
            with self._lock:
                self._made.append(runner)
        return runner

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for runner in made:
            self._close(runner)


def build_app(settings: WorkerSettings, runners: Runners) -> procrastinate.App:
    """The procrastinate app of one worker process, with flowctl's tasks."""
    connector = procrastinate.PsycopgConnector(
        conninfo=settings.url, min_size=1, max_size=settings.concurrency + 3
    )
    app = procrastinate.App(connector=connector)
    # A job that fails (the database went away mid-job) is tried again, then left to the
    # sweep: the runs and effects it names stay due in the store whatever becomes of it.
    retry = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=1)

    @app.task(name=queue.ADVANCE, queue=queue.RUNS_QUEUE, retry=retry)
    def advance(runs: list[list[Any]]) -> int:
        return queue.advance_job(runners.get(), runs)

    @app.task(name=queue.DELIVER, retry=retry)
    def deliver(keys: list[str], channel: str) -> int:
        return queue.deliver_job(runners.get(), keys, channel)

    @app.periodic(cron=f"* * * * * */{settings.sweep_every}")
    @app.task(name=queue.SWEEP, queue=queue.RUNS_QUEUE, queueing_lock=queue.SWEEP)
    async def sweep(timestamp: int) -> int:
        stalled = await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.stall_after
        )
        for job in stalled:
            if job.task_name != queue.SWEEP:
                await app.job_manager.retry_job(job)
        return await asyncio.to_thread(queue.sweep_store, runners.get())

    del advance, deliver, sweep  # registered on the app
    return app


def run_worker(settings: WorkerSettings, runners: Runners) -> None:
    """Run one worker until it is stopped (SIGTERM, Ctrl-C) or, with `once`, until no job is
    due; the runners are closed afterwards."""
    app = build_app(settings, runners)
    try:
        app.run_worker(
            queues=list(settings.queues) if settings.queues else None,
            concurrency=settings.concurrency,
            wait=not settings.once,
            update_heartbeat_interval=settings.heartbeat,
            stalled_worker_timeout=settings.stall_after,
            delete_jobs="successful",
            install_signal_handlers=True,
        )
    finally:
        runners.close()
