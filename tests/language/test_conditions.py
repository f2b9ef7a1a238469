"""The condition language: schema for editors, checks in plain words, and DESIGN §3 semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.language.conditions import CONDITION_SCHEMA, KEYS, OPERATORS, check_condition, evaluate
from flowctl.language.contacts import Contact, Event
from flowctl.language.durations import DURATION_SCHEMA
from tests.language.strategies import (
    attr_paths,
    conditions,
    contacts,
    json_scalars,
    json_values,
    operands,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=30)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
BASE = ("nodes", "pick", "config", "condition")
ATTRIBUTES = {
    "plan": "pro",
    "age": 42,
    "ratio": 1.0,
    "vip": True,
    "nothing": None,
    "tags": ["vip", "beta", 1],
    "signup": "2026-03-01",
    "last_order": {"category": "shoes", "total": 120.5},
}
CONTACT = Contact(
    "c-1",
    ATTRIBUTES,
    (
        Event("purchased", NOW - timedelta(days=40), {"category": "bags"}),
        Event("purchased", NOW - timedelta(days=3), {"category": "shoes", "item": {"sku": "SH-1"}}),
        Event("opened", NOW + timedelta(hours=1)),  # in the future: has not happened yet
    ),
)


def holds(condition: dict[str, Any], contact: Contact = CONTACT, now: datetime = NOW) -> bool:
    return evaluate(condition, contact, now)


def findings(value: Any) -> list[tuple[str, str, tuple[Any, ...], str | None, bool]]:
    return [(f.rule, f.message, f.path, f.hint, f.at_key) for f in check_condition(value, BASE)]


# --- evaluation: one example per operator, true and false -----------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"attribute": "plan", "equals": "pro"}, True),
        ({"attribute": "plan", "equals": "team"}, False),
        ({"attribute": "last_order.category", "equals": "shoes"}, True),
        ({"attribute": "last_order", "equals": {"total": 120.5, "category": "shoes"}}, True),
        ({"attribute": "age", "equals": 42.0}, True),  # 1 equals 1.0
        ({"attribute": "ratio", "equals": True}, False),  # but true does not equal 1
        ({"attribute": "vip", "equals": 1}, False),
        ({"attribute": "vip", "equals": True}, True),
        ({"attribute": "nothing", "equals": None}, True),  # null is a value
        ({"attribute": "plan", "not_equals": "pro"}, False),
        ({"attribute": "plan", "not_equals": "team"}, True),
        ({"attribute": "plan", "in": ["team", "pro"]}, True),
        ({"attribute": "plan", "in": ["team", "free"]}, False),
        ({"attribute": "age", "in": [41, 42.0]}, True),
        ({"attribute": "plan", "not_in": ["team", "pro"]}, False),
        ({"attribute": "plan", "not_in": ["team"]}, True),
        ({"attribute": "tags", "contains": "vip"}, True),
        ({"attribute": "tags", "contains": "vi"}, False),  # list membership, not substring
        ({"attribute": "tags", "contains": 1.0}, True),
        ({"attribute": "tags", "contains": True}, False),
        ({"attribute": "plan", "contains": "ro"}, True),  # substring of a text
        ({"attribute": "plan", "contains": "x"}, False),
        ({"attribute": "age", "contains": 4}, False),  # a number contains nothing
        ({"attribute": "tags", "not_contains": "vip"}, False),
        ({"attribute": "tags", "not_contains": "gold"}, True),
        ({"attribute": "age", "gt": 41}, True),
        ({"attribute": "age", "gt": 42}, False),
        ({"attribute": "age", "gte": 42}, True),
        ({"attribute": "age", "gte": 42.5}, False),
        ({"attribute": "age", "lt": 42.5}, True),
        ({"attribute": "age", "lt": 42}, False),
        ({"attribute": "age", "lte": 42}, True),
        ({"attribute": "age", "lte": 41}, False),
        ({"attribute": "last_order.total", "gte": 100}, True),
        ({"attribute": "signup", "gte": "2026-01-01"}, True),  # texts compare alphabetically
        ({"attribute": "signup", "lt": "2026-01-01"}, False),
        ({"attribute": "plan", "exists": True}, True),
        ({"attribute": "plan", "exists": False}, False),
        ({"attribute": "nothing", "exists": True}, True),
        ({"attribute": "plan", "starts_with": "pr"}, True),
        ({"attribute": "plan", "starts_with": "ro"}, False),
        ({"attribute": "age", "starts_with": "4"}, False),
    ],
)
def test_operators(condition: dict[str, Any], expected: bool) -> None:
    assert findings(condition) == []
    assert holds(condition) is expected


@pytest.mark.parametrize("operator", OPERATORS)
def test_missing_attribute(operator: str) -> None:
    operand = {"exists": False, "in": ["x"], "not_in": ["x"], "gt": 1, "gte": 1, "lt": 1, "lte": 1}
    condition = {"attribute": "no.such.thing", operator: operand.get(operator, "x")}
    assert findings(condition) == []
    # DESIGN §3: false, except `exists: false` and the not_* operators.
    assert holds(condition) is (operator == "exists" or operator.startswith("not_"))
    assert holds({"attribute": "plan.deeper", operator: operand.get(operator, "x")}) is holds(
        condition
    )


@pytest.mark.parametrize("operator", ["gt", "gte", "lt", "lte"])
@pytest.mark.parametrize(
    ("attribute", "operand"), [("plan", 100), ("age", "abc"), ("vip", 0), ("tags", 1)]
)
def test_ordering_across_types_is_false(operator: str, attribute: str, operand: Any) -> None:
    assert holds({"attribute": attribute, operator: operand}) is False


def test_combinators() -> None:
    yes = {"attribute": "plan", "equals": "pro"}
    no = {"attribute": "plan", "equals": "free"}
    assert holds({"all": [yes, yes]}) and not holds({"all": [yes, no]})
    assert holds({"any": [no, yes]}) and not holds({"any": [no, no]})
    assert holds({"not": no}) and not holds({"not": yes})
    assert holds({"not": {"all": [yes, {"not": yes}]}})


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"event": "purchased"}, True),
        ({"event": "refunded"}, False),
        ({"event": "purchased", "where": {"category": "shoes"}}, True),
        ({"event": "purchased", "where": {"category": "bags"}}, True),
        ({"event": "purchased", "where": {"category": "hats"}}, False),
        ({"event": "purchased", "where": {"item.sku": "SH-1"}}, True),  # dots reach nested
        ({"event": "purchased", "where": {"category": "shoes", "item.sku": "X"}}, False),
        ({"event": "purchased", "where": {"colour": None}}, False),  # missing is not null
        ({"event": "purchased", "within": "30d"}, True),
        ({"event": "purchased", "within": "2d"}, False),
        ({"event": "purchased", "where": {"category": "bags"}, "within": "30d"}, False),
        ({"event": "purchased", "where": {"category": "bags"}, "within": "P40D"}, True),  # edge
        ({"event": "purchased", "within": "999999w"}, True),  # reaches back before year 1
        ({"event": "opened"}, False),  # after now: has not happened yet
        ({"event": "opened", "within": "1d"}, False),
    ],
)
def test_event_conditions(condition: dict[str, Any], expected: bool) -> None:
    assert findings(condition) == []
    assert holds(condition) is expected


def test_future_event_counts_once_the_clock_reaches_it() -> None:
    assert holds({"event": "opened"}, now=NOW + timedelta(hours=1))
    assert holds({"event": "opened", "within": "1s"}, now=NOW + timedelta(hours=1))


def test_naive_now_is_utc() -> None:
    assert holds({"event": "opened"}, now=datetime(2026, 11, 25, 13)) is True
    assert holds({"event": "opened"}, now=datetime(2026, 11, 25, 12, 59)) is False


@pytest.mark.parametrize(
    "condition",
    [
        "plan",
        [],
        {},
        {"attribute": "plan"},
        {"equals": "pro"},
        {"attribute": "plan", "equals": "pro", "in": ["pro"]},
        {"attribute": "plan", "equal": "pro"},
        {"attribute": "plan", "in": "pro"},
        {"attribute": "a..b", "exists": True},
        {"all": []},
        {"not": [{"attribute": "plan", "exists": True}]},
        {"any": [{"attribute": "plan", "exists": True}, {"attribute": "plan"}]},
        {"event": "purchased", "within": "3 days"},
        {"event": ""},
        {"all": [{"attribute": "plan", "exists": True}], "attribute": "x"},
    ],
)
def test_malformed_conditions_evaluate_false_and_negation_does_not_save_them(
    condition: Any,
) -> None:
    assert findings(condition) != []
    assert holds(condition) is False
    assert holds({"not": condition}) is False


# --- checks -----------------------------------------------------------------------------------


def test_check_accepts_the_design_examples() -> None:
    for condition in [
        {"attribute": "plan", "equals": "pro"},
        {"attribute": "last_order.total", "gte": 100},
        {
            "all": [
                {"attribute": "plan", "exists": True},
                {"not": {"attribute": "vip", "equals": True}},
            ]
        },
        {"any": [{"event": "purchased", "where": {"category": "shoes"}, "within": "30d"}]},
    ]:
        assert findings(condition) == []


def test_two_operators() -> None:
    assert findings({"attribute": "plan", "equals": "pro", "in": ["pro", "team"]}) == [
        (
            "invalid-condition",
            "condition has two operators, 'equals' and 'in'; use one per leaf and combine "
            "leaves with all/any",
            (*BASE, "in"),
            None,
            True,
        )
    ]


def test_unknown_key_points_at_the_key_with_a_hint() -> None:
    [(rule, message, path, hint, at_key)] = findings({"attribute": "plan", "equal": "pro"})
    assert (rule, path, hint, at_key) == (
        "invalid-condition",
        (*BASE, "equal"),
        "did you mean 'equals'?",
        True,
    )
    assert "unknown key 'equal'" in message


@pytest.mark.parametrize(
    ("condition", "message", "path", "at_key"),
    [
        ("pro", "a condition must be a mapping, got a string", BASE, False),
        ({}, "the condition is empty", BASE, False),
        (
            {"attribute": "plan"},
            "condition has no operator; expected one of equals, not_equals",
            BASE,
            False,
        ),
        ({"equals": "pro"}, "condition with 'equals' needs 'attribute'", BASE, False),
        (
            {"attribute": "", "exists": True},
            "an attribute path must be a non-empty string",
            (*BASE, "attribute"),
            False,
        ),
        (
            {"attribute": 3, "exists": True},
            "'attribute' needs a dotted path",
            (*BASE, "attribute"),
            False,
        ),
        ({"attribute": "a b", "exists": True}, "bad segment 'a b'", (*BASE, "attribute"), False),
        (
            {"attribute": "p", "in": "pro"},
            "'in' needs a non-empty list of values, got a string",
            (*BASE, "in"),
            False,
        ),
        (
            {"attribute": "p", "not_in": []},
            "'not_in' needs a non-empty list of values, got an empty list",
            (*BASE, "not_in"),
            False,
        ),
        (
            {"attribute": "p", "exists": "yes"},
            "'exists' needs true or false, got a string",
            (*BASE, "exists"),
            False,
        ),
        ({"attribute": "p", "gt": True}, "'gt' needs a number or a string", (*BASE, "gt"), False),
        ({"attribute": "p", "lte": [1]}, "'lte' needs a number or a string", (*BASE, "lte"), False),
        (
            {"attribute": "p", "starts_with": 1},
            "'starts_with' needs a string, got an integer",
            (*BASE, "starts_with"),
            False,
        ),
        (
            {"attribute": "p", "contains": ["a", "b"]},
            "'contains' needs one string, number or boolean",
            (*BASE, "contains"),
            False,
        ),
        (
            {"attribute": "p", "equals": datetime(2026, 1, 1)},
            "'equals' needs a JSON value (quote dates), got a timestamp",
            (*BASE, "equals"),
            False,
        ),
        (
            {"attribute": "p", "exists": True, "within": "3d"},
            "'within' belongs to an event condition",
            (*BASE, "within"),
            True,
        ),
        (
            {"all": "x"},
            "'all' needs a non-empty list of conditions, got a string",
            (*BASE, "all"),
            False,
        ),
        (
            {"any": []},
            "'any' needs a non-empty list of conditions, got an empty list",
            (*BASE, "any"),
            False,
        ),
        (
            {"not": [{"attribute": "p", "exists": True}]},
            "'not' takes one condition, not a list",
            (*BASE, "not"),
            False,
        ),
        (
            {
                "all": [{"attribute": "p", "exists": True}],
                "any": [{"attribute": "p", "exists": True}],
            },
            "condition has both 'all' and 'any'",
            (*BASE, "any"),
            True,
        ),
        (
            {"not": {"attribute": "p", "exists": True}, "attribute": "p"},
            "'attribute' cannot sit beside 'not'",
            (*BASE, "attribute"),
            True,
        ),
        ({"event": 3}, "'event' needs an event name, got 3", (*BASE, "event"), False),
        (
            {"event": "x", "where": ["a"]},
            "'where' needs a mapping of event property -> value",
            (*BASE, "where"),
            False,
        ),
        (
            {"event": "x", "where": {"": 1}},
            "event property '' is not a name",
            (*BASE, "where", ""),
            True,
        ),
        (
            {"event": "x", "equals": 1},
            "'equals' is not allowed in an event condition",
            (*BASE, "equals"),
            True,
        ),
    ],
)
def test_check_messages(condition: Any, message: str, path: tuple[Any, ...], at_key: bool) -> None:
    [(rule, text, where, _hint, key)] = findings(condition)
    assert rule == "invalid-condition"
    assert message in text
    assert (where, key) == (path, at_key)


def test_bad_within_is_an_invalid_duration() -> None:
    [(rule, message, path, _, _)] = findings({"event": "x", "within": "3 days"})
    assert (rule, path) == ("invalid-duration", (*BASE, "within"))
    assert "'3 days' is not a duration" in message


def test_children_are_reported_at_their_own_paths_in_document_order() -> None:
    condition = {
        "all": [
            {"attribute": "p", "equals": 1},
            {"not": {"attribute": "p", "gt": None}},
            {"any": [{"event": "x", "within": "soon"}]},
        ],
        "any": [{"attribute": "p"}],
    }
    assert [(rule, path) for rule, _, path, _, _ in findings(condition)] == [
        ("invalid-condition", (*BASE, "any")),  # both 'all' and 'any'
        ("invalid-condition", (*BASE, "all", 1, "not", "gt")),
        ("invalid-duration", (*BASE, "all", 2, "any", 0, "within")),
        ("invalid-condition", (*BASE, "any", 0)),
    ]


def nested_not(depth: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"attribute": "plan", "exists": True}
    for _ in range(depth):
        condition = {"not": condition}
    return condition


def test_nesting_is_bounded_without_recursion_errors() -> None:
    assert findings(nested_not(100)) == []
    assert holds(nested_not(100)) is True
    deep = nested_not(20_000)  # far past Python's recursion limit
    [(rule, message, path, _, _)] = findings(deep)
    assert rule == "invalid-condition" and "more than 100 levels" in message
    assert path == (*BASE, *["not"] * 101)
    assert holds(deep) is False


# --- schema -----------------------------------------------------------------------------------


def walk(schema: Any) -> list[Any]:
    found = [schema]
    if isinstance(schema, dict):
        found += [x for value in schema.values() for x in walk(value)]
    elif isinstance(schema, list):
        found += [x for value in schema for x in walk(value)]
    return found


def test_schema_lists_every_key_with_a_description_and_forbids_nothing() -> None:
    jsonschema.Draft7Validator.check_schema(CONDITION_SCHEMA)
    assert CONDITION_SCHEMA["type"] == "object"
    assert list(CONDITION_SCHEMA["properties"]) == list(KEYS)
    assert all(prop["description"] for prop in CONDITION_SCHEMA["properties"].values())
    keywords = {key for node in walk(CONDITION_SCHEMA) if isinstance(node, dict) for key in node}
    assert not keywords & {"oneOf", "anyOf", "additionalProperties", "definitions", "required"}


def test_schema_recurses_through_definitions() -> None:
    root = {
        "definitions": {"condition": CONDITION_SCHEMA, "duration": DURATION_SCHEMA},
        "$ref": "#/definitions/condition",
    }
    validator = jsonschema.Draft7Validator(root)
    assert validator.is_valid({"all": [{"not": {"event": "x", "within": "3d"}}]})
    errors = list(validator.iter_errors({"all": [{"not": {"event": "x", "within": "3 days"}}, 7]}))
    assert sorted(list(e.absolute_path) for e in errors) == [
        ["all", 0, "not", "within"],
        ["all", 1],
    ]
    # Malformed leaves are left to check_condition's plain words.
    assert validator.is_valid({"attribute": "plan", "equals": "pro", "in": "x", "bogus": 1})


# --- properties -------------------------------------------------------------------------------


@SETTINGS
@given(conditions, contacts)
def test_well_formed_conditions_check_clean_and_evaluate_to_bool(
    condition: Any, contact: Contact
) -> None:
    assert list(check_condition(condition, ())) == []
    assert evaluate(condition, contact, NOW) in (True, False)
    assert evaluate({"not": condition}, contact, NOW) is not evaluate(condition, contact, NOW)


@SETTINGS
@given(st.lists(conditions, min_size=1, max_size=2), contacts)
def test_all_and_any_agree_with_python(children: list[Any], contact: Contact) -> None:
    results = [evaluate(child, contact, NOW) for child in children]
    assert evaluate({"all": children}, contact, NOW) is all(results)
    assert evaluate({"any": children}, contact, NOW) is any(results)


@SETTINGS
@given(attr_paths, st.sampled_from(["equals", "in", "contains"]), st.data(), contacts)
def test_not_operators_negate_their_twin(
    path: str, positive: str, data: st.DataObject, contact: Contact
) -> None:
    operand = data.draw(operands[positive])
    assert evaluate({"attribute": path, f"not_{positive}": operand}, contact, NOW) is not evaluate(
        {"attribute": path, positive: operand}, contact, NOW
    )


@SETTINGS
@given(attr_paths, st.lists(json_values, min_size=1, max_size=4), contacts)
def test_in_is_any_equals(path: str, options: list[Any], contact: Contact) -> None:
    expected = any(
        evaluate({"attribute": path, "equals": option}, contact, NOW) for option in options
    )
    assert evaluate({"attribute": path, "in": options}, contact, NOW) is expected


anything = st.recursive(
    json_scalars | st.sampled_from([*KEYS, "3d", "bogus"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from([*KEYS, "bogus", ""]), inner, max_size=3)
    ),
    max_leaves=12,
)


@SETTINGS
@given(anything, contacts)
def test_arbitrary_input_never_raises_and_malformed_is_false(value: Any, contact: Contact) -> None:
    problems = list(check_condition(value, BASE))
    assert all(f.path[: len(BASE)] == BASE for f in problems)
    result = evaluate(value, contact, NOW)
    assert result in (True, False)
    if problems:
        assert result is False
