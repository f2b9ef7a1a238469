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

DEFAULT_STATE = Path(".flowctl") / "state.db"
STATE_HELP = "The state file of real runs (default: .flowctl/state.db, or $FLOWCTL_STATE)."


def state_path(option: str | None) -> Path:
    """`--state`, else $FLOWCTL_STATE, else `.flowctl/state.db` in the working directory."""
    return Path(option or os.environ.get("FLOWCTL_STATE") or DEFAULT_STATE)


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


@contextmanager
def open_runner(
    state: str | None, now: datetime | None, config: Config | None = None, *, create: bool = True
) -> Iterator[Runner]:
    """The store, the handlers `config` names and the clock, closed again afterwards; without a
    `config`, the one found from here (its warnings on stderr)."""
    from flowctl.compose import project_config
    from flowctl.handlers.registry import HandlerRegistry
    from flowctl.handlers.routing import build_handlers
    from flowctl.runtime.clock import Clock, FixedClock
    from flowctl.runtime.runner import Runner
    from flowctl.store.sqlite import SqliteStore
    from flowctl.store.workers import worker_id

    config = config or project_config()
    store = SqliteStore.open(state_path(state), timeout=lock_timeout(), create=create)
    try:
        handlers = build_handlers(config, HandlerRegistry.from_entry_points(), os.environ)
        try:
            clock = Clock() if now is None else FixedClock(now)
            yield Runner(store, handlers, clock, worker_id())
        finally:
            handlers.close()
    finally:
        store.close()
