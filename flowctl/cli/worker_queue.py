"""`flowctl worker` on a PostgreSQL store: a procrastinate worker (docs/scale.md), and
`--health`, the queue's state for a process supervisor or a probe."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from contextlib import ExitStack, closing
from datetime import datetime
from typing import TYPE_CHECKING

from flowctl.cli._state import open_store, runner_on
from flowctl.compose import project_config
from flowctl.errors import UsageError

if TYPE_CHECKING:
    from flowctl.runtime.runner import Runner

#: Seconds between heartbeats, as a share of the stall timeout: several beats may be missed
#: (a long pause of the process, a slow database) before the worker counts as gone.
BEATS_PER_STALL = 3


def queue_worker(
    url: str,
    now: datetime | None,
    *,
    concurrency: int,
    queues: Sequence[str],
    once: bool,
    stall_after: float,
) -> None:
    """Run a worker on the store at `url` until it is stopped (or, `once`, nothing is due)."""
    from flowctl.runtime.queue_worker import Runners, WorkerSettings, run_worker

    if concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, not {concurrency}")
    if stall_after < 1:
        raise UsageError(f"--stall-timeout must be at least 1 second, not {stall_after:g}")
    config = project_config()
    stacks: dict[int, ExitStack] = {}

    def make() -> Runner:
        with ExitStack() as stack:
            store = stack.enter_context(closing(open_store(url)))
            runner = stack.enter_context(runner_on(store, config, now))
            stacks[id(runner)] = stack.pop_all()
        return runner

    def close(runner: Runner) -> None:
        stacks.pop(id(runner)).close()

    heartbeat = max(stall_after / BEATS_PER_STALL, 0.5)
    settings = WorkerSettings(
        url,
        concurrency=concurrency,
        queues=tuple(queues) or None,
        once=once,
        heartbeat=heartbeat,
        stall_after=stall_after,
        sweep_every=max(1, min(10, int(heartbeat))),
    )
    _log_warnings_to_stderr()
    shown = ", ".join(queues) if queues else "every queue"

    def check() -> None:  # an unusable store stops the worker before it starts
        store = open_store(url)
        where = getattr(store, "where", url)
        store.close()
        _say(f"started on {where} ({shown}, concurrency {concurrency})")

    run_worker(settings, Runners(make, close), _say, check)
    sys.stderr.write("flowctl: worker: stopped\n")


def health(url: str, stall_after: float) -> None:
    """Print the queue's state as one JSON object: live workers, jobs per queue and status,
    runs per status. Exit 0 when the store answers (a probe's "alive")."""
    from flowctl.runtime.queue import queue_health

    store = open_store(url)
    try:
        report = queue_health(store, stall_after)
    finally:
        store.close()
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")


def _say(message: str) -> None:
    sys.stderr.write(f"flowctl: worker: {message}\n")
    sys.stderr.flush()


class _OneLine(logging.Handler):
    """procrastinate's warnings and errors as one line each on stderr, never a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"flowctl: worker: {record.levelname.lower()}: {record.getMessage()}\n")


def _log_warnings_to_stderr() -> None:
    # asyncio reports a failed job task of procrastinate's, psycopg a pool that cannot connect.
    for name in ("procrastinate", "asyncio", "psycopg"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        if not any(isinstance(handler, _OneLine) for handler in logger.handlers):
            logger.addHandler(_OneLine())
