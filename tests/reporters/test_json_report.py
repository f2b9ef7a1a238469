"""`--format json` as a contract: real reports of valid, invalid, suppressed and unreadable runs
against the published schema (schemas/report.schema.json), the versions, and column units."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from typer.testing import CliRunner

import flowctl
from flowctl.cli import app
from tests.conftest import FIXTURES, FLOWS, ROOT

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def report(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["validate", "--format", "json", *args], input=stdin)
    document = json.loads(result.stdout)
    errors = sorted(Draft7Validator(SCHEMA).iter_errors(document), key=str)
    assert not errors, errors[0]
    return result.exit_code, document


def test_the_schema_is_a_valid_draft_07_schema() -> None:
    Draft7Validator.check_schema(SCHEMA)


def test_a_valid_run(runner: CliRunner) -> None:
    code, document = report(runner, str(FLOWS))
    assert code == 0
    assert document["version"] == 1
    assert document["flowctl_version"] == flowctl.__version__
    assert document["unreadable"] == []
    assert document["summary"]["passed"] is True
    assert all(file["valid"] and not file["diagnostics"] for file in document["files"])


def test_an_invalid_run_with_every_kind_of_diagnostic(runner: CliRunner) -> None:
    code, document = report(runner, str(FIXTURES / "invalid"))
    assert code == 1
    rules = {d["rule"] for file in document["files"] for d in file["diagnostics"]}
    assert {"yaml-syntax", "duplicate-key", "schema", "cycle", "unreachable-node"} <= rules
    summary = document["summary"]
    assert summary["passed"] is False
    assert summary["valid"] < summary["files"]


def test_a_repeated_key_names_its_first_copy(runner: CliRunner, tmp_path: Path) -> None:
    flow = tmp_path / "twice.yaml"
    flow.write_text("version: 1\nname: twice\nname: again\nstart: a\nnodes: {a: {type: goal}}\n")
    _, document = report(runner, str(flow))
    (repeat,) = [d for d in document["files"][0]["diagnostics"] if d["rule"] == "duplicate-key"]
    assert (repeat["line"], repeat["column"]) == (3, 1)
    assert repeat["related"] == [
        {
            "message": "first definition of 'name'",
            "line": 2,
            "column": 1,
            "end_line": 2,
            "end_column": 5,
        }
    ]


def test_suppressed_diagnostics_are_listed_apart(runner: CliRunner, tmp_path: Path) -> None:
    flow = tmp_path / "spare.yaml"
    flow.write_text(
        "version: 1\nname: spare\nstart: a\nnodes:\n  a: {type: goal, config: {name: x}}\n"
        "  b: {type: goal, config: {name: y}}  # flowctl: ignore[unreachable-node]\n"
    )
    code, document = report(runner, str(flow))
    assert code == 0
    (file,) = document["files"]
    assert file["valid"] is True and file["diagnostics"] == []
    (suppressed,) = file["suppressed"]
    assert suppressed["rule"] == "unreachable-node"
    assert suppressed["suppression"] == {
        "kind": "inSource",
        "justification": "'# flowctl: ignore[unreachable-node]' on line 6",
    }
    assert document["summary"]["suppressed"] == 1


@pytest.mark.parametrize(
    "paths",
    [["nowhere.yaml"], ["{flows}", "nowhere.yaml"], ["{empty}"], ["{flows}/*.nothing*"]],
    ids=["missing", "missing-beside-valid", "empty-directory", "glob-matching-nothing"],
)
def test_an_unreadable_path_never_looks_like_a_clean_run(
    runner: CliRunner, tmp_path: Path, paths: list[str]
) -> None:
    (tmp_path / "empty").mkdir()
    given = [p.format(flows=FLOWS, empty=tmp_path / "empty") for p in paths]
    code, document = report(runner, *given)
    assert code == 2
    summary = document["summary"]
    assert summary["passed"] is False
    assert summary["unreadable"] == len(document["unreadable"]) == 1
    assert document["unreadable"][0]["message"].startswith(given[-1])


def test_columns_count_code_points_and_end_just_past_the_span(
    runner: CliRunner, tmp_path: Path
) -> None:
    """As documented: 1-based, one column per code point (é, 😀 and a tab are one each)."""
    flow = tmp_path / "wide.yaml"
    flow.write_text(
        "version: 1\nname: wide\ndescription: é😀\tx\nstart: a\n"
        'nodes: {a: {type: goal, config: {name: x}}, "é😀": {type: goal, config: {name: y}}}\n',
        encoding="utf-8",
    )
    _, document = report(runner, str(flow))
    (orphan,) = [d for d in document["files"][0]["diagnostics"] if d["rule"] == "schema"]
    line = flow.read_text(encoding="utf-8").splitlines()[orphan["line"] - 1]
    assert line[orphan["column"] - 1 : orphan["end_column"] - 1] == '"é😀"'
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "Unicode code points" in docs and "schemas/report.schema.json" in docs


def test_standard_input_is_reported_as_stdin(runner: CliRunner) -> None:
    code, document = report(runner, "-", stdin=(FLOWS / "post-purchase.yaml").read_text())
    assert code == 0
    assert document["files"][0]["path"] == "<stdin>"


def test_a_rule_ignored_by_the_configuration_is_suppressed_externally(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flowctl]\nignore = ["unreachable-node"]\n')
    shutil.copy(FIXTURES / "invalid" / "unreachable-node.yaml", tmp_path / "orphan.yaml")
    monkeypatch.chdir(tmp_path)
    code, document = report(runner, "orphan.yaml")
    assert code == 0
    (file,) = document["files"]
    assert file["diagnostics"] == []
    assert [(s["rule"], s["line"], s["suppression"]) for s in file["suppressed"]] == [
        (
            "unreachable-node",
            6,
            {
                "kind": "external",
                "justification": "'ignore' in the configuration of pyproject.toml",
            },
        )
    ]
