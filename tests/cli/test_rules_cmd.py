"""`flowctl rules [RULE]`: the catalogue with severity, explanation and example, as SARIF has it."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.diagnostics.rules import RULES
from tests.conftest import FIXTURES


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_rule_is_listed_with_severity_explanation_and_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    sections = result.stdout.split("\n\n")
    assert len(sections) == len(RULES)
    for section, rule in zip(sections, RULES.values(), strict=True):
        head, _, rest = section.partition("\n")
        assert head == f"{rule.id} ({rule.severity}): {rule.summary}"
        explanation, _, example = rest.partition("\n  example:\n")
        assert words(explanation) == words(rule.explanation)
        assert example.rstrip("\n") == "\n".join(
            "    " + line for line in rule.example.splitlines()
        )


def test_one_rule(runner: CliRunner) -> None:
    result = runner.invoke(app, ["rules", "unreachable-node"])
    assert result.exit_code == 0
    assert result.stdout == (
        "unreachable-node (warning): No path from `start` reaches the node.\n"
        "  The node can never run. Connect it, or delete it. This is a warning: it fails\n"
        "  validation only with --strict.\n"
        "  example:\n"
        "    start: a\n"
        "    nodes:\n"
        "      a: {type: goal, config: {name: done}}\n"
        "      orphan: {type: goal, config: {name: x}}\n"
    )


def test_unknown_rule_exits_2_with_a_hint(runner: CliRunner) -> None:
    result = runner.invoke(app, ["rules", "cycel"])
    assert result.exit_code == 2
    assert "flowctl: error: no rule 'cycel'; did you mean 'cycle'?" in result.output


def test_sarif_carries_the_same_text(runner: CliRunner) -> None:
    sarif = runner.invoke(
        app, ["validate", "-f", "sarif", str(FIXTURES / "invalid" / "cycle.yaml")]
    )
    descriptors = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    for descriptor in descriptors:
        rule = RULES[descriptor["id"]]
        shown = runner.invoke(app, ["rules", rule.id]).stdout
        assert descriptor["shortDescription"]["text"] in shown
        assert words(descriptor["fullDescription"]["text"]) in words(shown)
        assert descriptor["defaultConfiguration"]["level"] == rule.severity
