"""SARIF for code scanning: the fields GitHub and other viewers read, on a project with a repeated
key, suppressed findings of both kinds and a path that names nothing; every log is checked
against the official SARIF 2.1.0 schema, and read back by sarif-tools."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

import flowctl
from flowctl.cli import app
from flowctl.diagnostics.rules import RULES
from flowctl.reporters.sarif import FINGERPRINT, RULE_TAGS
from tests.conftest import FIXTURES, ROOT

SARIF_SCHEMA = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
HOMEPAGE = "https://github.com/flowctl/flowctl"

REPEATED = """\
version: 1
name: repeated
start: a
nodes:
  a: {type: goal, config: {name: first}}
  a:
    type: goal
    config: {name: second}
"""
COMMENTED = """\
version: 1
name: commented
start: a
nodes:
  a: {type: goal, config: {name: done}}
  spare: {type: goal, config: {name: x}}   # flowctl: ignore[unreachable-node]
"""
IGNORED = """\
version: 1
name: ignored
start: a
nodes:
  a: {type: delay, config: {duration: 1d}, next: b}
  b: {type: delay, config: {duration: 1d}, next: a}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose configuration ignores `cycle` under legacy/; paths are relative to it."""
    (tmp_path / "flows" / "legacy").mkdir(parents=True)
    (tmp_path / "flows" / "repeated.yaml").write_text(REPEATED)
    (tmp_path / "flows" / "commented.yaml").write_text(COMMENTED)
    (tmp_path / "flows" / "legacy" / "loop.yaml").write_text(IGNORED)
    (tmp_path / ".flowctl.toml").write_text('[per-path-ignores]\n"flows/legacy/**" = ["cycle"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sarif(runner: CliRunner, *paths: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["validate", "--format", "sarif", *paths])
    log = json.loads(result.stdout)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert not errors, errors[0]
    return result.exit_code, log


def results_by_file(log: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for result in log["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        found.setdefault(uri, []).append(result)
    return found


def test_the_driver_names_its_version_home_and_rules(runner: CliRunner, project: Path) -> None:
    _, log = sarif(runner, "flows")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == flowctl.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", driver["semanticVersion"])
    assert driver["informationUri"] == HOMEPAGE
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    assert list(by_id) == list(RULES)
    assert by_id["duplicate-key"]["name"] == "DuplicateKey"
    assert by_id["yaml-syntax"]["name"] == "YamlSyntax"
    for rule_id, rule in by_id.items():
        assert rule["helpUri"] == f"{HOMEPAGE}/blob/main/docs/validation.md#{rule_id}"
        properties = rule["properties"]
        assert properties["tags"] == ["flowctl", RULE_TAGS[rule_id]]
        assert properties["precision"] in {"very-high", "high"}
        assert properties["problem.severity"] == str(RULES[rule_id].severity)
    assert by_id["unreachable-node"]["properties"]["problem.severity"] == "warning"
    assert by_id["yaml-boolean"]["properties"]["precision"] == "high"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, '-' for ' '."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_help_uri_lands_on_a_heading_of_the_rules_doc() -> None:
    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)
    anchors = {github_anchor(heading) for heading in headings}
    assert set(RULES) <= anchors
    assert set(RULE_TAGS) == set(RULES)  # each rule has its tag, and no tag names a lost rule


def test_a_repeated_key_points_at_its_first_copy(runner: CliRunner, project: Path) -> None:
    code, log = sarif(runner, "flows/repeated.yaml")
    assert code == 1
    (result,) = results_by_file(log)["flows/repeated.yaml"]
    assert result["ruleId"] == "duplicate-key"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    (related,) = result["relatedLocations"]
    assert related["id"] == 1
    assert related["message"]["text"] == "first definition of 'a'"
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "flows/repeated.yaml"},
        "region": {"startLine": 5, "startColumn": 3, "endLine": 5, "endColumn": 4},
    }


def test_suppressed_findings_are_kept_as_suppressions(runner: CliRunner, project: Path) -> None:
    code, log = sarif(runner, "flows/commented.yaml", "flows/legacy/loop.yaml")
    assert code == 0  # suppressed findings do not fail the run
    by_file = results_by_file(log)
    (comment,) = by_file["flows/commented.yaml"]
    assert comment["ruleId"] == "unreachable-node"
    assert comment["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "'# flowctl: ignore[unreachable-node]' on line 6",
        }
    ]
    loop = by_file["flows/legacy/loop.yaml"]
    assert [result["ruleId"] for result in loop] == ["cycle"]
    assert loop[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "'per-path-ignores' in the configuration of .flowctl.toml",
        }
    ]
    assert log["runs"][0]["invocations"] == [
        {"executionSuccessful": True, "exitCode": 0, "toolExecutionNotifications": []}
    ]


def test_fingerprints_survive_lines_moving(runner: CliRunner, project: Path) -> None:
    _, before = sarif(runner, "flows/repeated.yaml", "flows/legacy/loop.yaml")
    moved = project / "flows" / "repeated.yaml"
    moved.write_text("# a comment pushes every line down\n\n" + REPEATED)
    _, after = sarif(runner, "flows/repeated.yaml", "flows/legacy/loop.yaml")

    def prints(log: dict[str, Any]) -> list[str]:
        return [r["partialFingerprints"][FINGERPRINT] for r in log["runs"][0]["results"]]

    assert prints(before) == prints(after)
    assert len(set(prints(before))) == len(prints(before))
    lines = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in after["runs"][0]["results"]
    ]
    assert lines[0] == 8  # the line did move


def test_an_unreadable_path_makes_the_invocation_fail(runner: CliRunner, project: Path) -> None:
    code, log = sarif(runner, "flows/commented.yaml", "flows/missing.yaml", "flows/*.yml")
    assert code == 2
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "flows/missing.yaml: no such file or directory"}},
        {"level": "error", "message": {"text": "flows/*.yml: the pattern matches no flow files"}},
    ]
    assert list(results_by_file(log)) == ["flows/commented.yaml"]  # what was read is reported


def test_nothing_readable_is_still_a_failed_log_not_a_clean_one(
    runner: CliRunner, project: Path
) -> None:
    code, log = sarif(runner, "nowhere.yaml")
    assert code == 2
    run = log["runs"][0]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is False


@pytest.mark.skipif(
    shutil.which("sarif", path=str(Path(sys.executable).parent)) is None,
    reason="sarif-tools is not installed",
)
def test_sarif_tools_reads_the_log(runner: CliRunner, project: Path) -> None:
    """sarif-tools, a SARIF consumer of its own, reads every result of the log."""
    result = runner.invoke(app, ["validate", "--format", "sarif", "--output", "out.sarif", "flows"])
    assert result.exit_code == 1
    sarif_tool = Path(sys.executable).parent / "sarif"
    summary = subprocess.run(
        [sarif_tool, "summary", "out.sarif"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert summary.returncode == 0, summary.stderr
    counts = dict(re.findall(r"^(error|warning|note): (\d+)$", summary.stdout, flags=re.MULTILINE))
    log = json.loads((project / "out.sarif").read_text(encoding="utf-8"))
    levels = [result["level"] for result in log["runs"][0]["results"]]  # suppressed ones too
    assert counts == {level: str(levels.count(level)) for level in ("error", "warning", "note")}
    assert levels.count("error") == 2, summary.stdout
    listed = subprocess.run(
        [sarif_tool, "ls", "out.sarif"], capture_output=True, text=True, check=False, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
