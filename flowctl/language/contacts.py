"""Contacts and their events: parsing contact JSON, and reading and writing attribute paths.

A contact is shared by every step of a run (and by the traces that record it), so nothing here
mutates one: attribute writes return new dicts, copied only along the written path.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flowctl.words import a_type, show

# Letters, digits, `_` and `-` per segment: what conditions and `{{ attributes.PATH }}` accept.
_SEGMENT_RE = re.compile("[A-Za-z0-9_-]+")

_CONTACT_KEYS = ("id", "attributes", "events")
#: Deepest nesting of lists and objects in a contact, as for flow files: deeper values would
#: exhaust the recursion of rendering and copying them, and no CRM export nests like that.
MAX_DEPTH = 100
# What could exceed 1.8e308: an exponent of three digits, or, with an exponent of at most 99, an
# integer part of at least 210 digits. Two patterns: one alternation takes several times as long.
_BIG_EXPONENT = re.compile(r"[eE]\+?[0-9]{3}")
_MANY_DIGITS = re.compile(r"[0-9]{200}")
_EVENT_KEYS = ("name", "at", "properties")


class ContactError(ValueError):
    """Contact input (a contact object, an attribute path) that cannot be used."""


@dataclass(frozen=True)
class Event:
    """Something a contact did at a moment; a naive `at` is taken as UTC."""

    name: str
    at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Aware times only, so that comparing events with the run's clock can never raise.
        if self.at.tzinfo is None:
            object.__setattr__(self, "at", self.at.replace(tzinfo=UTC))


@dataclass(frozen=True)
class Contact:
    """One person moving through a flow; `events` are in time order."""

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


def loads(text: str | bytes) -> Any:
    """Decode contact JSON, stricter than `json.loads` where laxness would break a run's output.

    `NaN`, `Infinity` and numbers too large for a float (`1e999`) are not JSON and would make the
    traces invalid JSON; a lone UTF-16 surrogate (`"\\ud800"`) is not text and cannot be printed;
    nesting deeper than `MAX_DEPTH` could not be rendered.
    Each is a `ContactError`; other bad JSON is a `ValueError`, as from `json.loads`.
    """
    if isinstance(text, bytes):  # a --contact file: UTF-8, -16 or -32, as json.loads reads bytes
        raw = text.decode(json.detect_encoding(text)).removeprefix("\ufeff")
    else:
        raw = text
    try:
        value = _DECODER.decode(raw)
    except RecursionError:
        raise ContactError(f"the contact nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        raise ContactError("a number has more than 4,300 digits") from None  # Python's limit
    if _BIG_EXPONENT.search(raw) or _MANY_DIGITS.search(raw):
        # Only such a number can overflow a float: check those, not every number of every line.
        _STRICT_DECODER.decode(raw)
    if raw.count("[") + raw.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise ContactError(f"the contact nests deeper than {MAX_DEPTH} levels")
    if "\\u" in raw and has_surrogate(value):
        raise ContactError(
            "the contact holds a lone UTF-16 surrogate escape (such as \\ud800), which is not text"
        )
    return value


def _reject_constant(name: str) -> Any:
    raise ContactError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded JSON value (a scalar is 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ContactError(f"the number {text[:40]} is too large for a JSON number")
    return number


# One decoder each, built once: `json.loads` with keywords builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def has_surrogate(value: Any) -> bool:
    """Whether any string in a decoded JSON value holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_contact(obj: Any) -> Contact:
    """A `Contact` from decoded contact JSON; `ContactError` says what is wrong.

    `id` is required: a non-empty string, or an integer (CRM exports often have numeric ids),
    which becomes its decimal string. `attributes` (an object) and `events` (a list of
    `{name, at, properties?}`) are optional; other keys are errors, since a misspelt
    `attribute` would otherwise silently make every condition false. Event times are ISO 8601
    (`Z` accepted), naive ones are UTC; events are sorted by time, ties keep their order.
    """
    if not isinstance(obj, Mapping):
        raise ContactError(f"a contact must be a JSON object, got {a_type(obj)}")
    _reject_unknown_keys(obj, _CONTACT_KEYS, "contact")
    if "id" not in obj:
        raise ContactError("contact is missing 'id'")
    contact_id = obj["id"]
    if isinstance(contact_id, int) and not isinstance(contact_id, bool):
        contact_id = str(contact_id)
    if not isinstance(contact_id, str) or not contact_id:
        raise ContactError(f"contact 'id' must be a non-empty string, got {show(obj['id'])}")
    attributes = obj.get("attributes", {})
    if not isinstance(attributes, Mapping):
        raise ContactError(f"contact 'attributes' must be an object, got {a_type(attributes)}")
    events = obj.get("events", [])
    if not isinstance(events, list):
        raise ContactError(f"contact 'events' must be a list, got {a_type(events)}")
    parsed = [_parse_event(event, f"events[{index}]") for index, event in enumerate(events)]
    return Contact(contact_id, dict(attributes), tuple(sorted(parsed, key=lambda event: event.at)))


