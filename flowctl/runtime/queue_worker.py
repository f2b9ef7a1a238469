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
import contextlib
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
import procrastinate.exceptions
import procrastinate.jobs
import procrastinate.manager
import procrastinate.worker
import psycopg

from flowctl.runtime import queue
from flowctl.runtime.runner import Runner
from flowctl.store.base import StoreError, StoreUnavailable
from flowctl.store.postgres_db import first_line


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
    """One `Runner` per thread, made on first use, all closed at the end. A runner whose
    connection broke (the database restarted, a network cut, a terminated backend) is closed
    and made again on its thread's next job: the failed job is retried and then succeeds."""

    def __init__(self, make: Callable[[], Runner], close: Callable[[Runner], None]) -> None:
        self._make, self._close = make, close
        self._local = threading.local()
        self._made: list[Runner] = []
        self._lock = threading.Lock()

    def get(self) -> Runner:
        runner: Runner | None = getattr(self._local, "runner", None)
        if runner is not None and not getattr(runner.store, "usable", True):
            with self._lock:
                self._made.remove(runner)
            with contextlib.suppress(Exception):  # it is broken: closing may fail too
                self._close(runner)
            runner = None
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


class _PatientJobManager(procrastinate.manager.JobManager):
    """procrastinate's job manager, except that writing a job's outcome waits out a lost
    connection (a cut, a restart) instead of giving up at once: a job whose outcome is lost
    stays `doing` under a worker that lives on, and nothing would ever retry it."""

    async def finish_job(
        self, job: procrastinate.jobs.Job, status: procrastinate.jobs.Status, delete_job: bool
    ) -> None:
        finish = super().finish_job
        await _patiently(lambda: finish(job=job, status=status, delete_job=delete_job))

    async def retry_job(
        self,
        job: procrastinate.jobs.Job,
        retry_at: datetime | None = None,
        priority: int | None = None,
        queue: str | None = None,
        lock: str | None = None,
    ) -> None:
        again = super().retry_job
        await _patiently(
            lambda: again(job=job, retry_at=retry_at, priority=priority, queue=queue, lock=lock)
        )


#: Seconds between tries to write a job's outcome while the connection is lost: a minute.
OUTCOME_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


async def _patiently(write: Callable[[], Awaitable[None]]) -> None:
    for pause in OUTCOME_PAUSES:
        try:
            await write()
        except procrastinate.exceptions.ConnectorException as exc:
            if not isinstance(exc.__cause__, psycopg.OperationalError):
                raise  # not the connection: the job is gone, say (its outcome was written)
        else:
            return
        await asyncio.sleep(pause)
    await write()


def build_app(settings: WorkerSettings, runners: Runners) -> procrastinate.App:
    """The procrastinate app of one worker process, with flowctl's tasks."""
    connector = procrastinate.PsycopgConnector(
        conninfo=settings.url, min_size=1, max_size=settings.concurrency + 3
    )
    app = procrastinate.App(connector=connector)
    app.job_manager = _PatientJobManager(connector)
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


