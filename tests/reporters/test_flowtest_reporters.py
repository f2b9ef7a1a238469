"""Every output format of `flowctl test` on one corpus of passing, failing and malformed test
files (golden files), and the JUnit XML's shape as CI test reports read it."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FIXTURES

GOLDEN = FIXTURES / "golden" / "flowtest"
CORPUS = [
    "passing.flowtest.yaml",
    "failing.flowtest.yaml",
    "malformed.flowtest.yaml",
    "invalid-flow.flowtest.yaml",
    "missing-flow.flowtest.yaml",
    "broken-yaml.flowtest.yaml",
]
FORMATS = {"text": "txt", "json": "json", "junit": "xml", "github": "txt"}


@pytest.fixture(autouse=True)
def in_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "flowtest")


def run(runner: CliRunner, output_format: str, *extra: str):
    return runner.invoke(app, ["test", "--format", output_format, *extra, *CORPUS])


@pytest.mark.parametrize("output_format", FORMATS)
def test_each_format_matches_its_golden_file(runner: CliRunner, output_format: str) -> None:
    result = run(runner, output_format, "--min-coverage", "90")
    assert result.exit_code == 1
    golden = GOLDEN / f"corpus-{output_format}.{FORMATS[output_format]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_junit_has_a_testcase_per_case_and_failures_with_messages(runner: CliRunner) -> None:
    root = ET.fromstring(run(runner, "junit", "--min-coverage", "90").stdout)
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == [*CORPUS, "exit coverage"]
    failing = suites["failing.flowtest.yaml"]
    cases = failing.findall("testcase")
    assert len(cases) == int(failing.get("tests")) == 10
    assert int(failing.get("failures")) == 10
    status = next(case for case in cases if case.get("name") == "status")
    failure = status.find("failure")
    assert failure.get("type") == "test-failed"
    assert failure.get("message") == (
        "case 'status': status does not hold: expected completed, got filtered"
    )
    assert "failing.flowtest.yaml:25:15:" in failure.text
    assert status.get("classname") == status.get("file") == "failing.flowtest.yaml"
    assert status.get("line") == "22"
    malformed = suites["malformed.flowtest.yaml"]
    assert int(malformed.get("errors")) == 10  # the spoilt cases; 'still runs' passes
    total = sum(int(suite.get("tests")) for suite in suites.values())
    assert root.get("tests") == str(total)
    (broken,) = suites["broken-yaml.flowtest.yaml"].findall("testcase")
    assert broken.get("name") == "(test file)"
    assert broken.find("error").get("type") == "yaml-syntax"
    (low,) = suites["exit coverage"].findall("testcase")
    assert low.get("name") == "shop.yaml" and low.find("failure").get("type") == "test-coverage"


def test_junit_of_a_passing_suite_has_no_failures(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "--format", "junit", "passing.flowtest.yaml"])
    assert result.exit_code == 0
    root = ET.fromstring(result.stdout)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "0", "0")
    assert root.find(".//failure") is None and root.find(".//error") is None


def test_github_annotates_the_line_of_each_broken_expectation(runner: CliRunner) -> None:
    lines = run(runner, "github").stdout.splitlines()
    assert (
        "::error file=failing.flowtest.yaml,line=25,endLine=25,col=15,endColumn=23,"
        "title=test-failed::case 'status': status does not hold: expected completed, got filtered"
    ) in lines
    assert lines[-1].startswith("✗ ")


def test_output_writes_the_report_to_a_file(runner: CliRunner, tmp_path) -> None:
    target = tmp_path / "report.xml"
    result = runner.invoke(
        app, ["test", "--format", "junit", "--output", str(target), "passing.flowtest.yaml"]
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert ET.fromstring(target.read_text(encoding="utf-8")).get("tests") == "3"
