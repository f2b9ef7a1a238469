"""The launcher's fast path for `flowctl validate`: the same request as the typer command for
every plain command line, typer for everything else, and none of typer, rich or the engine
imported to validate a file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import flowctl.validate_files
from flowctl.cli import app
from flowctl.launcher import parse_validate
from flowctl.validate_files import ValidateRequest
from tests.conftest import FIXTURES, FLOWS, ROOT

CYCLE = str(FIXTURES / "invalid" / "cycle.yaml")

PLAIN = [
    [],
    [str(FLOWS)],
    ["-f", "json", CYCLE, str(FLOWS)],
    ["--format=github", "--strict", CYCLE],
    ["--format", "sarif", "--output", "out.sarif", "-q", CYCLE],
    ["-o", "report.txt", "--no-strict", "--config", "ci.toml", "-"],
    ["--strict", "--no-strict", "-f", "json", "-f", "text", CYCLE],
    ["--", "-odd-name.yaml", CYCLE],
]
LEFT_TO_TYPER = [
    ["--help"],
    ["-h"],
    ["-fjson", CYCLE],
    ["-qf", "json", CYCLE],
    ["--format", "xml", CYCLE],
    ["--format"],
    ["--output", "--strict", CYCLE],
    ["--bogus", CYCLE],
    ["-f=json", CYCLE],
]


@pytest.mark.parametrize("arguments", PLAIN, ids=" ".join)
def test_plain_command_lines_give_the_typer_commands_request(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    seen: list[ValidateRequest] = []

    def record(request: ValidateRequest, stdout: object, stderr: object) -> int:
        seen.append(request)
        return 0

    monkeypatch.setattr(flowctl.validate_files, "validate_files", record)
    result = runner.invoke(app, ["validate", *arguments])
    assert result.exit_code == 0, result.output
    assert parse_validate(arguments) == seen[0]


@pytest.mark.parametrize("arguments", LEFT_TO_TYPER, ids=" ".join)
def test_other_command_lines_are_left_to_typer(arguments: list[str]) -> None:
    assert parse_validate(arguments) is None


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-X", "importtime", "-m", "flowctl", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if "|" in line}


def test_validate_imports_only_what_validation_needs() -> None:
    done = run("validate", "flows/post-purchase.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    modules = imported(done.stderr)
    assert "flowctl.validation" in modules
    heavy = {"typer", "click", "rich", "pydantic", "jsonschema", "referencing"}
    assert not {module.split(".")[0] for module in modules} & heavy
    assert not {
        module for module in modules if module.startswith(("flowctl.cli", "flowctl.engine"))
    }


def test_jsonschema_is_imported_only_to_explain_schema_errors() -> None:
    done = run("validate", str(FIXTURES / "invalid" / "schema-config.yaml"))
    assert done.returncode == 1
    assert "[schema]" in done.stdout
    assert "jsonschema" in imported(done.stderr)


def test_other_commands_and_help_go_through_typer() -> None:
    done = run("validate", "--help")
    assert done.returncode == 0
    assert "--format" in done.stdout and "typer" in {m.split(".")[0] for m in imported(done.stderr)}
    assert run("validate", "--format", "xml", CYCLE).returncode == 2