def run_worker(
    settings: WorkerSettings,
    runners: Runners,
    say: Callable[[str], None] = lambda _: None,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Run one worker until it is stopped (SIGTERM, Ctrl-C) or, with `once`, until no job is
    due; the runners are closed afterwards.

    `check` opens the store once and closes it: a store that cannot be used (no tables, a
    newer schema) stops the worker before it starts. One whose server does not answer
    (`StoreUnavailable`: the worker started before the database, or while it restarts) is
    tried again after a pause, unless `once`.

    procrastinate stops a worker whose listener, heartbeat or periodic deferrer lost the
    database. Unless a stop was asked for, a new worker is started in its place after a pause:
    a database restart or a network cut costs the wait, not the process. Pauses double up to
    `MAX_PAUSE`; `MAX_FAILED_STARTS` tries in a row that fail give up: StoreError (exit 2).
    """
    app = build_app(settings, runners)
    try:
        asyncio.run(_supervise(app, settings, say, check))
    finally:
        runners.close()


#: Pauses before starting a worker again after it lost the database: doubling up to this.
MAX_PAUSE = 30.0
#: Workers in a row that stop within `STEADY` seconds of their start: then give up.
MAX_FAILED_STARTS = 20
STEADY = 60.0


class _Backoff:
    """The pauses between tries to reach the database, and when to give up."""

    def __init__(self, what: str) -> None:
        self.what = what  # "lost the database": the words of the message that gives up
        self.failures = 0
        self.pause = 0.5

    def failed(self, steady: bool = False) -> float:
        """The pause before the next try; StoreError once too many tries failed in a row."""
        if steady:  # it had worked for a while: a new outage, counted from one
            self.failures, self.pause = 0, 0.5
        self.failures += 1
        if self.failures >= MAX_FAILED_STARTS:
            raise StoreError(f"the worker {self.what} {self.failures} times in a row; giving up")
        pause, self.pause = self.pause, min(self.pause * 2, MAX_PAUSE)
        return pause


#: What a job's task fails with when the database went away under it.
_LOST = (procrastinate.exceptions.ConnectorException, psycopg.Error)

#: What opening the store or procrastinate's pool raises when the server does not answer.
_UNREACHABLE = (
    StoreUnavailable,
    procrastinate.exceptions.ConnectorException,
    psycopg.OperationalError,  # psycopg_pool's PoolTimeout among them
)


async def _supervise(
    app: procrastinate.App,
    settings: WorkerSettings,
    say: Callable[[str], None],
    check: Callable[[], None],
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    current: list[procrastinate.worker.Worker] = []

    def request_stop() -> None:
        stop.set()
        for worker in current:
            worker.stop()  # type: ignore[no-untyped-call]  # procrastinate leaves it untyped

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)
    reach = _Backoff("could not reach the database")
    while True:
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(check)
            await app.open_async()
            break
        except _UNREACHABLE as exc:
            with contextlib.suppress(Exception):  # a pool that failed to open, if any
                await app.close_async()
            if settings.once:
                if isinstance(exc, StoreError):
                    raise
                raise StoreUnavailable(f"cannot reach the store: {_reason(exc)}") from exc
            seconds = reach.failed()
            reason = str(exc) if isinstance(exc, StoreError) else _reason(exc)
            say(f"{reason}; trying again in {seconds:g} s")
            await _pause(stop, seconds)
    try:
        await _work(app, settings, stop, current, say)
    finally:
        await app.close_async()


async def _work(
    app: procrastinate.App,
    settings: WorkerSettings,
    stop: asyncio.Event,
    current: list[procrastinate.worker.Worker],
    say: Callable[[str], None],
) -> None:
    """Run procrastinate workers one after the other until a stop, each started again after
    it lost the database.

    A job whose outcome procrastinate could not write (the connection went while it ran) is
    left `doing` under a worker that lives on, and nothing would ever retry it. Such a task's
    error reaches the loop's exception handler: the worker is then started again, and the
    job, whose worker is gone, is retried by the next sweep as a stalled one."""
    loop = asyncio.get_running_loop()
    backoff = _Backoff("lost the database")
    lost: list[BaseException] = []

    def on_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if not isinstance(error, _LOST):
            loop.default_exception_handler(context)
            return
        say(f"a job lost the database before its outcome was written: {_reason(error)}")
        if not stop.is_set() and not lost:
            lost.append(error)
            for worker in current:
                worker.stop()  # type: ignore[no-untyped-call]

    loop.set_exception_handler(on_unretrieved)
    while not stop.is_set():
        lost.clear()
        worker = procrastinate.worker.Worker(
            app=app,
            queues=list(settings.queues) if settings.queues else None,
            concurrency=settings.concurrency,
            wait=not settings.once,
            update_heartbeat_interval=settings.heartbeat,
            stalled_worker_timeout=settings.stall_after,
            delete_jobs="successful",
            install_signal_handlers=False,
        )
        current[:] = [worker]
        started = loop.time()
        error: BaseException | None = None
        try:
            await worker.run()  # type: ignore[no-untyped-call]
        except _LOST as exc:
            error = exc
        if stop.is_set() or (settings.once and error is None and not lost):
            return
        seconds = backoff.failed(steady=loop.time() - started > STEADY)
        say(f"lost the database; starting again in {seconds:g} s")
        await _pause(stop, seconds)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when a stop is asked for meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _reason(error: BaseException) -> str:
    """An error in one line: procrastinate's ConnectorException says only "Database error",
    the psycopg error it wraps says what happened."""
    return first_line(error.__cause__ if error.__cause__ is not None else error)