def _parse_event(obj: Any, where: str) -> Event:
    if not isinstance(obj, Mapping):
        raise ContactError(f"{where} must be an object, got {a_type(obj)}")
    _reject_unknown_keys(obj, _EVENT_KEYS, where)
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise ContactError(f"{where}.name must be a non-empty string, got {show(name)}")
    if "at" not in obj:
        raise ContactError(f"{where} is missing 'at', the ISO 8601 time of the event")
    properties = obj.get("properties", {})
    if not isinstance(properties, Mapping):
        raise ContactError(f"{where}.properties must be an object, got {a_type(properties)}")
    return Event(name, _parse_time(obj["at"], f"{where}.at"), dict(properties))


def _parse_time(text: Any, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        at = None
    if at is None:
        raise ContactError(f"{where} is not an ISO 8601 time: {show(text)}")
    if at.tzinfo is None:
        return at  # Event makes naive times UTC
    try:
        return at.astimezone(UTC)
    except OverflowError:  # an offset pushed it before year 1 or past 9999
        raise ContactError(
            f"{where} is out of the range of years 1 to 9999: {show(text)}"
        ) from None


def _reject_unknown_keys(obj: Mapping[Any, Any], known: tuple[str, ...], where: str) -> None:
    unknown = [key for key in obj if key not in known]
    if unknown:
        raise ContactError(
            f"{where} has an unknown key {show(unknown[0])}; expected {', '.join(known)}"
        )


def split_path(path: str) -> tuple[str, ...]:
    """The segments of a dotted attribute path; `ContactError` for an empty or odd segment."""
    if not isinstance(path, str) or not path:
        raise ContactError("an attribute path must be a non-empty string like 'last_order.total'")
    segments = tuple(path.split("."))
    for segment in segments:
        if not _SEGMENT_RE.fullmatch(segment):
            raise ContactError(
                f"attribute path {show(path)} has a bad segment {show(segment)}; segments are "
                "letters, digits, '_' and '-', joined by dots"
            )
    return segments


def get_attribute(attributes: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """`(found, value)` for a dotted path; a non-mapping on the way means not found.

    A `null` value is found (it is a value, as in JSON); lists are not indexed into.
    """
    if not isinstance(path, str) or not path:
        return False, None
    current: Any = attributes
    for segment in path.split("."):
        # `type() is dict` first: it is the usual case, and an ABC isinstance check is slow.
        if not (type(current) is dict or isinstance(current, Mapping)) or segment not in current:
            return False, None
        current = current[segment]
    return True, current


def set_attribute(attributes: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A new dict with `path` set to `value`, creating intermediate objects as needed.

    A non-object met on the way is replaced by an object (setting `plan.tier` when `plan` is
    the text "pro" makes `plan` `{"tier": ...}`), as a later write wins over an earlier one.
    """
    *parents, leaf = split_path(path)
    result = dict(attributes)
    current = result
    for segment in parents:
        child = current.get(segment)
        current[segment] = dict(child) if isinstance(child, Mapping) else {}
        current = current[segment]
    current[leaf] = value
    return result


def unset_attribute(attributes: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A new dict without `path`; unchanged (but copied) when `path` is absent.

    Objects emptied by the removal stay, as empty objects.
    """
    segments = split_path(path)
    if not get_attribute(attributes, path)[0]:
        return dict(attributes)
    *parents, leaf = segments
    result = dict(attributes)
    current = result
    for segment in parents:
        current[segment] = dict(current[segment])
        current = current[segment]
    del current[leaf]
    return result


def contact_to_json(contact: Contact) -> dict[str, Any]:
    """The contact as contact JSON, which `parse_contact` reads back to an equal contact."""
    return {
        "id": contact.id,
        "attributes": contact.attributes,
        "events": [event_to_json(event) for event in contact.events],
    }


def event_to_json(event: Event) -> dict[str, Any]:
    """One event as contact JSON: its time in UTC with a `Z`, to the microsecond."""
    at = event.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"name": event.name, "at": at, "properties": dict(event.properties)}
