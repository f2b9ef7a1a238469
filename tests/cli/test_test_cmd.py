"""`flowctl test` on the command line: paths, defaults, stdin and the exit codes of DESIGN §9."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "flowtest"
PASSING = (CORPUS / "passing.flowtest.yaml").read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A project with its flows (and their tests) under flows/, the default path."""
    flows = tmp_path / "flows"
    (flows / "contacts").mkdir(parents=True)
    (flows / "shop.yaml").write_bytes((CORPUS / "shop.yaml").read_bytes())
    (flows / "contacts" / "ana.json").write_bytes((CORPUS / "contacts" / "ana.json").read_bytes())
    (flows / "shop.flowtest.yaml").write_text(PASSING, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("project")
def test_without_paths_the_configured_paths_are_searched(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("flows/shop.flowtest.yaml (flow flows/shop.yaml)\n")
    assert result.stdout.endswith("✓ 3 cases passed in 1 file\n")


@pytest.mark.usefixtures("project")
def test_validate_leaves_test_files_beside_flows_alone(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "flows/"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "✓ 1 file valid\n"


@pytest.mark.usefixtures("project")
def test_a_missing_path_is_exit_2_and_the_others_still_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "flows/", "nowhere/"])
    assert result.exit_code == 2
    assert "✓ 3 cases passed in 1 file" in result.stdout
    assert "flowctl: error: nowhere/: no such file or directory" in result.stderr


@pytest.mark.usefixtures("project")
def test_a_test_file_on_stdin_is_relative_to_the_working_directory(runner: CliRunner) -> None:
    text = PASSING.replace("flow: shop.yaml", "flow: flows/shop.yaml").replace(
        "contacts/ana.json", "flows/contacts/ana.json"
    )
    result = runner.invoke(app, ["test", "-"], input=text)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("<stdin> (flow flows/shop.yaml)\n")


@pytest.mark.usefixtures("project")
def test_an_unknown_format_is_a_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(app, ["test", "--format", "tap"]).exit_code == 2


def test_the_console_script_runs_it_without_a_traceback(project) -> None:
    (project / "flows" / "broken.flowtest.yaml").write_text("flow: [\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "flowctl", "test"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "flows/broken.flowtest.yaml:2:1: error:" in done.stdout


def test_output_never_overwrites_a_test_file(runner: CliRunner, project) -> None:
    result = runner.invoke(app, ["test", "--output", "flows/shop.flowtest.yaml"])
    assert result.exit_code == 2
    assert "looks like a flow test file" in result.stderr
    assert (project / "flows" / "shop.flowtest.yaml").read_text(encoding="utf-8") == PASSING


@pytest.mark.usefixtures("project")
def test_colour_output_goes_through_rich(runner: CliRunner, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = runner.invoke(app, ["test"])
    assert result.exit_code == 0
    assert "\x1b[" in result.stdout and "3 cases passed in 1 file" in result.stdout


def test_unquoted_yaml_times_in_contacts_are_times(runner: CliRunner, project) -> None:
    text = (
        "flow: shop.yaml\nnow: 2026-11-24T08:00:00Z\ncases:\n  buys:\n"
        "    contact:\n      id: x\n      attributes: {email: x@example.com, total: 5}\n"
        "      events: [{name: purchased, at: 2026-11-25T10:00:00Z}]\n"
        "    expect: {exits: {wait_order: received, by_total: default}, status: converted}\n"
    )
    (project / "flows" / "unquoted.flowtest.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["test", "flows/unquoted.flowtest.yaml"])
    assert result.exit_code == 0, result.stdout
