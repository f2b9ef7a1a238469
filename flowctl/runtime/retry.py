"""Back-off for failed deliveries: exponential, capped, with jitter, and `Retry-After` first.

The jitter is drawn from the effect's key and attempt, not from a random source: every process
computes the same next attempt for the same failure, and tests can predict it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flowctl.language.durations import parse_duration
from flowctl.nodes.base import RETRY_DEFAULTS

_ONE_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A node's `retry`: attempts in all, the first back-off, and the cap."""

    max_attempts: int
    backoff: timedelta
    max_backoff: timedelta

    @classmethod
    def of(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        """The policy a node's `retry` table asks for, defaults filling what it leaves out."""
        merged = {**RETRY_DEFAULTS, **(config or {})}
        return cls(
            int(merged["max_attempts"]),
            parse_duration(merged["backoff"]),
            parse_duration(merged["max_backoff"]),
        )

    def next_attempt(
        self, key: str, attempt: int, now: datetime, retry_after: float | None = None
    ) -> datetime | None:
        """When attempt `attempt + 1` may start, after attempt `attempt` failed at `now`;
        None when the attempts are used up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None and retry_after >= 0:  # the receiver knows best, within a day
            return now + timedelta(seconds=min(retry_after, _ONE_DAY))
        ceiling = min(self.backoff * (1 << min(max(attempt - 1, 0), 40)), self.max_backoff)
        return now + ceiling * (0.5 + 0.5 * _fraction(f"{key}:{attempt}"))


def _fraction(text: str) -> float:
    """A number in [0, 1) fixed by `text`."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
