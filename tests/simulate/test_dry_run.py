"""The engine through its library API: every node type executes, outcomes drive the walk, and
a node type that cannot run fails the contact cleanly."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.effects import GoalReached
from flowctl.engine import PreparedFlow, load_flow, prepare_flow
from flowctl.language.contacts import Contact, parse_contact
from flowctl.loading.yaml_file import load
from flowctl.nodes.base import NodeSpec, NodeType, Outcome, RunContext, object_schema
from flowctl.nodes.split import BUCKETS, bucket
from flowctl.plugins.registry import Registration, Registry
from flowctl.simulate import Malformed, Tally, dry_run_audience, read_contacts, walk
from flowctl.simulate.audience import bounded_lines
from flowctl.validation import Validator
from tests.conftest import FIXTURES, FLOWS, REGISTRY

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


@functools.cache
def flow(name: str) -> PreparedFlow:
    """A bundled flow (`post-purchase.yaml`) or a fixture of tests/fixtures/run (`split`)."""
    source = FLOWS / name if name.endswith(".yaml") else FIXTURES / "run" / f"{name}.yaml"
    loaded = load_flow(source.read_bytes(), str(source))
    assert loaded.flow is not None, loaded.result.diagnostics
    return loaded.flow


def inline_flow(nodes: str) -> PreparedFlow:
    """A valid flow from the YAML of its `nodes` mapping; the first node is the start."""
    start = nodes.strip().split(":", 1)[0]
    loaded = load_flow(f"version: 1\nname: inline\nstart: {start}\nnodes:\n{nodes}", "t.yaml")
    assert loaded.flow is not None, loaded.result.diagnostics
    return loaded.flow


def contact(**fields: Any) -> Contact:
    return parse_contact({"id": "c-1", **fields})


def test_an_invalid_flow_is_never_prepared() -> None:
    path = FIXTURES / "invalid" / "cycle.yaml"
    loaded = load_flow(path.read_bytes(), str(path))
    assert loaded.flow is None
    assert [d.rule for d in loaded.result.diagnostics] == ["cycle"]


def test_update_contact_changes_what_later_nodes_see_and_webhooks_render() -> None:
    person = contact(attributes={"plan": "free", "first_name": "Ana", "cart": {"items": 2}})
    result = walk(flow("update"), person, NOW)
    assert [(s.node.id, s.outcome.exit) for s in result.steps] == [
        ("upgrade", None),
        ("by_plan", "pro_without_cart"),
        ("notify", None),
    ]
    assert result.steps[0].outcome.effect.to_json() == {
        "update": {"set": {"plan": "pro", "lifecycle.stage": "customer"}, "unset": ["cart"]}
    }
    assert result.steps[2].outcome.effect.to_json() == {
        "webhook": {
            "method": "PUT",
            "url": "https://hooks.example.com/c-1?stage=customer",
            "headers": {"X-Plan": "pro"},
            # an exact reference keeps its type: `stage` is an object
            "body": {"name": "Ana", "stage": {"stage": "customer"}},
            "timeout": "10s",
        }
    }
    assert person.attributes["plan"] == "free"  # the input contact is never mutated
    assert result.status == "completed"


def test_a_missing_reference_renders_empty_with_a_warning() -> None:
    result = walk(flow("update"), contact(), NOW)
    notify = result.steps[2]
    assert notify.outcome.effect.to_json()["webhook"]["body"]["name"] == ""
    assert notify.outcome.warnings == (
        "{{ attributes.first_name }} is missing; rendered as empty text",
    )


@pytest.mark.parametrize(
    ("attributes", "events", "exit_"),
    [
        ({"last_order": {"category": "shoes", "total": 900}}, [], "shoes"),  # first case wins
        ({"last_order": {"category": "wallets"}}, [], "bags"),
        ({"last_order": {"total": 500}}, [{"name": "purchased", "at": "2026-11-01T00:00:00Z"}],
         "big_spender"),
        ({"last_order": {"total": 500}}, [{"name": "purchased", "at": "2026-10-01T00:00:00Z"}],
         "default"),  # the purchase is 53 days before the branch runs (after the 3d wait)
        ({}, [], "default"),
    ],
)  # fmt: skip
def test_branch_takes_the_first_case_that_holds_else_default(
    attributes: dict[str, Any], events: list[dict[str, Any]], exit_: str
) -> None:
    result = walk(flow("post-purchase.yaml"), contact(attributes=attributes, events=events), NOW)
    assert result.steps[2].node.id == "by_category"
    assert result.steps[2].outcome.exit == exit_


def test_filter_and_goal_end_the_run_with_their_status() -> None:
    cart = walk(flow("abandoned-cart.yaml"), contact(), NOW)
    assert (cart.status, len(cart.steps), cart.steps[0].outcome.exit) == ("filtered", 1, None)
    bought = contact(
        attributes={"cart": {"items": 1}}, events=[{"name": "purchased", "at": "2026-11-20T10:30Z"}]
    )
    won = walk(flow("abandoned-cart.yaml"), bought, NOW)
    assert won.status == "converted"
    assert won.steps[-1].outcome.effect.to_json() == {"goal": {"name": "cart_recovered"}}
    assert won.ended_at == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def test_send_message_effect_names_channel_template_params_and_contact() -> None:
    result = walk(flow("welcome-series.yaml"), contact(attributes={"first_name": "Ana"}), NOW)
    assert result.steps[0].outcome.effect.to_json() == {
        "send": {
            "channel": "email",
            "template_id": "welcome_v2",
            "to": "c-1",
            "params": {"first_name": "Ana"},
        }
    }
    assert result.steps[2].outcome.effect.to_json() == {
        "send": {"channel": "email", "template_id": "getting_started_tips", "to": "c-1"}
    }


def test_split_shares_hold_within_one_point_for_10000_contacts() -> None:
    prepared = flow("split")
    counts = Counter(
        walk(prepared, Contact(f"c-{i}"), NOW).steps[0].outcome.exit for i in range(10_000)
    )
    assert set(counts) == {"a", "b"}  # a 0% variant is never chosen
    assert abs(counts["a"] / 10_000 - 0.30) < 0.01
    assert abs(counts["b"] / 10_000 - 0.70) < 0.01


@settings(derandomize=True, deadline=None, max_examples=50)
@given(st.text(min_size=1, max_size=20), st.none() | st.integers(0, 10**6))
def test_split_assignment_is_stable_and_in_range(contact_id: str, seed: int | None) -> None:
    first = walk(flow("split"), Contact(contact_id), NOW, seed).steps[0].outcome.exit
    again = walk(flow("split"), Contact(contact_id), NOW, seed).steps[0].outcome.exit
    assert first == again
    assert 0 <= bucket("ab", contact_id, seed) < BUCKETS


def test_split_hash_is_documented_blake2b_and_the_seed_reshuffles() -> None:
    import hashlib

    digest = hashlib.blake2b(b"ab:c-42", digest_size=8).digest()
    assert bucket("ab", "c-42") == int.from_bytes(digest, "big") % 10_000
    ids = [f"c-{i}" for i in range(200)]
    assert [bucket("ab", i) for i in ids] != [bucket("ab", i, seed=1) for i in ids]


class Silent(NodeType):
    """A plugin node type with no execution logic."""

    name = "silent"
    summary = "Does nothing it could run."
    config_schema: ClassVar[dict[str, Any]] = object_schema({})


class Broken(NodeType):
    """A plugin node type whose execute crashes, or names an exit it does not have."""

    name = "broken"
    summary = "Crashes."
    config_schema: ClassVar[dict[str, Any]] = object_schema({"mode": {"type": "string"}})

    def execute(self, node: NodeSpec, ctx: RunContext) -> Outcome:
        if node.config.get("mode") == "exit":
            return Outcome(exit="sideways")
        if node.config.get("mode") == "past":
            return Outcome(at=datetime(2000, 1, 1, tzinfo=UTC))
        raise RuntimeError("boom")


PLUGINS = (Silent, Broken)


def plugin_flow(node: str) -> PreparedFlow:
    extra = [Registration(cls(), "test-plugins", f"tests:{cls.__name__}") for cls in PLUGINS]
    registry = Registry([*REGISTRY.registrations(), *extra])
    text = f"version: 1\nname: p\nstart: first\nnodes:\n  first: {node}\n"
    document = load(text, "p.yaml").document
    assert document is not None
    assert Validator(registry).validate_document(document) == []
    return prepare_flow(document.data, registry)


@pytest.mark.parametrize(
    ("node", "error"),
    [
        ("{type: silent}", "node 'first' (silent): node type 'silent' cannot run: "
         "it defines no execute() or prepare()"),
        ("{type: broken}", "node 'first' (broken): crashed: RuntimeError: boom"),
        ("{type: broken, config: {mode: exit}}", "node 'first' (broken): took exit 'sideways'; "
         "its exits are none (one exit)"),
        ("{type: broken, config: {mode: past}}", "node 'first' (broken): resumes at "
         "2000-01-01T00:00:00+00:00, before it started"),
    ],
)  # fmt: skip
def test_a_node_type_that_cannot_run_fails_the_contact_not_the_process(
    node: str, error: str
) -> None:
    result = walk(plugin_flow(node), contact(), NOW)
    assert (result.status, result.error, len(result.steps)) == ("failed", error, 1)
    assert result.to_json()["error"] == error


def test_execute_on_a_type_without_execution_logic_returns_a_failure() -> None:
    outcome = Silent().execute(NodeSpec("x", "silent", {}, ()), RunContext(contact(), NOW, UTC))
    assert outcome.status == "failed"
    assert outcome.error == "node type 'silent' cannot run: it defines no execute() or prepare()"


def test_builtins_execute_directly_as_well_as_through_prepare() -> None:
    goal = REGISTRY.get("goal")
    assert goal is not None
    spec = NodeSpec("won", "goal", {"name": "sale"}, ())
    assert goal.execute(spec, RunContext(contact(), NOW, UTC)) == Outcome(
        effect=GoalReached("sale"), status="converted"
    )


def test_audience_streams_skips_malformed_lines_and_tallies() -> None:
    with (FIXTURES / "run" / "malformed.jsonl").open("rb") as handle:
        items = list(dry_run_audience(flow("abandoned-cart.yaml"), read_contacts(handle), NOW))
    assert [item for item in items if isinstance(item, Malformed)] == [
        Malformed(2, "not JSON: Expecting value: line 1 column 1 (char 0)"),
        Malformed(4, "contact is missing 'id'"),
        Malformed(5, "events[0] is missing 'at', the ISO 8601 time of the event"),
        Malformed(6, "a contact must be a JSON object, got a list"),
        Malformed(
            8,
            "events[0].at is out of the range of years 1 to 9999: '9999-12-31T23:59:59-05:00'",
        ),
        Malformed(
            9,
            "the contact holds a lone UTF-16 surrogate escape (such as \\ud800), which is not text",
        ),
        Malformed(10, "NaN is not a JSON number"),
        Malformed(11, "the number 1e999 is too large for a JSON number"),
    ]  # line 3 is blank: skipped silently
    tally = Tally()
    for item in items:
        tally.add(item)
    assert (tally.contacts, tally.malformed) == (3, 8)
    assert tally.reached("has_cart") == 3 and tally.left_by("wait_1h", "timeout") == 3
    assert tally.statuses == Counter({"completed": 3})
    assert tally.ended == Counter({("notify_crm", "completed"): 3})


def test_audience_lines_may_start_with_a_bom_and_bad_utf8_is_one_malformed_line() -> None:
    lines = [b'\xef\xbb\xbf{"id": "a"}\n', b'{"id": "b\xff"}\n', '{"id": "c"}\n']
    items = list(read_contacts(lines, [("plan", "pro")]))
    assert [item.id for item in items if isinstance(item, Contact)] == ["a", "c"]
    assert all(item.attributes == {"plan": "pro"} for item in items if isinstance(item, Contact))
    bad = [item for item in items if isinstance(item, Malformed)]
    assert [(item.line, item.message.startswith("not JSON: 'utf-8' codec")) for item in bad] == [
        (2, True)
    ]


def test_webhook_url_and_headers_render_as_text_while_the_body_keeps_json_types() -> None:
    typed = inline_flow("""\
  hook:
    type: webhook
    config:
      url: "{{ attributes.endpoint }}"
      headers: {X-Count: "{{ attributes.count }}", X-Tags: "{{ attributes.tags }}"}
      body: {count: "{{ attributes.count }}", tags: "{{ attributes.tags }}", who: "{{ id }}"}
