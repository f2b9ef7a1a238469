"""`flowctl event` and `flowctl events`: record what contacts did, and move their runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from flowctl.cli._errors import error_handler
from flowctl.cli._options import parse_time
from flowctl.cli._state import STATE_HELP, open_runner
from flowctl.errors import InputError, UsageError
from flowctl.loading.sources import STDIN, display_name, open_input
from flowctl.words import show

if TYPE_CHECKING:
    from flowctl.runtime.runner import Runner
    from flowctl.store.base import EventRecord

_KEYS = ("contact", "name", "at", "properties", "id")


def event(
    contact: str = typer.Argument(..., metavar="CONTACT_ID", help="Whose event it is."),
    name: str = typer.Argument(..., metavar="NAME", help="The event's name, e.g. purchased."),
    properties: str | None = typer.Option(
        None, "--properties", metavar="JSON", help="The event's properties, a JSON object."
    ),
    at: str | None = typer.Option(
        None, "--at", metavar="ISO-TIME", help="When it happened (default: now)."
    ),
    event_id: str | None = typer.Option(
        None, "--id", metavar="EVENT_ID", help="An id: a repeated id is recorded once."
    ),
    state: str | None = typer.Option(None, "--state", "--store", metavar="DB|URL", help=STATE_HELP),
) -> None:
    """Record one event and advance the contact's runs that wait for it."""
    with error_handler():
        props = _properties(properties)
        when = parse_time(at, "--at")
        if not contact or not name:
            raise UsageError("CONTACT_ID and NAME must not be empty")
        with open_runner(state, when) as runner:
            record = _record(runner, contact, name, when, props, event_id)
            _apply(runner, record)


def events(
    path: str = typer.Argument(..., metavar="FILE.jsonl", help="Events, one JSON object a line."),
    state: str | None = typer.Option(None, "--state", "--store", metavar="DB|URL", help=STATE_HELP),
) -> None:
    """Record events from JSON Lines ({"contact", "name", "at", "properties", "id"}), in order.

    A file is checked whole first: a bad line stops the command (exit 2) before any event is
    recorded. Standard input is read once, so its events are recorded up to a bad line."""
    with error_handler(), open_input(path) as handle:
        name = display_name(path)
        if path != STDIN:
            for _ in _timed(handle, name):
                pass
            handle.seek(0)
        with open_runner(state, None) as runner:
            for item, when in _timed(handle, name):
                properties = item.get("properties") or {}
                record = _record(
                    runner, item["contact"], item["name"], when, properties, item.get("id")
                )
                _apply(runner, record)


def _timed(handle: Any, name: str) -> Iterator[tuple[Mapping[str, Any], datetime | None]]:
    """Each event line's object and its time (None: the clock's)."""
    for number, item in _lines(handle, name):
        at = item.get("at")
        yield item, None if at is None else parse_time(at, f"{name}:{number}: 'at'")


def _lines(handle: Any, name: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    from flowctl.simulate.audience import bounded_lines

    for number, line in enumerate(bounded_lines(handle, name), 1):
        if line is not None and not line.strip():
            continue
        where = f"{name}:{number}"
        if line is None:
            raise InputError(f"{where}: the line is too long")
        try:
            item = _json(line)
        except ValueError as exc:
            raise InputError(f"{where}: not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise InputError(f"{where}: an event must be a JSON object")
        unknown = sorted(set(item) - set(_KEYS))
        if unknown:
            raise InputError(
                f"{where}: unknown key {show(unknown[0])}; events take {', '.join(_KEYS)}"
            )
        for key in ("contact", "name"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise InputError(f"{where}: '{key}' must be a non-empty string")
        if "properties" in item and not isinstance(item["properties"], dict | None):
            raise InputError(f"{where}: 'properties' must be an object")
        if "id" in item and not isinstance(item["id"], str | None):
            raise InputError(f"{where}: 'id' must be a string")
        yield number, item


def _json(text: str | bytes) -> Any:
    """JSON read as a contact is: no NaN, no lone surrogate, no nesting past `MAX_DEPTH`."""
    from flowctl.language.contacts import MAX_DEPTH, NestingError, loads

    try:
        return loads(text)
    except NestingError:
        raise ValueError(f"the JSON nests deeper than {MAX_DEPTH} levels") from None


def _properties(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = _json(text)
    except ValueError as exc:
        raise UsageError(f"--properties is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError('--properties must be a JSON object, e.g. \'{"sku": "SH-1"}\'')
    return value


def _record(
    runner: Runner,
    contact: str,
    name: str,
    when: datetime | None,
    properties: Mapping[str, Any],
    event_id: str | None,
) -> EventRecord:
    import hashlib

    from flowctl.store.base import EventRecord

    at = when or runner.clock.now()
    if event_id is None:  # without an id, the same contact, name, time and properties count once
        identity = json.dumps(
            [contact, name, at.isoformat(), properties], sort_keys=True, default=str
        )
        event_id = "e-" + hashlib.blake2b(identity.encode(), digest_size=10).hexdigest()
    return EventRecord(event_id, contact, name, at, dict(properties))


def _apply(runner: Runner, record: EventRecord) -> None:
    """Record it and say what moved: one line per event on stdout."""
    from flowctl.reporters import plural
    from flowctl.words import printable

    moved = runner.record_event(record)
    who = f"'{printable(record.name)}' of contact '{printable(record.contact)}'"
    if moved is None:
        sys.stdout.write(f"event {record.id}: {who} was recorded before; nothing changes\n")
        return
    runs = f"delivered to {plural(len(moved), 'live run')}" + (
        f" ({', '.join(r.id for r in moved)})" if moved else ""
    )
    sys.stdout.write(f"event {record.id}: {who} recorded; {runs}\n")
