"""Decision checks in `validate`: shadowed cases, contradictions, unreachable goals and useless
delays; golden diagnostics, silence on every flow that is not about them, and proof by dry runs
that what they report is real."""

from __future__ import annotations

import os
import re
from typing import Any, ClassVar

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.engine import PreparedFlow, prepare_flow
from flowctl.language.contacts import Contact
from flowctl.nodes.base import FILTERED, Decision, Exits, NodeSpec, NodeType, object_schema
from flowctl.plugins.registry import Registration, Registry
from flowctl.simulate import walk
from flowctl.validation import Validator
from tests.conftest import FIXTURES, FLOWS, REGISTRY, ROOT, VALIDATOR, bundled_flows
from tests.language.strategies import NOW, nested, people

RULES = ("shadowed-case", "contradiction", "unreachable-goal", "useless-delay")
OWN = [FIXTURES / "invalid" / f"{rule}.yaml" for rule in RULES]
# Every other flow of the repository: the bundled ones and all test fixtures, valid or not.
OTHERS = sorted(
    path
    for path in [*bundled_flows(), *(ROOT / "tests").rglob("*.yaml")]
    if path not in OWN and "golden" not in path.parts and not path.name.endswith(".flowtest.yaml")
)
SETTINGS = settings(derandomize=True, deadline=None, max_examples=120)


def rules_in(text: str) -> list[tuple[str, int]]:
    result = VALIDATOR.validate_source(text, "t.yaml")
    return [(d.rule, d.line) for d in result.diagnostics if d.rule in RULES]


