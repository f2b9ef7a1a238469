"""Words for messages: 'did you mean' hints and short descriptions of values."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from typing import Any


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to a misspelt word, if one is close enough (difflib's ratio of at
    least `cutoff`)."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: object, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None."""
    if not isinstance(word, str):
        return None
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else None


def type_name(value: Any) -> str:
    """The JSON-ish type of a loaded YAML value, as users know it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return type(value).__name__


def a_type(value: Any) -> str:
    """`type_name` with its article: "a list", "an integer"."""
    name = type_name(value)
    if name == "null":
        return name
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def show(value: Any, limit: int = 60) -> str:
    """A short quotation of a value for a message: `'pro'`, `42`, `true`, `null`, `a list`."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[: limit - 3] + "...")
    return repr(value) if isinstance(value, str) else str(value)
