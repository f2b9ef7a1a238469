"""The explaining evaluator: the same verdicts as `evaluate`, and the values behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.language.conditions import evaluate
from flowctl.language.contacts import Contact, Event
from flowctl.language.explain import Explanation, describe, explain, flow_style
from tests.language.strategies import NOW, conditions, contacts

SETTINGS = settings(derandomize=True, deadline=None, max_examples=150)
CONTACT = Contact(
    "c-1",
    {"plan": "pro", "age": 42, "last_order": {"category": "wallets", "total": 80}},
    (Event("purchased", NOW - timedelta(days=3), {"category": "bags"}),),
)


def lines(condition: Any, contact: Contact = CONTACT) -> list[str]:
    return explain(condition, contact, NOW).lines()


@SETTINGS
@given(conditions, contacts)
def test_explain_gives_the_evaluators_verdict(condition: Any, contact: Contact) -> None:
    assert explain(condition, contact, NOW).result is evaluate(condition, contact, NOW)


@SETTINGS
@given(st.sampled_from(["all", "any"]), st.lists(conditions, min_size=1, max_size=4), contacts)
def test_the_deciding_child_is_the_first_that_settles_its_combinator(
    key: str, children: list[Any], contact: Contact
) -> None:
    explained = explain({key: children}, contact, NOW)
    results = [child.result for child in explained.children]
    settles = key == "any"  # all is settled by a false child, any by a true one
    if settles in results:
        first = results.index(settles)
        assert [child.decides for child in explained.children] == [
            i == first for i in range(len(children))
        ]
        assert results[first + 1 :] == [None] * (len(children) - first - 1)
    else:
        assert not any(child.decides for child in explained.children)
        assert results == [evaluate(child, contact, NOW) for child in children]


def test_a_leaf_shows_the_value_it_compared() -> None:
    condition = {"attribute": "last_order.category", "in": ["bags", "wallets"]}
    assert lines(condition) == ['last_order.category = "wallets"; in [bags, wallets] -> true']


def test_a_missing_attribute_says_so() -> None:
    condition = {"attribute": "country", "not_in": ["DE", "AT"]}
    assert lines(condition) == ["country is missing; not_in [DE, AT] -> true"]


def test_the_part_that_decides_is_marked_and_later_parts_are_not_evaluated() -> None:
    condition = {
        "all": [
            {"attribute": "plan", "equals": "pro"},
            {"any": [{"attribute": "age", "gte": 50}, {"attribute": "age", "lt": 18}]},
            {"event": "purchased", "where": {"category": "bags"}, "within": "30d"},
        ]
    }
    assert lines(condition) == [
        "all -> false",
        '  plan = "pro"; equals pro -> true',
        "  any -> false (decides)",
        "    age = 42; gte 50 -> false",
        "    age = 42; lt 18 -> false",
        "  event purchased where {category: bags} within 30d -> not evaluated",
    ]


def test_events_show_the_first_match_or_its_absence() -> None:
    bags = {"event": "purchased", "where": {"category": "bags"}, "within": "30d"}
    assert lines({"any": [{"not": {"attribute": "plan", "exists": True}}, bags]}) == [
        "any -> true",
        "  not -> false",
        '    plan = "pro"; exists true -> true',
        "  event purchased where {category: bags} within 30d: first match at "
        "2026-11-22T12:00:00Z -> true (decides)",
    ]
    assert lines({**bags, "within": "1d"}) == [
        "event purchased where {category: bags} within 1d: no matching event by now -> false"
    ]


def test_strings_that_would_read_as_something_else_are_quoted() -> None:
    assert flow_style(["pro", "1", "yes", "", "a b", 1, True, None]) == (
        '[pro, "1", "yes", "", "a b", 1, true, null]'
    )
    assert describe({"not": {"any": [{"attribute": "a", "gt": 1}, {"event": "x"}]}}) == (
        "not (any (a gt 1, event x))"
    )


def test_long_values_and_operands_are_cut_in_text_but_whole_in_json() -> None:
    contact = Contact("c", {"note": "x" * 200})
    explained = explain({"attribute": "note", "starts_with": "x"}, contact, NOW)
    assert explained.lines()[0] == f'note = "{"x" * 76}...; starts_with x -> true'
    assert explained.to_json()["value"] == "x" * 200
    many = explain({"attribute": "note", "in": [f"n{i}" for i in range(50)]}, contact, NOW)
    assert many.lines()[0].endswith(
        "; in [n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n..."
        " -> false"
    )
    assert len(many.to_json()["operand"]) == 50


def test_json_form() -> None:
    condition = {"all": [{"attribute": "age", "gt": 50}, {"attribute": "plan", "equals": "pro"}]}
    assert explain(condition, CONTACT, NOW).to_json() == {
        "combinator": "all",
        "result": False,
        "decides": False,
        "children": [
            {
                "attribute": "age",
                "operator": "gt",
                "operand": 50,
                "found": True,
                "value": 42,
                "result": False,
                "decides": True,
            },
            {"condition": {"attribute": "plan", "equals": "pro"}, "result": None, "decides": False},
        ],
    }


def test_a_malformed_condition_is_false_as_a_whole_as_the_evaluator_has_it() -> None:
    malformed = {"not": {"attribute": "plan", "equals": "pro", "in": ["x"]}}
    assert explain(malformed, CONTACT, NOW) == Explanation(
        "malformed condition (see flowctl validate)", False, {"invalid": True}
    )
    assert evaluate(malformed, CONTACT, NOW) is False


def test_a_naive_clock_is_utc() -> None:
    bags = {"event": "purchased", "within": "3d"}
    assert explain(bags, CONTACT, NOW.replace(tzinfo=None)).result is True