def test_golden_diagnostics(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    names = [str(path.relative_to(FIXTURES)) for path in OWN]
    result = runner.invoke(app, ["validate", *names])
    assert result.exit_code == 1  # the errors fail; useless-delay alone is a warning
    golden = FIXTURES / "golden" / "decisions.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_there_are_other_flows_to_stay_silent_on() -> None:
    assert len([path for path in OTHERS if path.parent == FLOWS]) == 5
    assert len(OTHERS) >= 35


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_decision_rule_fires_on_any_other_flow(path: Any) -> None:
    assert rules_in(path.read_text(encoding="utf-8")) == []


def flow_text(nodes: dict[str, Any], start: str) -> str:
    return yaml.safe_dump({"version": 1, "name": "t", "start": start, "nodes": nodes})


def branch(first: Any, second: Any) -> str:
    return flow_text(
        {
            "pick": {
                "type": "branch",
                "config": {"cases": {"first": first, "second": second}},
                "next": {"first": "a", "second": "b", "default": None},
            },
            "a": {"type": "goal", "config": {"name": "a"}},
            "b": {"type": "goal", "config": {"name": "b"}},
        },
        "pick",
    )


def pointers(text: str, rule: str) -> list[str]:
    result = VALIDATOR.validate_source(text, "t.yaml")
    return [d.pointer for d in result.diagnostics if d.rule == rule]


def runnable(text: str) -> PreparedFlow:
    """The flow prepared though its decision errors would stop `run`: to watch it never do
    what validation says it cannot."""
    return prepare_flow(yaml.safe_load(text), REGISTRY)


@SETTINGS
@given(nested, nested, st.lists(people, min_size=1, max_size=8))
def test_a_case_reported_shadowed_never_wins(first: Any, second: Any, who: list[Contact]) -> None:
    text = branch(first, second)
    if "/nodes/pick/config/cases/second" not in pointers(text, "shadowed-case"):
        return
    plan = runnable(text)
    for contact in who:
        assert walk(plan, contact, NOW).steps[0].outcome.exit != "second"


@SETTINGS
@given(st.lists(nested, min_size=2, max_size=4), st.lists(people, min_size=1, max_size=8))
def test_a_filter_reported_contradictory_lets_no_one_through(
    parts: list[Any], who: list[Contact]
) -> None:
    text = flow_text(
        {
            "gate": {"type": "filter", "config": {"condition": {"all": parts}}, "next": "done"},
            "done": {"type": "goal", "config": {"name": "done"}},
        },
        "gate",
    )
    top = re.compile(r"/nodes/gate/config/condition/all/\d+")
    if not any(top.fullmatch(pointer) for pointer in pointers(text, "contradiction")):
        return
    assert pointers(text, "unreachable-goal") == ["/nodes/done"]
    plan = runnable(text)
    for contact in who:
        assert walk(plan, contact, NOW).status == FILTERED


class RoutesByScore(NodeType):
    """A plugin that decides by conditions, declared through the base class like branch."""

    name = "route_by_score"
    summary = "Hot or cold leads."
    config_schema: ClassVar[dict[str, Any]] = object_schema({"min": {"type": "integer"}})
    exits = Exits.named("hot", "cold")

    def decisions(self, node: NodeSpec) -> tuple[Decision, ...]:
        at = (*node.config_path, "min")
        hot = {"attribute": "score", "gte": node.config.get("min", 50)}
        hotter = {"attribute": "score", "gt": node.config.get("min", 50)}
        return (Decision("hot", hot, "hot", at), Decision("hotter", hotter, "hot", at))


class BrokenDecisions(RoutesByScore):
    name = "broken_decisions"

    def decisions(self, node: NodeSpec) -> tuple[Decision, ...]:
        raise KeyError("min")


def plugin_validator() -> Validator:
    extra = [
        Registration(cls(), "score-plugin", f"tests:{cls.__name__}")
        for cls in (RoutesByScore, BrokenDecisions)
    ]
    return Validator(Registry([*REGISTRY.registrations(), *extra]))


def test_a_plugins_declared_decisions_are_checked_like_a_branchs() -> None:
    text = flow_text(
        {
            "score": {
                "type": "route_by_score",
                "config": {"min": 50},
                "next": {"hot": "a", "cold": None},
            },
            "a": {"type": "goal", "config": {"name": "a"}},
        },
        "score",
    )
    result = plugin_validator().validate_source(text, "t.yaml")
    assert [(d.rule, d.pointer) for d in result.diagnostics] == [
        ("shadowed-case", "/nodes/score/config/min")
    ]
    assert "hotter can never win: whenever it holds, hot, tested before it" in (
        result.diagnostics[0].message
    )


def test_decisions_that_crash_are_a_plugin_check_failure_not_a_traceback() -> None:
    text = flow_text(
        {
            "score": {"type": "broken_decisions", "next": {"hot": None, "cold": None}},
        },
        "score",
    )
    result = plugin_validator().validate_source(text, "t.yaml")
    assert [d.rule for d in result.diagnostics] == ["plugin-check-failed"]
    assert "(from 'score-plugin')" in result.diagnostics[0].message


def goal_behind(first_case: Any, via_second: bool) -> str:
    """A branch whose case 'second' is shadowed by 'first'; the goal hangs off 'second', and
    also off the default exit when `via_second` is False."""
    return flow_text(
        {
            "pick": {
                "type": "branch",
                "config": {
                    "cases": {"first": first_case, "second": {"attribute": "p", "in": ["a"]}}
                },
                "next": {"first": None, "second": "won", "default": None if via_second else "won"},
            },
            "won": {"type": "goal", "config": {"name": "won"}},
        },
        "pick",
    )


def test_a_goal_behind_a_dead_exit_only_is_unreachable_with_the_exit_named() -> None:
    result = VALIDATOR.validate_source(goal_behind({"attribute": "p", "in": ["a", "b"]}, True), "t")
    found = {d.rule: d.message for d in result.diagnostics}
    assert set(found) == {"shadowed-case", "unreachable-goal"}
    assert found["unreachable-goal"].endswith("(case 'second' of 'pick' never wins)")


def test_a_goal_that_another_exit_reaches_is_not_reported() -> None:
    text = goal_behind({"attribute": "p", "in": ["a", "b"]}, False)
    assert [rule for rule, _ in rules_in(text)] == ["shadowed-case"]


def test_a_goal_no_path_reaches_is_unreachable_nodes_alone() -> None:
    text = flow_text(
        {
            "hello": {"type": "send_message", "config": {"channel": "sms", "template_id": "t"}},
            "won": {"type": "goal", "config": {"name": "won"}},
        },
        "hello",
    )
    result = VALIDATOR.validate_source(text, "t")
    assert [d.rule for d in result.diagnostics] == ["unreachable-node"]


def test_a_malformed_condition_is_reported_once_and_proves_nothing() -> None:
    text = goal_behind({"attribute": "p", "in": ["a", "b"], "equals": "a"}, True)
    result = VALIDATOR.validate_source(text, "t")
    assert [d.rule for d in result.diagnostics] == ["invalid-condition"]
