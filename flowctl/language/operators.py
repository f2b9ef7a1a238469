"""What each condition operator means: JSON equality, ordering, containment and event matching.

The one definition of the operators' semantics. `conditions.evaluator` compiles conditions onto
these functions and `explain` reports through them, so the two can never disagree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flowctl.language.contacts import Contact, Event, get_attribute
from flowctl.language.json_values import equal, is_number


def is_json(value: Any) -> bool:
    """A value JSON can hold: null, a string, a boolean, a number, a list or a mapping."""
    return value is None or isinstance(value, str | bool | list | Mapping) or is_number(value)


def _contains(value: Any, item: Any) -> bool:
    if isinstance(value, list):
        return any(equal(member, item) for member in value)
    return isinstance(value, str) and isinstance(item, str) and item in value


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """A comparison that is False, not an error, unless both sides are numbers or both strings."""

    def check(value: Any, operand: Any) -> bool:
        if is_number(value) and is_number(operand):
            return compare(value, operand)
        return isinstance(value, str) and isinstance(operand, str) and compare(value, operand)

    return check


#: The positive operators on a present value; each `not_*` is exactly the negation of its twin.
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": _contains,
    "equals": equal,
    "gt": _ordered(operator.gt),
    "gte": _ordered(operator.ge),
    "in": lambda value, options: any(equal(value, option) for option in options),
    "lt": _ordered(operator.lt),
    "lte": _ordered(operator.le),
    "starts_with": lambda value, prefix: isinstance(value, str) and value.startswith(prefix),
}


def leaf_test(op: str, operand: Any) -> Callable[[bool, Any], bool]:
    """The verdict of `{attribute: ..., op: operand}` from (attribute found, its value).

    A missing attribute makes every comparison false, except `exists: false` and the `not_*`
    operators, which are true when `op`'s twin is false (missing, or of another type).
    """
    if op == "exists":
        return lambda found, value: found is operand
    positive = op.removeprefix("not_")
    compare, negate = COMPARISONS[positive], positive != op
    return lambda found, value: (found and compare(value, operand)) != negate


def event_matches(event: Event, name: str, where: Mapping[str, Any]) -> bool:
    """Whether `event` is called `name` and has every property of `where` (JSON equality)."""
    return event.name == name and all(
        _has_property(event.properties, key, value) for key, value in where.items()
    )


def _has_property(properties: Mapping[str, Any], key: str, value: Any) -> bool:
    found, actual = get_attribute(properties, key)
    return found and equal(actual, value)


def first_event(
    name: str, where: Mapping[str, Any], within: timedelta | None, contact: Contact, now: datetime
) -> Event | None:
    """The contact's first event called `name`, matching `where`, in the window ending `now`."""
    start = None
    if within is not None:
        try:
            start = now - within
        except OverflowError:  # a window reaching back before year 1 has no start
            start = None
    for event in contact.events:
        # In a simulation, later events have not happened yet.
        in_window = event.at <= now and (start is None or start <= event.at)
        if in_window and event_matches(event, name, where):
            return event
    return None


def had_event(
    name: str, where: Mapping[str, Any], within: timedelta | None, contact: Contact, now: datetime
) -> bool:
    """Whether the contact had the event, matching `where`, in the window ending `now`."""
    return first_event(name, where, within, contact, now) is not None
