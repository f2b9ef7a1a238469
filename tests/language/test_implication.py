"""Implication and conflict between conditions: sound (never claimed wrongly, checked over
random contacts) and complete enough for the cases users write."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.language.conditions import evaluate
from flowctl.language.contacts import Contact
from flowctl.language.implication import BUDGET, conflict, implies, never_holds
from tests.language.strategies import DOMAIN, NOW, conditions, contacts, nested, people

SETTINGS = settings(derandomize=True, deadline=None, max_examples=200)


# Besides random ones, every value of the domain (and none) in turn: the boundary values decide.
EVERY_VALUE = [Contact("c", {}), *(Contact("c", {"x": value}) for value in DOMAIN)]


def x(op: str, operand: Any) -> dict[str, Any]:
    return {"attribute": "x", op: operand}


@SETTINGS
@given(nested, nested, st.lists(people, min_size=1, max_size=8))
def test_an_implication_is_never_claimed_wrongly(a: Any, b: Any, who: list[Contact]) -> None:
    if implies(a, b):
        for contact in [*who, *EVERY_VALUE]:
            assert not evaluate(a, contact, NOW) or evaluate(b, contact, NOW)


@SETTINGS
@given(st.lists(nested, min_size=2, max_size=4), st.lists(people, min_size=1, max_size=8))
def test_a_conflict_is_never_claimed_wrongly(parts: list[Any], who: list[Contact]) -> None:
    condition = {"all": parts}
    if never_holds(condition):
        assert not any(evaluate(condition, contact, NOW) for contact in [*who, *EVERY_VALUE])


@settings(derandomize=True, deadline=None, max_examples=100)
@given(conditions, conditions, contacts)
def test_implication_is_sound_on_the_general_language(a: Any, b: Any, contact: Contact) -> None:
    if implies(a, b):
        assert not evaluate(a, contact, NOW) or evaluate(b, contact, NOW)
    if never_holds({"all": [a, b]}):
        assert not evaluate({"all": [a, b]}, contact, NOW)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (x("in", ["a"]), x("in", ["a", "b"])),
        (x("equals", "a"), x("in", ["b", "a"])),
        (x("equals", 1), x("equals", 1.0)),
        (x("gt", 10), x("gt", 5)),
        (x("gt", 10), x("gte", 10)),
        (x("gte", 10), x("gt", 9)),
        (x("lt", 5), x("lte", 5)),
        (x("lt", "b"), x("lt", "c")),
        (x("equals", 7), x("gt", 5)),
        (x("gt", 5), x("not_in", ["a", 3])),
        (x("in", ["a"]), x("exists", True)),
        (x("exists", False), x("not_equals", 3)),
        (x("not_in", ["a", "b"]), x("not_equals", "a")),
        (x("starts_with", "abc"), x("starts_with", "ab")),
        ({"all": [x("equals", "a"), {"attribute": "y", "gt": 1}]}, x("equals", "a")),
        (x("equals", "a"), {"any": [x("equals", "b"), x("equals", "a")]}),
        ({"any": [x("equals", "a"), x("equals", "b")]}, x("in", ["a", "b"])),
        ({"not": x("in", ["a", "b"])}, {"not": x("equals", "a")}),
        (x("equals", "a"), {"not": x("equals", "b")}),
        (
            {"event": "bought", "where": {"sku": 1, "size": "a"}, "within": "1d"},
            {"event": "bought", "where": {"sku": 1}, "within": "P3D"},
        ),
    ],
)
def test_implications_users_write_are_found(a: Any, b: Any) -> None:
    assert implies(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (x("in", ["a", "b"]), x("in", ["a"])),
        (x("gt", 5), x("gt", 10)),
        (x("gte", 10), x("gt", 10)),
        (x("gt", 5), x("gt", "5")),  # a number never compares with a string
        (x("equals", True), x("equals", 1)),  # booleans are not numbers
        (x("equals", "a"), {"attribute": "y", "equals": "a"}),
        (x("not_equals", "a"), x("exists", True)),  # holds for a missing attribute
        ({"event": "bought"}, {"event": "bought", "within": "3d"}),
        ({"event": "bought", "where": {"sku": 1}}, {"event": "bought", "where": {"sku": "1"}}),
    ],
)
def test_what_does_not_follow_is_not_claimed(a: Any, b: Any) -> None:
    assert not implies(a, b)


@pytest.mark.parametrize(
    "parts",
    [
        [x("equals", "a"), x("equals", "b")],
        [x("gt", 10), x("lt", 5)],
        [x("gt", 5), x("lte", 5)],
        [x("gte", 5), x("lt", 5)],
        [x("gt", 1), x("lt", "z")],
        [x("in", ["a", "b"]), x("not_in", ["b", "a"])],
        [x("contains", "a"), x("not_contains", "a")],
        [x("exists", False), x("starts_with", "a")],
        [x("in", ["a", 3]), x("gt", 5)],
        [{"event": "bought", "within": "1d"}, {"not": {"event": "bought", "within": "3d"}}],
        [{"all": [{"attribute": "y", "exists": True}, x("equals", 1)]}, x("equals", 2)],
    ],
)
def test_contradictions_users_write_are_found(parts: list[Any]) -> None:
    assert never_holds({"all": parts})
    found = conflict({"all": parts})
    assert found is not None and found[0] < found[2]


@pytest.mark.parametrize(
    "parts",
    [
        [x("gte", 5), x("lte", 5)],
        [x("equals", 1), x("equals", 1.0)],
        [x("not_equals", "a"), x("not_equals", "b")],
        [x("gt", 1), {"attribute": "y", "lt": 0}],
        [{"event": "bought", "within": "3d"}, {"not": {"event": "bought", "within": "1d"}}],
        [x("exists", False), x("not_in", ["a"])],
    ],
)
def test_satisfiable_alls_are_not_contradictions(parts: list[Any]) -> None:
    assert not never_holds({"all": parts})


def test_a_pair_inside_a_nested_all_is_that_alls_conflict() -> None:
    inner = {"all": [x("equals", 1), x("equals", 2)]}
    assert conflict({"all": [{"attribute": "y", "exists": True}, inner]}) is None
    assert conflict(inner) is not None and never_holds({"all": [inner]})


def test_an_any_of_contradictions_never_holds_an_any_with_one_open_part_may() -> None:
    dead = {"all": [x("gt", 10), x("lt", 5)]}
    assert never_holds({"any": [dead, dead]})
    assert not never_holds({"any": [dead, x("gt", 10)]})


def test_work_is_bounded_on_huge_conditions() -> None:
    wide = {"any": [x("equals", i) for i in range(BUDGET)]}
    assert not implies(wide, {"all": [x("in", list(range(BUDGET)))] * 3})
    assert conflict({"all": [x("gt", i) for i in range(BUDGET)]}) is None


# Every pair of leaves over a small grid, against every value: the boundaries are all there.
GRID: dict[str, list[Any]] = {
    "equals": [1, 2.0, "a", True, None, [1]],
    "not_equals": [1, "a", None],
    "in": [[1], [1, 2], ["a", 5], [True]],
    "not_in": [[1], [1, 2], ["a", 5]],
    "contains": [1, "a"],
    "not_contains": [1, "a"],
    "exists": [True, False],
    "starts_with": ["", "a", "ab"],
    **{op: [1, 2, 2.0, 5, "a", "b"] for op in ("gt", "gte", "lt", "lte")},
}
GRID_LEAVES = [x(op, operand) for op, operands in GRID.items() for operand in operands]


def test_every_leaf_pair_of_the_grid_is_judged_soundly() -> None:
    verdicts = {
        id(leaf): [evaluate(leaf, contact, NOW) for contact in EVERY_VALUE] for leaf in GRID_LEAVES
    }
    proved = contradictions = 0
    for a in GRID_LEAVES:
        for b in GRID_LEAVES:
            both = list(zip(verdicts[id(a)], verdicts[id(b)], strict=True))
            if implies(a, b):
                proved += 1
                assert all(not held or follows for held, follows in both), (a, b)
            if a is not b and never_holds({"all": [a, b]}):
                contradictions += 1
                assert not any(held and other for held, other in both), (a, b)
    assert proved > 300 and contradictions > 900  # the grid exercises both, not vacuously
