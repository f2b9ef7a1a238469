"""Option values the commands share: times (`--now`, `--at`) and attribute overrides (`--set`).

A bad value is a usage error (exit 2) that names its flag, raised here: the stages below the
command line never word a flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flowctl.errors import UsageError
from flowctl.language.contacts import ContactError, has_surrogate, loads, split_path
from flowctl.words import show


def parse_time(text: str | None, flag: str) -> datetime | None:
    """`--now`/`--at` as an aware UTC time (a naive one is UTC); None when not given."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{flag} {show(text)} is not an ISO 8601 time, e.g. 2026-11-20T10:00:00Z"
        ) from None
    try:
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise UsageError(f"{flag} {show(text)} is out of the range of years 1 to 9999") from None


def parse_override(text: str) -> tuple[str, Any]:
    """`(path, value)` from a `--set path=value` argument.

    The value is JSON when it parses as JSON (`age=42`, `vip=true`, `tags=["a"]`, `plan="pro"`),
    otherwise the text itself (`plan=pro`). Only the first `=` separates, so values may hold `=`.
    """
    path, sep, raw = text.partition("=")
    if not sep:
        raise UsageError(f"--set needs PATH=VALUE, got {show(text)}")
    path = path.strip()
    if not path:
        raise UsageError(f"--set needs a path before '=', got {show(text)}")
    try:
        split_path(path)
    except ContactError as exc:
        raise UsageError(str(exc)) from None
    if has_surrogate(raw):  # bytes that were not UTF-8 on the command line
        raise UsageError(f"--set value of {show(path)} is not valid UTF-8 text")
    try:
        value = loads(raw)
    except ValueError:  # not JSON (or NaN, 1e999): the text itself
        value = raw
    return path, value


def parse_overrides(texts: Sequence[str]) -> list[tuple[str, Any]]:
    """`--set path=value` arguments as (path, value) pairs, in order."""
    return [parse_override(text) for text in texts]