""")
    attributes = {"endpoint": "https://crm.example.com/x", "count": 5, "tags": ["a", "b"]}
    (step,) = walk(typed, contact(attributes=attributes), NOW).steps
    assert step.outcome.effect.to_json() == {
        "webhook": {
            "method": "POST",
            "url": "https://crm.example.com/x",
            "headers": {"X-Count": "5", "X-Tags": '["a","b"]'},
            "body": {"count": 5, "tags": ["a", "b"], "who": "c-1"},
            "timeout": "10s",
        }
    }


def test_overlong_audience_lines_are_malformed_and_never_held_whole() -> None:
    import io

    stream = io.BytesIO(b'{"id": "a"}\n' + b" " * 50 + b'\n{"id": "b"}\n' + b"x" * 25 + b"\n")
    lines = list(bounded_lines(stream, limit=20))
    assert lines == [b'{"id": "a"}\n', None, b'{"id": "b"}\n', None]
    items = list(read_contacts(lines))
    assert [getattr(item, "id", None) for item in items] == ["a", None, "b", None]
    assert items[1] == Malformed(2, "the line is longer than 1,000,000 bytes")


def test_contacts_nesting_deeper_than_the_limit_are_malformed() -> None:
    deep = '{"id": "d", "attributes": {"x": ' + "[" * 150 + "]" * 150 + "}}"
    (item,) = read_contacts([deep])
    assert item == Malformed(1, "the contact nests deeper than 100 levels")
    flat = '{"id": "f", "attributes": {"tags": [' + ", ".join(["[1]"] * 150) + "]}}"
    (ok,) = read_contacts([flat])
    assert isinstance(ok, Contact)  # many brackets, shallow: fine


def test_a_wait_past_year_9999_fails_the_contact_with_a_plain_reason() -> None:
    long_wait = inline_flow("  w: {type: delay, config: {duration: 999999w}}\n")
    result = walk(long_wait, contact(), NOW)
    assert result.status == "failed"
    assert result.error == (
        "node 'w' (delay): the simulated clock would pass the year 9999: "
        "the wait is too long for this start"
    )
