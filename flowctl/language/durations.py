"""Durations (`90m`, `3d`, `P3D`) and times of day (`09:30`): their schemas and their parsers.

The JSON Schema patterns and the Python parsers are built from the same regular expressions, so
an editor, the schema validator and a run can never disagree about what is a duration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.words import show

# Every number has at most six digits: 999999 weeks is still far inside `timedelta`'s range, so a
# string the pattern accepts always parses (no overflow surprise at run time).
_NUM = "[0-9]{1,6}"
# `$` alone also matches before a final newline in Python (jsonschema uses `re.search`), and only
# at the very end in ECMA-262; `$(?!\n)` means "end of text" in both.
_END = r"$(?!\n)"
_COMPACT = f"({_NUM})([smhdw])"
# ISO 8601 without years and months (their length depends on the calendar); the lookaheads demand
# at least one component after `P` and after `T`.
_ISO = (
    f"P(?=[0-9]|T[0-9])(?:({_NUM})W)?(?:({_NUM})D)?"
    f"(?:T(?=[0-9])(?:({_NUM})H)?(?:({_NUM})M)?(?:({_NUM})S)?)?"
)
DURATION_PATTERN = f"^(?:{_COMPACT}|{_ISO}){_END}"
TIME_OF_DAY_PATTERN = f"^([01]?[0-9]|2[0-3]):([0-5][0-9]){_END}"

_DURATION_RE = re.compile(DURATION_PATTERN)
_TIME_RE = re.compile(TIME_OF_DAY_PATTERN)

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The ISO groups in pattern order, as compact units.
_ISO_UNITS = ("w", "d", "h", "m", "s")

DURATION_EXPECTED = (
    "a duration is a whole number and a unit s, m, h, d or w (90m, 3d, 2w), or an ISO 8601 "
    "duration such as P3D, PT90M or P1DT12H; years and months are not allowed (their length "
    "depends on the calendar), seconds are whole, and each number has at most 6 digits"
)
TIME_OF_DAY_EXPECTED = "a time of day is 24-hour H:MM or HH:MM, from 0:00 to 23:59 (09:30, 18:00)"

DURATION_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": DURATION_PATTERN,
    "description": (
        "A duration: a whole number and a unit s, m, h, d or w (`90m`, `3d`), or an ISO 8601 "
        "duration without years or months (`P3D`, `PT90M`)."
    ),
    "examples": ["90m", "3d", "P3D", "PT90M"],
    "errorMessage": "must be a duration such as 90m, 3d, 2w, P3D or PT90M",
    "x-flowctl-hint": DURATION_EXPECTED,
    "x-flowctl-rule": "invalid-duration",
}

TIME_OF_DAY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": TIME_OF_DAY_PATTERN,
    "description": "A time of day, 24-hour `HH:MM` (`09:30`, `18:00`).",
    "examples": ["09:30", "18:00"],
    "errorMessage": "must be a 24-hour time of day H:MM or HH:MM, such as 09:30 or 18:00",
    "x-flowctl-hint": f"{TIME_OF_DAY_EXPECTED}; quote it, as YAML reads an unquoted 12:30 as 750",
    "x-flowctl-rule": "invalid-duration",
}


def parse_duration(text: str) -> timedelta:
    """The `timedelta` a duration string stands for; `ValueError` when it is not one."""
    match = _DURATION_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{show(text)} is not a duration: {DURATION_EXPECTED}")
    number, unit, *iso = match.groups()
    if unit is not None:
        return timedelta(seconds=int(number) * _UNIT_SECONDS[unit])
    seconds = sum(
        int(value) * _UNIT_SECONDS[unit]
        for value, unit in zip(iso, _ISO_UNITS, strict=True)
        if value is not None
    )
    return timedelta(seconds=seconds)


def parse_time_of_day(text: str) -> time:
    """The `time` an `H:MM`/`HH:MM` string stands for; `ValueError` when it is not one."""
    match = _TIME_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{show(text)} is not a time of day: {TIME_OF_DAY_EXPECTED}")
    return time(int(match[1]), int(match[2]))


def format_duration(delta: timedelta) -> str:
    """Compact text for traces: `3d`, `1h30m`, `2d4h`; `0s` for nothing.

    Uses days, hours, minutes and seconds (14 days reads `14d`, not `2w`); fractions of a second
    are dropped, since flows only express whole seconds. This is display text: a value with
    several parts (`1h30m`) is not itself a valid duration string.
    """
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    remaining = abs(total)
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, remaining = divmod(remaining, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0s")


def check_duration(value: Any, path: Path) -> Iterator[Finding]:
    """An `invalid-duration` finding at `path` unless `value` is a duration string."""
    if not (isinstance(value, str) and _DURATION_RE.match(value)):
        yield Finding(
            "invalid-duration", f"{show(value)} is not a duration: {DURATION_EXPECTED}", path
        )


def check_time_of_day(value: Any, path: Path) -> Iterator[Finding]:
    """An `invalid-duration` finding at `path` unless `value` is an `HH:MM` string."""
    if not (isinstance(value, str) and _TIME_RE.match(value)):
        yield Finding(
            "invalid-duration", f"{show(value)} is not a time of day: {TIME_OF_DAY_EXPECTED}", path
        )
