"""`flowctl run --dry-run --explain` through the CLI: golden text and JSON, and usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.cli.test_run_cli import AUDIENCE, CONTACT, check_golden, dry_run
from tests.conftest import FLOWS


def test_text_timeline_explains_each_condition_under_its_step(runner: CliRunner) -> None:
    result = dry_run(runner, "post-purchase", "--contact", CONTACT, "--explain")
    assert result.exit_code == 0, result.output
    check_golden("post-purchase.explain.txt", result.stdout)


def test_json_trace_has_an_explain_entry_per_deciding_step(runner: CliRunner) -> None:
    result = dry_run(runner, "vip-winback", "--contact", CONTACT, "--explain", "-f", "json")
    assert result.exit_code == 0, result.output
    trace = json.loads(result.stdout)
    assert [step["node"] for step in trace["steps"] if "explain" in step] == ["target_group"]
    check_golden("vip-winback.explain.json", result.stdout)


def test_without_explain_the_trace_is_unchanged(runner: CliRunner) -> None:
    plain = dry_run(runner, "vip-winback", "--contact", CONTACT, "-f", "json")
    explained = json.loads(
        dry_run(runner, "vip-winback", "--contact", CONTACT, "--explain", "-f", "json").stdout
    )
    for step in explained["steps"]:
        step.pop("explain", None)
    assert json.loads(plain.stdout) == explained


@pytest.mark.parametrize(
    "args",
    [
        ["--dry-run", "--contacts", AUDIENCE, "--explain"],
        ["--contact", CONTACT, "--explain"],
    ],
    ids=["audience", "real-run"],
)
def test_explain_is_only_for_a_dry_run_of_one_contact(
    runner: CliRunner, args: list[str], tmp_path: Path
) -> None:
    state = tmp_path / "state.db"  # a real run would create it
    flow = str(FLOWS / "post-purchase.yaml")
    result = runner.invoke(app, ["run", flow, *args, "--state", str(state)])
    assert result.exit_code == 2
    assert not state.exists()
    assert "--explain is for a dry run of one contact" in result.stderr
    assert "Traceback" not in result.output
