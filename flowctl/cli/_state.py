"""What the real-run commands share: the state file, the clock, the handlers, one `Runner`.

Opening the state is the first thing they do after parsing options: a state file that cannot
be used (locked, corrupt, from a newer flowctl) stops the command with exit 2 before anything
is read or written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flowctl.errors import UsageError
from flowctl.words import show

if TYPE_CHECKING:
    from datetime import datetime

    from flowctl.config.settings import Config
    from flowctl.runtime.runner import Runner
    from flowctl.store.base import RunStore
    from flowctl.store.postgres import PostgresStore

DEFAULT_STATE = Path(".flowctl") / "state.db"
STATE_HELP = (
    "The run store: a state file (default: .flowctl/state.db, or $FLOWCTL_STATE) or a "
    "postgresql:// URL ($FLOWCTL_STORE, [tool.flowctl.store] url)."
)


def state_path(option: str | None) -> Path:
    """`--state`, else $FLOWCTL_STATE, else `.flowctl/state.db` in the working directory."""
    return Path(option or os.environ.get("FLOWCTL_STATE") or DEFAULT_STATE)


def store_target(option: str | None, configured: str | None) -> str | Path:
    """Which store a command uses: a PostgreSQL URL, or the path of a state file.

    `--state`/`--store` (a path or a URL) wins, then $FLOWCTL_STORE (a URL), then
    $FLOWCTL_STATE (a path), then `[tool.flowctl.store] url`, then `.flowctl/state.db`.
    """
    from flowctl.store.postgres_url import is_url

    if option:
        return option if is_url(option) else Path(option)
    url = os.environ.get("FLOWCTL_STORE")
    if url:
        if not is_url(url):
            raise UsageError(f"$FLOWCTL_STORE must be a postgresql:// URL, not {show(url)}")
        return url
    if os.environ.get("FLOWCTL_STATE") or not configured:
        return state_path(None)
    return configured


def open_store(target: str | Path, *, create: bool = True) -> RunStore:
    """The store `target` names: a PostgreSQL store for a URL, else the SQLite file."""
    if isinstance(target, str):
        from flowctl.runtime.queue import Dispatch

        store = postgres_store().open(target)
        store.dispatcher = Dispatch()  # what a batch leaves due is queued with it
        return store
    from flowctl.store.sqlite import SqliteStore

    return SqliteStore.open(target, timeout=lock_timeout(), create=create)


LOCK_TIMEOUT = 10.0  # seconds a write waits for another process's, unless told otherwise


def lock_timeout() -> float:
    """$FLOWCTL_LOCK_TIMEOUT (seconds), else 10: how long a write waits for another process."""
    text = os.environ.get("FLOWCTL_LOCK_TIMEOUT")
    if text is None or not text.strip():
        return LOCK_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:  # nan fails both comparisons
        raise UsageError(
            f"FLOWCTL_LOCK_TIMEOUT={show(text)} is not a number of seconds from 0 to 86400"
        )
    return seconds


def postgres_store() -> type[PostgresStore]:
    """The PostgreSQL store class; a usage error when its extra is not installed."""
    try:
        from flowctl.store.postgres import PostgresStore
    except ImportError as exc:
        raise UsageError(
            f"a postgresql:// store needs flowctl's postgres extra ({exc.name} is missing): "
            "pip install 'flowctl[postgres]'"
        ) from None
    return PostgresStore


@contextmanager
def open_runner(
    state: str | None, now: datetime | None, config: Config | None = None, *, create: bool = True
) -> Iterator[Runner]:
    """The store, the handlers `config` names and the clock, closed again afterwards; without a
    `config`, the one found from here (its warnings on stderr)."""
    from flowctl.compose import project_config

    config = config or project_config()
    store = open_store(store_target(state, config.store_url), create=create)
    try:
        with runner_on(store, config, now) as runner:
            yield runner
    finally:
        store.close()


@contextmanager
def runner_on(store: RunStore, config: Config, now: datetime | None) -> Iterator[Runner]:
    """A `Runner` over `store` with the configured handlers (closed afterwards) and the
    clock: the wall clock, or `now` when given."""
    from flowctl.handlers.registry import HandlerRegistry
    from flowctl.handlers.routing import build_handlers
    from flowctl.runtime.clock import Clock, FixedClock
    from flowctl.runtime.runner import Runner
    from flowctl.store.workers import worker_id

    handlers = build_handlers(config, HandlerRegistry.from_entry_points(), os.environ)
    try:
        clock = Clock() if now is None else FixedClock(now)
        yield Runner(store, handlers, clock, worker_id())
    finally:
        handlers.close()
