"""`run` and `graph` read the project's configuration and suppressions as `validate` does: they
show the same diagnostics, and refuse what `validate` fails. A silenced error still stops them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flowctl.cli import app
from tests.conftest import FLOWS

CONTACT = str(FLOWS / "contact.sample.json")
ORPHAN = """\
version: 1
name: orphaned
start: hello
nodes:
  hello: {type: send_message, config: {channel: email, template_id: hi}}
  orphan:{comment}
    type: goal
    config: {name: never}
"""
SPLIT_90 = """\
version: 1
name: uneven
start: ab
nodes:
  ab:{comment}
    type: split
    config: {variants: {a: 50, b: 40}}
    next: {a: null, b: null}
"""
COMMANDS = {
    "run": ["run", "flow.yaml", "--dry-run", "--contact", CONTACT, "--now", "2026-11-20T10:00:00Z"],
    "graph": ["graph", "flow.yaml"],
}


def invoke(
    runner: CliRunner, project: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> Result:
    monkeypatch.chdir(project)
    return runner.invoke(app, COMMANDS[command])


def project(tmp_path: Path, flow: str, config: str = "") -> Path:
    (tmp_path / "flow.yaml").write_text(flow)
    if config:
        (tmp_path / ".flowctl.toml").write_text(config)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("comment", "config"),
    [("  # flowctl: ignore[unreachable-node]", ""), ("", 'ignore = ["unreachable-node"]\n')],
)
def test_a_silenced_warning_is_not_shown(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: str, comment: str, config: str,
) -> None:  # fmt: skip
    shown = invoke(
        runner, project(tmp_path, ORPHAN.replace("{comment}", ""), ""), command, monkeypatch
    )
    assert "[unreachable-node]" in shown.stderr
    quiet = project(tmp_path, ORPHAN.replace("{comment}", comment), config)
    result = invoke(runner, quiet, command, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "[unreachable-node]" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_a_warning_the_project_makes_an_error_stops_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    config = '[severity]\nunreachable-node = "error"\n'
    result = invoke(
        runner, project(tmp_path, ORPHAN.replace("{comment}", ""), config), command, monkeypatch
    )
    assert result.exit_code == 1
    assert "error: node 'orphan' is never reached" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("comment", "config"),
    [
        ("  # flowctl: ignore[split-percentages]", ""),
        ("", '[severity]\nsplit-percentages = "warning"\n'),
    ],
)
def test_a_silenced_error_still_stops_it_and_says_why(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    command: str, comment: str, config: str,
) -> None:  # fmt: skip
    folder = project(tmp_path, SPLIT_90.replace("{comment}", comment), config)
    monkeypatch.chdir(folder)
    assert runner.invoke(app, ["validate", "flow.yaml"]).exit_code == 0  # validate lets it pass
    result = invoke(runner, folder, command, monkeypatch)
    assert result.exit_code == 1
    assert "error: node 'ab' (split)" in result.stderr  # shown once, as the error it is
    assert result.stderr.count("[split-percentages]") == 1
    assert "✓" not in result.stderr and "1 file valid" not in result.stderr  # no false comfort
    assert "silence for 'validate'; they still keep the flow from being" in result.stderr
    assert result.stdout == ""


def test_a_run_of_a_flow_the_configuration_accepts_prints_its_trace(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path, ORPHAN.replace("{comment}", ""), 'ignore = ["unreachable-node"]\n')
    monkeypatch.chdir(folder)
    result = runner.invoke(app, [*COMMANDS["run"], "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "completed"
    assert result.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_strict_in_the_configuration_stops_a_flow_with_warnings(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    folder = project(tmp_path, ORPHAN.replace("{comment}", ""), "strict = true\n")
    monkeypatch.chdir(folder)
    assert runner.invoke(app, ["validate", "flow.yaml"]).exit_code == 1
    result = invoke(runner, folder, command, monkeypatch)
    assert result.exit_code == 1
    assert "warning: node 'orphan' is never reached" in result.stderr
    assert "flow.yaml is invalid" in result.stderr
    assert result.stdout == ""
