"""`flowctl worker`: advance the runs whose time has come and deliver due effects."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import typer

from flowctl.cli._errors import error_handler
from flowctl.cli._options import parse_time
from flowctl.cli._state import STATE_HELP, open_runner
from flowctl.errors import UsageError

#: The longest a continuous worker idles before it looks again (events recorded by another
#: process, runs enrolled meanwhile): a bound, not a schedule; due times are rows in the store.
IDLE_SECONDS = 5.0
MIN_IDLE_SECONDS = 0.2


def worker(
    state: str | None = typer.Option(None, "--state", "--store", metavar="DB|URL", help=STATE_HELP),
    once: bool = typer.Option(
        False, "--once", help="Process everything due at or before the clock, then exit."
    ),
    now: str | None = typer.Option(
        None, "--now", metavar="ISO-TIME", help="The clock (default: the wall clock)."
    ),
    concurrency: int = typer.Option(
        1, "--concurrency", metavar="N", help="PostgreSQL: jobs this process runs at once."
    ),
    queues: list[str] = typer.Option(
        [], "--queues", metavar="QUEUE", help="PostgreSQL: only these queues (repeatable)."
    ),
    stall_timeout: float = typer.Option(
        30.0,
        "--stall-timeout",
        metavar="SECONDS",
        help="PostgreSQL: a worker silent this long is gone; its jobs are retried.",
    ),
    health: bool = typer.Option(
        False, "--health", help="PostgreSQL: print the queue's state as JSON and exit."
    ),
) -> None:
    """Advance due runs and re-deliver effects whose retry is due; keep going unless --once.

    With --once (or --now), exit 1 when a run failed meanwhile; a continuous worker says so
    and goes on."""
    with error_handler():
        clock_at = parse_time(now, "--now")
        # On PostgreSQL the queue's jobs move runs at their wall-clock times; a replay on a
        # clock of its own (--now) goes by the store's due times instead, as on SQLite.
        target = _postgres_target(state) if clock_at is None else None
        if target is not None:
            from flowctl.cli import worker_queue

            if health:
                worker_queue.health(target, stall_timeout)
                return
            worker_queue.queue_worker(
                target,
                clock_at,
                concurrency=concurrency,
                queues=[name for given in queues for name in given.split(",") if name],
                once=once,
                stall_after=stall_timeout,
            )
            return
        if health or queues or concurrency != 1:
            raise UsageError(
                "--concurrency, --queues and --health need a PostgreSQL store, without --now"
            )
        with open_runner(state, clock_at) as runner:
            if once or clock_at is not None:
                advanced, handled = runner.run_due()
                _report(advanced, handled, len(runner.failed))
                if runner.failed:
                    raise typer.Exit(1)
                return
            _stop_on_signals(runner.clock.stop.set)
            while not runner.clock.stop.is_set():
                advanced, handled = runner.run_due()
                if advanced or handled:
                    _report(advanced, handled, len(runner.failed))
                runner.failed.clear()
                wake = runner.store.next_wake()
                seconds = IDLE_SECONDS
                if wake is not None:
                    seconds = min(IDLE_SECONDS, (wake - runner.clock.now()).total_seconds())
                # A wake time already past (an effect another worker holds, or one behind a
                # held one) must not spin the loop: look again after a short pause.
                seconds = max(seconds, MIN_IDLE_SECONDS)
                runner.clock.wait(seconds)


def _postgres_target(state: str | None) -> str | None:
    """The store's URL when it is a PostgreSQL one."""
    from flowctl.cli._state import store_target
    from flowctl.compose import project_config

    target = store_target(state, project_config().store_url)
    return target if isinstance(target, str) else None


def _report(advanced: int, handled: int, failed: int) -> None:
    from flowctl.reporters import plural

    failures = ""
    if failed:
        failures = f"; {plural(failed, 'run')} failed (flowctl runs list --status failed)"
    sys.stderr.write(
        f"flowctl: worker: advanced {plural(advanced, 'run')}, "
        f"handled {plural(handled, 'effect')}{failures}\n"
    )


def _stop_on_signals(stop: object) -> None:
    """Ctrl-C and SIGTERM finish the current step, then the worker exits 0."""

    def handle(signum: int, frame: FrameType | None) -> None:
        assert callable(stop)
        stop()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
