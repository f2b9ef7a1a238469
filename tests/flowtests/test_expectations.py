"""`flowctl test` checks every expectation kind of DESIGN §9 and reports a broken one at its
line and column in the test file, with the expected and the actual value."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "flowtest"


@pytest.fixture
def in_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)


def run_json(runner: CliRunner, *paths: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["test", "--format", "json", *paths])
    return result.exit_code, json.loads(result.stdout)


def cases_of(document: dict) -> dict[str, dict]:
    return {case["name"]: case for file in document["files"] for case in file["cases"]}


@pytest.mark.usefixtures("in_corpus")
def test_a_file_whose_expectations_all_hold_passes(runner: CliRunner) -> None:
    code, document = run_json(runner, "passing.flowtest.yaml")
    assert code == 0
    cases = cases_of(document)
    assert all(case["passed"] and not case["failures"] for case in cases.values())
    assert cases["no email, no flow"]["path"] == ["has_email"]
    assert cases["no email, no flow"]["status"] == "filtered"
    assert document["summary"] == {
        "files": 1, "invalid_files": 0, "cases": 3, "passed": 3, "failed": 0, "not_run": 0,
        "min_coverage": None, "passed_all": True,
    }  # fmt: skip


# case name -> (line, column, expected, actual) of its one broken expectation
BROKEN = {
    "path": (
        8, 46,
        "has_email -> welcome -> wait_order -> by_total",
        "has_email -> welcome -> wait_order -> nudge",
    ),
    "visits": (12, 25, "visits 'thanks'", "not visited"),
    "not_visits": (16, 20, "never visits 'nudge'", "visited at 2026-11-26T08:00:00Z"),
    "status": (25, 15, "completed", "filtered"),
    "ended_at": (29, 17, "2026-11-25T08:00:00Z", "2026-11-26T08:00:00Z"),
    "at": (33, 19, "2026-11-25T08:00:00Z", "2026-11-26T08:00:00Z"),
    "effects": (
        39, 11,
        '{"send": {"template_id": "nudge", "channel": "email"}}',
        '{"send": {"channel": "sms", "template_id": "nudge", "to": "f1"}}',
    ),
    "too many effects": (
        44, 9, "1 effect",
        '2 effects; the next: {"send": {"channel": "sms", "template_id": "nudge", "to": "f2"}}',
    ),
}  # fmt: skip


@pytest.mark.usefixtures("in_corpus")
@pytest.mark.parametrize("name", BROKEN)
def test_each_expectation_kind_fails_at_its_line(runner: CliRunner, name: str) -> None:
    code, document = run_json(runner, "failing.flowtest.yaml")
    assert code == 1
    case = cases_of(document)[name]
    assert not case["passed"]
    (failure,) = case["failures"]
    line, column, expected, actual = BROKEN[name]
    assert (failure["line"], failure["column"]) == (line, column)
    assert (failure["expected"], failure["actual"]) == (expected, actual)
    assert failure["rule"] == "test-failed"
    assert failure["path"] == "failing.flowtest.yaml"
    assert f"expected {expected}, got {actual}" in failure["message"]


@pytest.mark.usefixtures("in_corpus")
def test_every_broken_exit_is_reported_not_just_the_first(runner: CliRunner) -> None:
    _, document = run_json(runner, "failing.flowtest.yaml")
    failures = cases_of(document)["exits"]["failures"]
    assert [(f["line"], f["column"], f["expected"], f["actual"]) for f in failures] == [
        (21, 27, "'received'", "'timeout'"),
        (21, 47, "'big'", "not visited"),
    ]


@pytest.mark.usefixtures("in_corpus")
def test_a_run_that_fails_fails_its_case_unless_it_expects_failed(runner: CliRunner) -> None:
    _, document = run_json(runner, "failing.flowtest.yaml")
    case = cases_of(document)["the run fails"]
    (failure,) = case["failures"]
    assert (failure["line"], failure["column"]) == (45, 3)  # the case's name
    assert failure["actual"].startswith("failed: node 'wait_order'")
    assert case["status"] == "failed"


def test_status_failed_can_be_expected(runner: CliRunner, tmp_path) -> None:
    (tmp_path / "shop.yaml").write_bytes((CORPUS / "shop.yaml").read_bytes())
    test_file = tmp_path / "late.flowtest.yaml"
    test_file.write_text(
        "flow: shop.yaml\nnow: '9999-12-31T00:00:00Z'\ncases:\n"
        "  too late:\n    contact: {id: r1, attributes: {email: r@example.com}}\n"
        "    expect: {status: failed, path: [has_email, welcome, wait_order]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", str(test_file)])
    assert result.exit_code == 0, result.stdout
    assert "✓ too late" in result.stdout


@pytest.mark.usefixtures("in_corpus")
def test_a_failure_shows_the_contacts_path_and_its_steps(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "failing.flowtest.yaml"])
    text = result.stdout
    where = "failing.flowtest.yaml:25:15: error: "
    assert where + "case 'status': status does not hold [test-failed]" in text
    block = text[text.index("case 'status'") :]
    shown = "      expected: completed\n      actual:   filtered\n      path:     has_email\n"
    assert shown in block
    assert "2026-11-24T08:00:00Z  has_email (filter) ends filtered" in block


def test_effects_are_subset_matches_where_true_is_not_one(runner: CliRunner, tmp_path) -> None:
    flow = (
        "version: 1\nname: flags\nstart: tag\nnodes:\n"
        "  tag: {type: update_contact, config: {set: {vip: true, score: 1}}}\n"
    )
    (tmp_path / "flags.yaml").write_text(flow, encoding="utf-8")
    cases = {
        "boolean matches boolean": ("{update: {set: {vip: true}}}", True),
        "one is not true": ("{update: {set: {vip: 1}}}", False),
        "true is not one": ("{update: {set: {score: true}}}", False),
        "a missing key fails": ("{update: {set: {gold: true}}}", False),
    }
    lines = ["flow: flags.yaml", "now: '2026-01-01T00:00:00Z'", "cases:"]
    for name, (effect, _) in cases.items():
        lines += [f"  {name}:", "    contact: {id: c1}", f"    expect: {{effects: [{effect}]}}"]
    (tmp_path / "flags.flowtest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["test", "--format", "json", str(tmp_path)])
    passed = {case["name"]: case["passed"] for case in cases_of(json.loads(result.stdout)).values()}
    assert passed == {name: expected for name, (_, expected) in cases.items()}


def test_a_failing_case_explains_each_decision_of_its_run(runner: CliRunner, tmp_path) -> None:
    (tmp_path / "shop.yaml").write_bytes((CORPUS / "shop.yaml").read_bytes())
    (tmp_path / "small.flowtest.yaml").write_text(
        "flow: shop.yaml\nnow: '2026-11-24T08:00:00Z'\ncases:\n  small order:\n"
        "    contact: {id: s, attributes: {email: s@example.com, total: 20}, "
        "events: [{name: purchased, at: '2026-11-25T10:00:00Z'}]}\n"
        "    set: {total: 30}\n"
        "    expect: {exits: {by_total: big}}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["test", str(tmp_path / "small.flowtest.yaml")])
    assert result.exit_code == 1
    assert (
        "        2026-11-25T10:00:00Z  by_total (branch) -> default\n"
        "            case 'big': total = 30; gte 100 -> false\n"  # the overridden value
    ) in result.stdout
    assert '            condition: email = "s@example.com"; exists true -> true\n' in result.stdout
