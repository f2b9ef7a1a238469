"""Every output format of `flowctl validate` on one multi-file, multi-error corpus (golden files),
SARIF against the SARIF 2.1.0 schema, GitHub's escaping rules and `--output FILE`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.diagnostics.findings import Diagnostic, Severity
from flowctl.diagnostics.rules import RULES
from flowctl.reporters.github import command
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "golden"
# Errors and warnings, hints and none, several rules per file, a valid file with a warning,
# and a file that does not parse.
CORPUS = [
    "invalid/schema-config.yaml",
    "invalid/dangling-edge.yaml",
    "invalid/split-percentages.yaml",
    "invalid/unreachable-node.yaml",
    "invalid/yaml-syntax.yaml",
    "invalid/yaml11-traps.yaml",
]
FORMATS = {"text": "txt", "json": "json", "github": "txt", "sarif": "sarif"}
SARIF_SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in the output, as a user running in the repository gets them."""
    monkeypatch.chdir(FIXTURES)


def validate(runner: CliRunner, *args: str):
    return runner.invoke(app, ["validate", *args])


@pytest.mark.usefixtures("in_fixtures")
@pytest.mark.parametrize("output_format", FORMATS)
def test_each_format_matches_its_golden_file(runner: CliRunner, output_format: str) -> None:
    result = validate(runner, "--format", output_format, *CORPUS)
    assert result.exit_code == 1
    golden = GOLDEN / f"corpus-{output_format}.{FORMATS[output_format]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


@pytest.mark.usefixtures("in_fixtures")
def test_sarif_is_valid_sarif_2_1_0_with_one_descriptor_per_rule(runner: CliRunner) -> None:
    log = json.loads(validate(runner, "--format", "sarif", *CORPUS).stdout)
    Draft4Validator.check_schema(SARIF_SCHEMA)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert not errors, errors[0]
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    cycle = rules[list(RULES).index("cycle")]
    assert cycle["fullDescription"]["text"] == RULES["cycle"].explanation
    assert RULES["cycle"].example in cycle["help"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri in CORPUS


def test_sarif_uris_are_relative_with_forward_slashes(runner: CliRunner) -> None:
    absolute = FIXTURES / "invalid" / "cycle.yaml"
    log = json.loads(validate(runner, "--format", "sarif", str(absolute)).stdout)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tests/fixtures/invalid/cycle.yaml"
    assert location["region"] == {"startLine": 9, "startColumn": 11, "endLine": 9, "endColumn": 12}


def test_sarif_of_valid_files_has_no_results(runner: CliRunner) -> None:
    result = validate(runner, "--format", "sarif", str(FIXTURES.parent.parent / "flows"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["runs"][0]["results"] == []


def diagnostic(**changes: object) -> Diagnostic:
    fields: dict[str, object] = {
        "rule": "schema",
        "severity": Severity.ERROR,
        "message": "config has 100% of: a, b\nand more",
        "path": "flows/a,b:c.yaml",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 9,
    }
    return Diagnostic(**{**fields, **changes})  # type: ignore[arg-type]


def test_github_escapes_messages_and_properties() -> None:
    assert command(diagnostic()) == (
        "::error file=flows/a%2Cb%3Ac.yaml,line=3,endLine=3,col=5,endColumn=8,title=schema"
        "::config has 100%25 of: a, b%0Aand more"
    )


def test_github_drops_columns_of_a_span_over_several_lines() -> None:
    spread = command(diagnostic(end_line=5, end_column=2, severity=Severity.WARNING))
    assert spread.startswith("::warning file=flows/a%2Cb%3Ac.yaml,line=3,endLine=5,title=schema::")


def test_github_zero_width_span_and_hint() -> None:
    found = command(diagnostic(end_column=5, hint="did you mean 'x'?", message="m"))
    assert found.endswith("col=5,endColumn=5,title=schema::m (hint: did you mean 'x'?)")


@pytest.mark.usefixtures("in_fixtures")
def test_output_file_gets_the_report_and_stdout_nothing(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    result = validate(runner, "--format", "sarif", "--output", str(target), *CORPUS)
    assert result.exit_code == 1
    assert result.stdout == ""
    expected = (GOLDEN / "corpus-sarif.sarif").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == expected


def test_unwritable_output_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "report.txt"
    result = validate(runner, "-o", str(target), str(FIXTURES / "invalid" / "cycle.yaml"))
    assert result.exit_code == 2
    assert f"flowctl: error: {target}: No such file or directory" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("in_fixtures")
def test_coloured_text_is_the_plain_text_with_escape_codes(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = validate(runner, *CORPUS).stdout
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = validate(runner, *CORPUS).stdout
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_github_annotates_unreadable_paths_and_never_says_all_valid(runner: CliRunner) -> None:
    valid = str(FIXTURES.parent.parent / "flows" / "post-purchase.yaml")
    result = validate(runner, "--format", "github", valid, "nowhere.yaml")
    assert result.exit_code == 2
    assert result.stdout == (
        "::error title=flowctl::nowhere.yaml: no such file or directory\n"
        "✗ 0 errors, 0 warnings in 1 file (0 invalid, 1 path not read)\n"
    )
