"""Typed values read out of a flow test file's data: every mistake is a `test-invalid` finding
at its place, with a "did you mean" hint where a name is misspelt, never an exception."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.engine.trace import iso
from flowctl.nodes.base import STATUSES
from flowctl.words import a_type, did_you_mean, show

RULE = "test-invalid"
_EXAMPLE_TIME = "2026-11-24T08:00:00Z"


def jsonable(value: Any) -> Any:
    """A loaded YAML value as JSON data: YAML timestamps become ISO text, as in a trace.

    `ValueError` for what JSON cannot hold (`.nan`, `.inf`).
    """

    def convert(item: Any) -> Any:
        if isinstance(item, datetime):
            at = parse_time(item)
            if at is None:
                raise ValueError(f"{item} is out of the range of years 1 to 9999 in UTC")
            return iso(at)
        if isinstance(item, date):
            return item.isoformat()
        raise ValueError(f"{a_type(item)} is not JSON")

    return json.loads(json.dumps(value, default=convert, allow_nan=False))


def as_utc(at: datetime) -> datetime:
    """An aware time in UTC; a naive one is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (text, or a YAML timestamp) as an aware UTC time; None if it is none."""
    try:
        if isinstance(value, datetime):
            return as_utc(value)
        return as_utc(datetime.fromisoformat(value)) if isinstance(value, str) else None
    except (ValueError, OverflowError):  # not a time; an offset pushes it past year 1 or 9999
        return None


class Values:
    """Reads values, collecting findings instead of raising; None stands for a bad value."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def problem(self, message: str, path: Path, hint: str | None = None, key: bool = False) -> None:
        self.findings.append(Finding(RULE, message, path, hint, at_key=key))

    def mapping(self, value: Any, path: Path, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problem(f"{what} must be a mapping, not {a_type(value)}", path)
        return None

    def unknown_keys(self, data: Mapping[str, Any], known: tuple[str, ...], path: Path) -> None:
        for key in data:
            if key not in known:
                listed = ", ".join(known)
                message = f"unknown key '{key}'; {_where(path)} takes {listed}"
                self.problem(message, (*path, key), did_you_mean(key, known), key=True)

    def time(self, value: Any, path: Path, what: str) -> datetime | None:
        at = parse_time(value)
        if at is None:
            message = f"{what} must be an ISO 8601 time such as {_EXAMPLE_TIME}, not {show(value)}"
            hint = (
                "a date alone is not a time; add the time of day"
                if isinstance(value, date)
                else None
            )
            self.problem(message, path, hint)
        return at

    def names(self, value: Any, path: Path, what: str) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.problem(f"{what} must be a list of node ids, not {a_type(value)}", path)
            return None
        bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item]
        for index in bad:
            self.problem(
                f"{what}[{index}] must be a node id, not {show(value[index])}", (*path, index)
            )
        return None if bad else tuple(value)

    def text_map(self, value: Any, path: Path, what: str) -> Mapping[str, str] | None:
        data = self.mapping(value, path, what)
        if data is None:
            return None
        bad = [key for key, item in data.items() if not isinstance(item, str) or not item]
        for key in bad:
            self.problem(f"{what}.{key} must be an exit name, not {show(data[key])}", (*path, key))
        return None if bad else dict(data)

    def status(self, value: Any, path: Path) -> str | None:
        if isinstance(value, str) and value in STATUSES:
            return value
        listed = ", ".join(STATUSES)
        self.problem(
            f"'status' must be one of {listed}, not {show(value)}",
            path,
            did_you_mean(value, STATUSES),
        )
        return None

    def times(self, value: Any, path: Path) -> Mapping[str, datetime] | None:
        data = self.mapping(value, path, "'at'")
        if data is None:
            return None
        times = {node: self.time(at, (*path, node), f"at.{node}") for node, at in data.items()}
        if any(at is None for at in times.values()):
            return None
        return {node: at for node, at in times.items() if at is not None}

    def effects(self, value: Any, path: Path) -> tuple[Any, ...] | None:
        if not isinstance(value, list):
            self.problem(f"'effects' must be a list of effect objects, not {a_type(value)}", path)
            return None
        items: list[Any] = []
        for index, item in enumerate(value):
            where = (*path, index)
            if not isinstance(item, Mapping) or not item:
                message = f"effects[{index}] must be an effect object such as "
                self.problem(message + "{send: {template_id: x}}, not " + a_type(item), where)
                continue
            try:
                items.append(jsonable(item))
            except ValueError as exc:
                self.problem(f"effects[{index}] is not JSON data: {exc}", where)
        return tuple(items) if len(items) == len(value) else None


def _where(path: Path) -> str:
    if not path:
        return "a flow test file"
    if len(path) == 2:
        return "a case"
    return f"'{path[-1]}'"
