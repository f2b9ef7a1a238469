"""Exit coverage: per flow, the (node, exit) pairs the cases took and those none did, as a
table and in JSON; `--min-coverage` fails each flow below it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "flowtest"


@pytest.fixture(autouse=True)
def in_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)


def coverage(runner: CliRunner, *args: str) -> tuple[int, list[dict]]:
    result = runner.invoke(app, ["test", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout)["coverage"]


def test_a_partly_covered_flow_lists_the_exits_no_case_took(runner: CliRunner) -> None:
    code, found = coverage(runner, "passing.flowtest.yaml")
    assert code == 0  # no minimum: coverage informs, it does not fail
    assert found == [
        {
            "flow": "shop.yaml",
            "exits": 9,  # has_email, welcome, wait_order x2, nudge, by_total x2, thanks_big, thanks
            "covered": 7,
            "percent": 77.78,
            "below_minimum": False,
            "missing": [{"node": "by_total", "exit": "default"}, {"node": "thanks", "exit": None}],
        }
    ]


def test_the_table_shows_the_numbers_and_what_is_missing(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "passing.flowtest.yaml"])
    assert (
        "exit coverage\n"
        "  flow           exits  covered  not taken\n"
        "  shop.yaml        7/9    77.7%  by_total -> default, thanks -> next\n"
    ) in result.stdout


def test_runs_of_every_file_naming_a_flow_count_for_it(runner: CliRunner) -> None:
    _, alone = coverage(runner, "failing.flowtest.yaml")
    _, together = coverage(runner, "passing.flowtest.yaml", "failing.flowtest.yaml")
    assert len(together) == 1
    assert alone[0]["covered"] == 4  # has_email, welcome, wait_order -> timeout, nudge
    assert together[0]["covered"] == 7


def test_a_contact_stopped_by_a_filter_does_not_take_its_exit(runner: CliRunner, tmp_path) -> None:
    (tmp_path / "shop.yaml").write_bytes((CORPUS / "shop.yaml").read_bytes())
    (tmp_path / "t.flowtest.yaml").write_text(
        "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\n"
        "cases: {x: {contact: {id: x}, expect: {status: filtered}}}\n",
        encoding="utf-8",
    )
    _, (found,) = coverage(runner, str(tmp_path))
    assert found["covered"] == 0 and found["percent"] == 0


@pytest.mark.parametrize(("minimum", "code"), [("77", 0), ("77.7", 0), ("77.8", 1), ("100", 1)])
def test_min_coverage_fails_below_it(runner: CliRunner, minimum: str, code: int) -> None:
    result = runner.invoke(app, ["test", "--min-coverage", minimum, "passing.flowtest.yaml"])
    assert result.exit_code == code
    reported = "shop.yaml:1:1: error: exit coverage of shop.yaml is 77.7%, below --min-coverage"
    assert (reported in result.stdout) == bool(code)
    if code:
        assert "no case took by_total -> default, thanks -> next [test-coverage]" in result.stdout
        assert "1 flow below the minimum exit coverage" in result.stdout


@pytest.mark.parametrize("minimum", ["-1", "101", "lots"])
def test_min_coverage_is_a_percentage(runner: CliRunner, minimum: str) -> None:
    result = runner.invoke(app, ["test", "--min-coverage", minimum, "passing.flowtest.yaml"])
    assert result.exit_code == 2
