"""The condition language of DESIGN §3: its schema, its checks and its compiled evaluation.

A condition is a leaf `{attribute: PATH, OPERATOR: VALUE}`, an event condition
`{event: NAME, where: {...}, within: DURATION}`, or a combinator `{all: [...]}`, `{any: [...]}`,
`{not: COND}`. Malformed conditions are reported by `check_condition` in plain words; the schema
only serves editors (completion and hover docs), so it forbids nothing it would explain badly.
What each operator means lives in `operators`; this module compiles conditions onto it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.language.contacts import Contact, ContactError, get_attribute, split_path
from flowctl.language.durations import check_duration, parse_duration
from flowctl.language.json_values import is_number
from flowctl.language.operators import had_event, is_json, leaf_test
from flowctl.words import a_type, did_you_mean, show

RULE = "invalid-condition"
OPERATORS = (
    "equals", "not_equals", "in", "not_in", "contains", "not_contains",
    "gt", "gte", "lt", "lte", "exists", "starts_with",
)  # fmt: skip
COMBINATORS = ("all", "any", "not")
EVENT_KEYS = ("event", "where", "within")
KEYS = ("attribute", *OPERATORS, *COMBINATORS, *EVENT_KEYS)
# Deeper nesting is reported (and evaluates false) instead of exhausting the Python stack.
MAX_DEPTH = 100

_SHAPES = (
    "{attribute: PATH, OPERATOR: VALUE}, {event: NAME}, {all: [...]}, {any: [...]} or {not: COND}"
)
_REF = "#/definitions/condition"


def _is_values(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(map(is_json, value))


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)


def _is_ordered(value: Any) -> bool:
    return isinstance(value, str) or is_number(value)


_VALUES = (_is_values, "a non-empty list of values")
_SCALAR = (
    _is_scalar,
    "one string, number or boolean (to test several, combine leaves with any/all)",
)
_ORDERED = (_is_ordered, "a number or a string (strings compare alphabetically)")
# What each operator's operand must be, with the words that say so.
OPERANDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "contains": _SCALAR,
    "equals": (is_json, "a JSON value (quote dates)"),
    "exists": (lambda value: isinstance(value, bool), "true or false"),
    "gt": _ORDERED,
    "gte": _ORDERED,
    "in": _VALUES,
    "lt": _ORDERED,
    "lte": _ORDERED,
    "not_contains": _SCALAR,
    "not_equals": (is_json, "a JSON value (quote dates)"),
    "not_in": _VALUES,
    "starts_with": (lambda value: isinstance(value, str), "a string"),
}

_DESCRIPTIONS = {
    "attribute": "Dotted path of the contact attribute to test, e.g. `last_order.category`.",
    "equals": "True when the attribute equals this value (1 equals 1.0; true does not equal 1).",
    "not_equals": "True when the attribute does not equal this value, or is missing.",
    "in": "True when the attribute equals one of these values.",
    "not_in": "True when the attribute equals none of these values, or is missing.",
    "contains": "True when the list attribute has this item, or the string attribute this text.",
    "not_contains": "True when `contains` would be false, including when the attribute is missing.",
    "gt": "True when the attribute is greater than this number (or string, alphabetically).",
    "gte": "True when the attribute is greater than or equal to this number (or string).",
    "lt": "True when the attribute is less than this number (or string, alphabetically).",
    "lte": "True when the attribute is less than or equal to this number (or string).",
    "exists": "true: the attribute is present (null counts); false: it is missing.",
    "starts_with": "True when the string attribute starts with this string.",
    "all": "True when every condition in the list holds.",
    "any": "True when at least one condition in the list holds.",
    "not": "True when the condition does not hold.",
    "event": "Name of an event the contact must have had (before now).",
    "where": "Event property -> value; every one must be equal (dots reach nested properties).",
    "within": "Only events in this window before now count, e.g. `30d`.",
}
_TYPED: dict[str, dict[str, Any]] = {
    "all": {"type": "array", "items": {"$ref": _REF}},
    "any": {"type": "array", "items": {"$ref": _REF}},
    "not": {"$ref": _REF},
    "within": {"$ref": "#/definitions/duration"},
    "exists": {"type": "boolean", "x-flowctl-rule": RULE},  # typed, so editors offer true/false
}
CONDITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": f"A condition: {_SHAPES}.",
    "properties": {key: {**_TYPED.get(key, {}), "description": _DESCRIPTIONS[key]} for key in KEYS},
    "errorMessage": f"expected a condition: {_SHAPES}",
    "x-flowctl-rule": RULE,
}


def check_condition(value: Any, path: Path) -> Iterator[Finding]:
    """`invalid-condition` (and `invalid-duration`) findings for a condition at `path`.

    Walks nested conditions with an explicit stack, in document order.
    """
    stack: list[tuple[Any, Path, int]] = [(value, tuple(path), 0)]
    while stack:
        condition, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            yield Finding(RULE, f"conditions nest more than {MAX_DEPTH} levels deep", where)
            continue
        yield from _check_node(condition, where)
        stack.extend((child, at, depth + 1) for child, at in reversed(_children(condition, where)))


def _children(condition: Any, where: Path) -> list[tuple[Any, Path]]:
    if not isinstance(condition, Mapping):
        return []
    children: list[tuple[Any, Path]] = []
    for key in ("all", "any"):
        if isinstance(condition.get(key), list):
            children += [(child, (*where, key, i)) for i, child in enumerate(condition[key])]
    if "not" in condition and not isinstance(condition["not"], list):
        children.append((condition["not"], (*where, "not")))
    return children


def _check_node(condition: Any, where: Path) -> Iterator[Finding]:
    if not isinstance(condition, Mapping):
        yield Finding(RULE, f"a condition must be a mapping, got {a_type(condition)}", where)
        return
    if not condition:
        yield Finding(RULE, f"the condition is empty; expected {_SHAPES}", where)
        return
    combinators = [key for key in condition if key in COMBINATORS]
    if combinators:
        yield from _check_combinator(condition, where, combinators)
    elif "event" in condition:
        yield from _check_event(condition, where)
    else:
        yield from _check_leaf(condition, where)


def _unknown(key: Any, where: Path) -> Finding:
    hint = did_you_mean(str(key), KEYS)
    message = f"unknown key {show(key)} in a condition; expected {_SHAPES}"
    return Finding(RULE, message, (*where, key), hint=hint, at_key=True)


def _check_combinator(
    condition: Mapping[Any, Any], where: Path, found: list[str]
) -> Iterator[Finding]:
    first = found[0]
    for key in condition:
        if key == first:
            continue
        if key in COMBINATORS:
            message = f"condition has both {first!r} and {key!r}; use one and nest the other in it"
        elif key in KEYS:
            message = f"{key!r} cannot sit beside {first!r}, which takes no other keys"
        else:
            yield _unknown(key, where)
            continue
        yield Finding(RULE, message, (*where, key), at_key=True)
    for key in found:
        operand = condition[key]
        if key == "not" and isinstance(operand, list):
            message = "'not' takes one condition, not a list; write {not: {any: [...]}}"
            yield Finding(RULE, message, (*where, key))
        elif key != "not" and not (isinstance(operand, list) and operand):
            got = "an empty list" if operand == [] else a_type(operand)
            yield Finding(
                RULE, f"{key!r} needs a non-empty list of conditions, got {got}", (*where, key)
            )


def _check_event(condition: Mapping[Any, Any], where: Path) -> Iterator[Finding]:
    for key in condition:
        if key in KEYS and key not in EVENT_KEYS:
            message = (
                f"{key!r} is not allowed in an event condition, which takes event, where, within"
            )
            yield Finding(RULE, message, (*where, key), at_key=True)
        elif key not in KEYS:
            yield _unknown(key, where)
    name = condition["event"]
    if not (isinstance(name, str) and name):
        yield Finding(RULE, f"'event' needs an event name, got {show(name)}", (*where, "event"))
    properties = condition.get("where", {})
    if not isinstance(properties, Mapping):
        message = f"'where' needs a mapping of event property -> value, got {a_type(properties)}"
        yield Finding(RULE, message, (*where, "where"))
    else:
        for key, value in properties.items():
            at = (*where, "where", key)
            if not (isinstance(key, str) and key):
                yield Finding(RULE, f"event property {show(key)} is not a name", at, at_key=True)
            elif not is_json(value):
                yield Finding(
                    RULE, f"{key!r} needs a JSON value (quote dates), got {a_type(value)}", at
                )
    if "within" in condition:
        yield from check_duration(condition["within"], (*where, "within"))


def _check_leaf(condition: Mapping[Any, Any], where: Path) -> Iterator[Finding]:
    stray = False
    for key in condition:
        if key in EVENT_KEYS:
            message = f"{key!r} belongs to an event condition {{event: NAME, {key}: ...}}"
            yield Finding(RULE, message, (*where, key), at_key=True)
        elif key not in KEYS:
            yield _unknown(key, where)
        stray = stray or key in EVENT_KEYS or key not in KEYS
    operators = [key for key in condition if key in OPERATORS]
    if "attribute" in condition:
        yield from _check_path(condition["attribute"], (*where, "attribute"))
    elif not stray and operators:
        message = f"condition with {operators[0]!r} needs 'attribute', the attribute path to test"
        yield Finding(RULE, message, where)
    if not operators and not stray:
        message = f"condition has no operator; expected one of {', '.join(OPERATORS)}"
        yield Finding(RULE, message, where)
    for extra in operators[1:]:
        message = (
            f"condition has two operators, {operators[0]!r} and {extra!r}; "
            "use one per leaf and combine leaves with all/any"
        )
        yield Finding(RULE, message, (*where, extra), at_key=True)
    for key in operators:
        accepts, expected = OPERANDS[key]
        if not accepts(condition[key]):
            got = "an empty list" if condition[key] == [] else a_type(condition[key])
            yield Finding(RULE, f"{key!r} needs {expected}, got {got}", (*where, key))


def _check_path(path: Any, where: Path) -> Iterator[Finding]:
    if not isinstance(path, str):
        message = f"'attribute' needs a dotted path like 'last_order.total', got {a_type(path)}"
        yield Finding(RULE, message, where)
        return
    try:
        split_path(path)
    except ContactError as error:
        yield Finding(RULE, str(error), where)


def evaluate(condition: Mapping[str, Any], contact: Contact, now: datetime) -> bool:
    """Whether `contact` meets `condition` at `now` (naive `now` is UTC).

    Never raises: a condition `check_condition` rejects evaluates to False as a whole.
    """
    return evaluator(condition)(contact, now)


Test = Callable[[Contact, datetime], bool]


def evaluator(condition: Any) -> Test:
    """`evaluate` bound to one condition, for testing it many times (a flow node, per contact).

    The condition is checked and compiled into nested functions once, here.
    """
    # The checker is the single definition of "well formed"; a problem anywhere makes the whole
    # condition false, so nothing else needs to look for one.
    if next(check_condition(condition, ()), None) is not None:
        return lambda contact, now: False
    test = _compile(condition)

    def holds(contact: Contact, now: datetime) -> bool:
        return test(contact, now if now.tzinfo else now.replace(tzinfo=UTC))

    return holds


def _compile(condition: Mapping[str, Any]) -> Test:
    """The test for a well-formed condition (`check_condition` found nothing)."""
    if "not" in condition:
        inner = _compile(condition["not"])
        return lambda contact, now: not inner(contact, now)
    if "all" in condition or "any" in condition:
        # Plain loops rather than all()/any() over a generator: this runs per contact and node.
        children = [_compile(child) for child in condition.get("all", condition.get("any"))]
        if "all" in condition:

            def every(contact: Contact, now: datetime) -> bool:
                for child in children:  # noqa: SIM110
                    if not child(contact, now):
                        return False
                return True

            return every

        def some(contact: Contact, now: datetime) -> bool:
            for child in children:  # noqa: SIM110
                if child(contact, now):
                    return True
            return False

        return some
    if "event" in condition:
        within = parse_duration(condition["within"]) if "within" in condition else None
        where = condition.get("where", {})
        return functools.partial(had_event, condition["event"], where, within)
    op: str = next(key for key in condition if key in OPERATORS)
    path, verdict = condition["attribute"], leaf_test(op, condition[op])

    def leaf(contact: Contact, now: datetime) -> bool:
        return verdict(*get_attribute(contact.attributes, path))

    return leaf
