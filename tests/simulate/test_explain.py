"""Explaining a dry run through the library API: each deciding step's conditions, tested in
the node's order, for the contact as that step saw it; and always the verdict the run took."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from hypothesis import given, settings

from flowctl.engine import PreparedFlow, load_flow
from flowctl.language.contacts import Contact, parse_contact
from flowctl.nodes.base import FILTERED
from flowctl.simulate import read_contacts, walk
from flowctl.simulate.explain import explain_steps, explained_json, explanation_lines
from tests.conftest import FIXTURES, FLOWS, bundled_flows
from tests.language.strategies import contacts

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)
BUNDLED = bundled_flows()


@functools.cache
def flow(path: str) -> PreparedFlow:
    loaded = load_flow((FLOWS / path).read_bytes(), path)
    assert loaded.flow is not None, loaded.result.diagnostics
    return loaded.flow


def audience() -> list[Contact]:
    with (FLOWS / "contacts.sample.jsonl").open("rb") as handle:
        return [item for item in read_contacts(handle, []) if isinstance(item, Contact)]


def assert_explains_the_run(plan: PreparedFlow, contact: Contact) -> None:
    """The first decision that held is the exit taken; none held: the node's fallback."""
    run = walk(plan, contact, NOW)
    for step, tested in explain_steps(run, contact):
        assert len(tested) == len(step.node.decisions)
        results = [decision.explanation.result for decision in tested]
        if True in results:
            first = results.index(True)
            assert results[first + 1 :] == [None] * (len(results) - first - 1)
            assert step.outcome.status != FILTERED
            if step.outcome.exit is not None:
                assert tested[first].exit == step.outcome.exit
        elif tested:
            assert results == [False] * len(results)
            assert step.outcome.exit == "default" or step.outcome.status == FILTERED


def test_every_bundled_flow_is_explained_as_it_ran_for_the_sample_audience() -> None:
    people = audience()
    assert len(people) == 12
    for path in BUNDLED:
        for contact in people:
            assert_explains_the_run(flow(path.name), contact)


@settings(derandomize=True, deadline=None, max_examples=60)
@given(contacts)
def test_explanations_agree_with_the_run_for_random_contacts(contact: Contact) -> None:
    for name in ("post-purchase.yaml", "vip-winback.yaml"):
        assert_explains_the_run(flow(name), contact)


def test_lines_show_each_deciding_step_and_why() -> None:
    contact = parse_contact(
        {"id": "c-1", "attributes": {"last_order": {"category": "wallets", "total": 80}}}
    )
    run = walk(flow("post-purchase.yaml"), contact, NOW)
    assert explanation_lines(run, contact) == [
        "by_category (branch) -> bags",
        "  case 'shoes': last_order.category = \"wallets\"; equals shoes -> false",
        "  case 'bags': last_order.category = \"wallets\"; in [bags, wallets] -> true",
        "  case 'big_spender': all (last_order.total gte 500, event purchased within 30d)"
        " -> not evaluated",
    ]


def test_a_filtered_contact_shows_the_part_that_failed() -> None:
    contact = parse_contact({"id": "c-2", "attributes": {"plan": "pro", "country": "US"}})
    run = walk(flow("vip-winback.yaml"), contact, NOW)
    assert explanation_lines(run, contact) == [
        "target_group (filter) (filtered)",
        "  condition: all -> false",
        '    plan = "pro"; in [pro, team] -> true',
        '    country = "US"; in [DE, AT, CH] -> false (decides)',
        "    unsubscribed not_equals true -> not evaluated",
        "    not (event purchased within 60d) -> not evaluated",
    ]


def test_a_step_sees_the_contact_as_updated_by_the_steps_before() -> None:
    source = FIXTURES / "run" / "update.yaml"
    loaded = load_flow(source.read_bytes(), str(source))
    assert loaded.flow is not None
    contact = parse_contact({"id": "c-3", "attributes": {"plan": "free", "cart": {"items": 1}}})
    run = walk(loaded.flow, contact, NOW)
    assert explanation_lines(run, contact) == [
        "by_plan (branch) -> pro_without_cart",
        "  case 'pro_without_cart': all -> true",
        '    plan = "pro"; equals pro -> true',
        "    cart is missing; exists false -> true",
    ]


def test_json_adds_an_explain_entry_to_deciding_steps_only() -> None:
    contact = parse_contact({"id": "c-4", "attributes": {"last_order": {"category": "shoes"}}})
    run = walk(flow("post-purchase.yaml"), contact, NOW)
    trace = explained_json(run, contact)
    assert {key: value for key, value in trace.items() if key != "steps"} == {
        key: value for key, value in run.to_json().items() if key != "steps"
    }
    explained = {step["node"]: step.get("explain") for step in trace["steps"]}
    assert explained["thank_you"] is None and explained["wait_3d"] is None
    assert explained["by_category"] == [
        {
            "decision": "case 'shoes'",
            "exit": "shoes",
            "result": True,
            "condition": {
                "attribute": "last_order.category",
                "operator": "equals",
                "operand": "shoes",
                "found": True,
                "value": "shoes",
                "result": True,
                "decides": False,
            },
        },
        {
            "decision": "case 'bags'",
            "exit": "bags",
            "result": None,
            "condition": {
                "condition": {"attribute": "last_order.category", "in": ["bags", "wallets"]},
                "result": None,
                "decides": False,
            },
        },
        {
            "decision": "case 'big_spender'",
            "exit": "big_spender",
            "result": None,
            "condition": {
                "condition": {
                    "all": [
                        {"attribute": "last_order.total", "gte": 500},
                        {"event": "purchased", "within": "30d"},
                    ]
                },
                "result": None,
                "decides": False,
            },
        },
    ]
