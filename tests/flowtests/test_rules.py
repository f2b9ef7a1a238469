"""`flowctl test`'s rule ids are registered like validate's: the corpus reports each of them and
`flowctl rules` explains them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.diagnostics.rules import RULES
from tests.conftest import FIXTURES

RULE_IDS = ("test-coverage", "test-failed", "test-invalid")


def test_the_corpus_reports_every_flow_test_rule(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES / "flowtest")
    result = runner.invoke(app, ["test", "--format", "github", "--min-coverage", "100", "."])
    titles = {part.split("::")[0] for part in result.stdout.split("title=")[1:]}
    assert set(RULE_IDS) <= titles


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rules_explains_each_one(runner: CliRunner, rule_id: str) -> None:
    result = runner.invoke(app, ["rules", rule_id])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{rule_id} (error): {RULES[rule_id].summary}\n")


def test_json_failures_carry_their_rule(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES / "flowtest")
    document = json.loads(
        runner.invoke(app, ["test", "-f", "json", "failing.flowtest.yaml"]).stdout
    )
    rules = {f["rule"] for file in document["files"] for c in file["cases"] for f in c["failures"]}
    assert rules == {"test-failed"}
