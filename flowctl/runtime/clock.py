"""The clock of real runs: the wall clock, or a fixed one (`--now`, `--at`) for tests and replays.

Nothing in a real run sleeps: a continuous worker waits on `Clock.wait`, which a stop request
(Ctrl-C, SIGTERM) interrupts at once, and which a fixed clock never waits on at all.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class Clock:
    """The wall clock, to the microsecond, in UTC."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True when a stop was requested meanwhile."""
        return self.stop.wait(max(seconds, 0.0))


class FixedClock(Clock):
    """A clock stopped at one moment: `--now`. Waiting on it returns at once."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at

    def wait(self, seconds: float) -> bool:
        return True
