"""`flowctl validate` through the CLI: inputs, formats, options and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FIXTURES, FLOWS, ROOT

INVALID = FIXTURES / "invalid"
GOLDEN = FIXTURES / "golden"


def run(runner: CliRunner, *args: str, stdin: str | None = None):
    return runner.invoke(app, ["validate", *args], input=stdin)


def test_bundled_flows_are_valid_and_exit_0(runner: CliRunner) -> None:
    result = run(runner, str(FLOWS))
    assert result.exit_code == 0, result.output
    assert "5 files valid" in result.output


def test_default_path_is_flows_directory(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "5 files valid" in result.output


def test_invalid_flow_exits_1_and_names_file_line_column_rule(runner: CliRunner) -> None:
    path = INVALID / "schema-config.yaml"
    result = run(runner, str(path))
    assert result.exit_code == 1
    assert (
        f"{path}:7:5: error: node 'welcome' (send_message): config is missing required field "
        "'template_id' [schema]"
    ) in result.output
    assert "hint: did you mean 'template_id'?" in result.output


def test_text_output_matches_golden(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    names = ["invalid/schema-config.yaml", "invalid/yaml11-traps.yaml", "invalid/cycle.yaml"]
    result = run(runner, *names)
    golden = GOLDEN / "validate.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_every_problem_of_every_file_is_reported_in_one_run(runner: CliRunner) -> None:
    result = run(runner, "--format", "json", str(INVALID))
    document = json.loads(result.output)
    assert result.exit_code == 1
    assert document["summary"]["files"] == len(list(INVALID.glob("*.yaml")))
    assert document["summary"]["errors"] >= 25


def test_json_output_has_the_documented_shape(runner: CliRunner) -> None:
    result = run(runner, "--format", "json", str(INVALID / "dangling-edge.yaml"), str(FLOWS))
    document = json.loads(result.output)
    assert set(document) == {"version", "flowctl_version", "files", "unreadable", "summary"}
    assert document["summary"] == {
        "files": 6,
        "valid": 5,
        "errors": 1,
        "warnings": 1,
        "suppressed": 0,
        "unreadable": 0,
        "passed": False,
    }
    first = document["files"][0]
    assert set(first) == {"path", "valid", "diagnostics", "suppressed"}
    assert first["valid"] is False
    assert first["diagnostics"][0] == {
        "rule": "dangling-edge",
        "severity": "error",
        "message": "node 'a' (delay): 'next' points to 'wiat_2d', which is not a node of this flow",
        "path": str(INVALID / "dangling-edge.yaml"),
        "line": 8,
        "column": 11,
        "end_line": 8,
        "end_column": 18,
        "pointer": "/nodes/a/next",
        "hint": "did you mean 'wait_2d'?",
        "related": [],
    }


def test_warnings_pass_unless_strict(runner: CliRunner) -> None:
    path = str(INVALID / "unreachable-node.yaml")
    relaxed = run(runner, path)
    assert relaxed.exit_code == 0
    assert "warning: node 'orphan' is never reached" in relaxed.output
    strict = run(runner, "--strict", path)
    assert strict.exit_code == 1


def test_quiet_prints_only_diagnostic_lines(runner: CliRunner) -> None:
    result = run(runner, "--quiet", str(INVALID / "cycle.yaml"), str(FLOWS))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("[cycle]")
    assert all("|" not in line for line in lines)
    assert not any(line.startswith(("✓", "✗")) for line in lines)
    assert run(runner, "--quiet", str(FLOWS)).output == ""


def test_stdin_is_read_for_dash(runner: CliRunner) -> None:
    text = (INVALID / "missing-start.yaml").read_text()
    result = run(runner, "-", stdin=text)
    assert result.exit_code == 1
    assert "<stdin>:3:8: error: start names 'welcom'" in result.output


def test_directory_is_searched_recursively_for_yaml_and_yml(
    runner: CliRunner, tmp_path: Path
) -> None:
    nested = tmp_path / "team" / "spring"
    nested.mkdir(parents=True)
    shutil.copy(FLOWS / "post-purchase.yaml", nested / "a.yml")
    shutil.copy(INVALID / "cycle.yaml", tmp_path / "b.yaml")
    (tmp_path / "notes.txt").write_text("not a flow")
    hidden = tmp_path / ".git"
    hidden.mkdir()
    shutil.copy(INVALID / "cycle.yaml", hidden / "c.yaml")
    result = run(runner, "--format", "json", str(tmp_path))
    paths = [f["path"] for f in json.loads(result.output)["files"]]
    assert paths == [str(tmp_path / "b.yaml"), str(nested / "a.yml")]


def test_glob_arguments_are_expanded(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run(runner, "--format", "json", "flows/*-cart.yaml", "flows/**/post-*.yaml")
    paths = [f["path"] for f in json.loads(result.output)["files"]]
    assert paths == ["flows/abandoned-cart.yaml", "flows/post-purchase.yaml"]


def test_missing_path_exits_2_but_still_checks_the_others(runner: CliRunner) -> None:
    result = run(runner, "no/such/flow.yaml", str(INVALID / "cycle.yaml"))
    assert result.exit_code == 2
    assert "no/such/flow.yaml: no such file or directory" in result.output
    assert "[cycle]" in result.output


def test_glob_matching_nothing_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, str(tmp_path / "*.yaml"))
    assert result.exit_code == 2
    assert "matches no flow files" in result.output


def test_unknown_format_is_a_usage_error(runner: CliRunner) -> None:
    assert run(runner, "--format", "xml", str(FLOWS)).exit_code == 2


def test_binary_and_huge_input_give_diagnostics_not_tracebacks(
    runner: CliRunner, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00")
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# x\n" * (3 * 1024 * 1024))
    result = run(runner, "--format", "json", str(binary), str(huge))
    assert result.exit_code == 1
    rules = [f["diagnostics"][0]["rule"] for f in json.loads(result.output)["files"]]
    assert rules == ["yaml-syntax", "yaml-limits"]


def test_console_script_and_module_entry_points(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    for command in (
        [sys.executable, "-m", "flowctl", "validate", str(INVALID / "cycle.yaml")],
        [str(Path(sys.executable).with_name("flowctl")), "validate", str(FLOWS)],
    ):
        completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        assert "Traceback" not in completed.stderr
        assert completed.returncode == (1 if "cycle" in command[-1] else 0), completed.stdout


def test_output_dash_is_stdout(runner: CliRunner) -> None:
    result = run(runner, "--format", "json", "--output", "-", str(FLOWS / "post-purchase.yaml"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["valid"] == 1


def test_output_over_a_checked_flow_is_refused_and_the_flow_kept(
    runner: CliRunner, tmp_path: Path
) -> None:
    flow = tmp_path / "flow.yaml"
    shutil.copy(FLOWS / "post-purchase.yaml", flow)
    before = flow.read_bytes()
    result = run(runner, "--output", str(flow), str(tmp_path))
    assert result.exit_code == 2
    assert "is one of the files being validated" in result.stderr
    assert flow.read_bytes() == before


def test_nothing_readable_gives_no_reassuring_summary(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "missing.yaml: no such file or directory" in result.stderr
