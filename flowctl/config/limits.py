"""A channel's limits: how fast its handler may be called, and when a failing one pauses.

Four optional keys of a `[tool.flowctl.channels.NAME]` table, for any handler, the outbox too:

    rate = "600/min"          # at most this many deliveries per period, across all workers
    burst = 10                # deliveries that may go at once (default: one second's worth)
    error_budget = "20/5m"    # more transient failures than this in the period: pause
    pause = "10m"             # how long a pause lasts (default: the budget's period)

A rate or a budget is `COUNT/PERIOD`: the period is `s`, `sec`, `second`, `min`, `minute`,
`h`, `hour`, `d` or `day`, or a duration such as `10m` or `PT5M`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flowctl.config.options import Options
from flowctl.language.durations import parse_duration
from flowctl.words import show

#: The keys this module reads out of a channel table, with what each means (for the docs).
LIMIT_OPTIONS = {
    "rate": 'at most this many deliveries per period, across all workers: "600/min"',
    "burst": "how many deliveries may go at once (default: one second's worth of `rate`, at "
    "least 1)",
    "error_budget": 'more transient failures than this per period pause the channel: "20/5m"',
    "pause": "how long a pause lasts (default: the error budget's period)",
}

_WORDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_PER = re.compile(r"^\s*([0-9]{1,9})\s*/\s*([A-Za-z0-9]+)\s*$")
_PER_EXPECTED = 'COUNT/PERIOD such as "600/min", "10/s", "5000/hour" or "50/10m"'


@dataclass(frozen=True, slots=True)
class Per:
    """`count` per `period`."""

    count: int
    period: timedelta

    @property
    def per_second(self) -> float:
        return self.count / self.period.total_seconds()


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """A channel's limits: `rate` and `error_budget` are None when not set; `burst` and
    `pause` then keep their defaults, unused."""

    rate: Per | None = None
    burst: float = 1.0
    error_budget: Per | None = None
    pause: timedelta = timedelta(0)


def read_limits(options: Options) -> tuple[ChannelLimits | None, Options]:
    """The limits in a channel's options, and the options left for its handler."""
    if not any(key in options for key in LIMIT_OPTIONS):
        return None, options
    rate = _per(options, "rate")
    budget = _per(options, "error_budget")
    if "burst" in options and rate is None:
        raise options.fail("burst", "needs `rate`: it is the size of the rate's bucket")
    if "pause" in options and budget is None:
        raise options.fail("pause", "needs `error_budget`: it is how long a spent budget pauses")
    burst = float(max(1, round(rate.per_second))) if rate is not None else 1.0
    if "burst" in options:
        burst = float(options.integer("burst", 1, 1, 1_000_000))
    pause = budget.period if budget is not None else timedelta(0)
    if "pause" in options:
        pause = timedelta(seconds=options.seconds("pause", pause.total_seconds()))
    rest = Options({k: v for k, v in options.items() if k not in LIMIT_OPTIONS}, options.where)
    return ChannelLimits(rate, burst, budget, pause), rest


def _per(options: Options, key: str) -> Per | None:
    value: Any = options.get(key)
    if value is None:
        return None
    match = _PER.match(value) if isinstance(value, str) else None
    if match is None:
        raise options.fail(key, f"must be {_PER_EXPECTED}, not {show(value)}")
    count, unit = int(match[1]), match[2]
    seconds = _WORDS.get(unit.lower())
    if seconds is None:
        try:
            seconds = int(parse_duration(unit).total_seconds())
        except ValueError:
            raise options.fail(
                key, f"unknown period {show(unit)}; {_PER_EXPECTED}, not {show(value)}"
            ) from None
    if count < 1 or seconds < 1:
        raise options.fail(key, f"must allow at least 1 per period of at least 1s, not {value!r}")
    return Per(count, timedelta(seconds=seconds))
