"""A malformed test file is diagnostics (`test-invalid`, with did-you-mean hints), never a crash:
the cases it spoils do not run, the others do, and the file fails."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.config.settings import Config
from flowctl.flowtests import run_suite
from flowctl.flowtests.suite import Flows, run_file
from tests.conftest import FIXTURES, VALIDATOR

CORPUS = FIXTURES / "flowtest"


@pytest.fixture
def in_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)


# (line, column, message start, hint) of each problem in malformed.flowtest.yaml
PROBLEMS = [
    (4, 1, "unknown key 'timeout'; a flow test file takes flow, now, cases", None),
    (8, 14, "unknown key 'vists'", "did you mean 'visits'?"),
    (11, 27, "case 'unknown node': flow 'shop' has no node 'nuge'", "did you mean 'nudge'?"),
    (14, 34, "case 'unknown exit': node 'wait_order' has no exit 'recieved'",
     "did you mean 'received'?"),
    (17, 31, "case 'single exit': node 'welcome' (send_message) has no named exits",
     "'exits' checks branch, split and wait_for_event nodes; use 'visits' here"),
    (20, 10, "'now' must be an ISO 8601 time such as 2026-11-24T08:00:00Z, not 'next tuesday'",
     None),
    (24, 22, "'status' must be one of completed, filtered, converted, failed",
     "did you mean 'converted'?"),
    (25, 3, "case 'no contact' needs exactly one of 'contact' or 'contact_file'", None),
    (28, 14, "not a contact: contact is missing 'id'", None),
    (31, 19, "cannot read the contact file: contacts/nobody.json", None),
    (33, 3, "case 'nothing expected' expects nothing",
     "add 'expect:' with path, visits, exits, status, effects, ..."),
]  # fmt: skip


@pytest.mark.usefixtures("in_corpus")
def test_each_mistake_is_a_diagnostic_at_its_place(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "--format", "json", "malformed.flowtest.yaml"])
    assert result.exit_code == 1
    (file,) = json.loads(result.stdout)["files"]
    assert not file["valid"]
    found = [(d["line"], d["column"], d["message"], d["hint"]) for d in file["diagnostics"]]
    assert len(found) == len(PROBLEMS)
    for (line, column, message, hint), wanted in zip(found, PROBLEMS, strict=True):
        assert (line, column) == wanted[:2]
        assert message.startswith(wanted[2]), message
        assert hint == wanted[3]
    assert {d["rule"] for d in file["diagnostics"]} == {"test-invalid"}
    runs = {case["name"]: case["ran"] for case in file["cases"]}
    assert runs.pop("still runs") is True
    assert not any(runs.values())


@pytest.mark.usefixtures("in_corpus")
def test_an_invalid_flow_fails_the_file_and_shows_why(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "invalid-flow.flowtest.yaml"])
    assert result.exit_code == 1
    assert (
        "invalid-flow.flowtest.yaml:2:7: error: the flow ../invalid/cycle.yaml is invalid "
        "(1 error); its cases cannot run [test-invalid]"
    ) in result.stdout
    flow_error = "../invalid/cycle.yaml:9:11: error: node 'b' (delay): this exit closes a cycle"
    assert flow_error in result.stdout
    assert "  - never runs (not run" in result.stdout


@pytest.mark.usefixtures("in_corpus")
def test_a_missing_flow_is_a_problem_of_the_test_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["test", "missing-flow.flowtest.yaml"])
    assert result.exit_code == 1
    reported = "missing-flow.flowtest.yaml:1:7: error: cannot read the flow: no-such-flow.yaml"
    assert reported in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; a flow test needs 'flow' and 'cases'"),
        ("[1, 2]", "a flow test file must be a mapping, not a list"),
        ("flow: shop.yaml\n", "'cases' is missing: a mapping of case name -> case"),
        ("flow: shop.yaml\ncases: {}\n", "'cases' is empty; add at least one case"),
        (
            "cases: {a: {contact: {id: x}, now: '2026-01-01T00:00:00Z', "
            "expect: {status: completed}}}",
            "'flow' is missing: the flow file these cases test",
        ),
        (
            "flow: shop.yaml\ncases: {a: {contact: {id: x}, expect: {status: completed}}}\n",
            "case 'a' has no clock: nothing sets 'now'",
        ),
        (
            "flow: shop.yaml\nnow: 2026-11-24\n"
            "cases: {a: {contact: {id: x}, expect: {status: completed}}}",
            "'now' must be an ISO 8601 time such as 2026-11-24T08:00:00Z, not 2026-11-24",
        ),
        (
            "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\ncases: {a: {contact: {id: x}, seed: -1, "
            "expect: {status: completed}}}",
            "'seed' must be an integer from 0 to 10^18, not -1",
        ),
        (
            "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\ncases: {a: {contact: {id: x}, "
            "set: {'a..b': 1}, expect: {status: completed}}}",
            "set.a..b: ",
        ),
        (
            "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\ncases: {a: {contact: {id: x}, "
            "expect: {effects: [send]}}}",
            "effects[0] must be an effect object",
        ),
        (
            "flow: shop.yaml\ncases: {a: {contact: {id: x}, now: 1, expect: {at: {welcome: x}}}}",
            "'now' must be an ISO 8601 time",
        ),
        ("flow: [shop.yaml]\ncases: {}\n", "'flow' must be the path of a flow file, not a list"),
        (
            "flow: shop.yaml\nnow: 0001-01-01T00:00:00+05:00\n"
            "cases: {a: {contact: {id: x}, expect: {status: completed}}}",
            "'now' must be an ISO 8601 time",
        ),
        (
            "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\ncases: {a: {contact: {id: x, "
            "events: [{name: e, at: 0001-01-01T00:00:00+05:00}]}, expect: {status: completed}}}",
            "not a contact: 0001-01-01 00:00:00+05:00 is out of the range of years 1 to 9999",
        ),
        ("flow: '-'\ncases: {}\n", "'flow' must be the path of a flow file, not '-'"),
        (
            "flow: shop.yaml\nnow: '2026-01-01T00:00:00Z'\n"
            "cases: {a: {contact_file: '-', expect: {status: completed}}}",
            "'contact_file' must be the path of a file, not '-'",
        ),
        ("key: [unclosed\n", "did not find expected ',' or ']'"),
    ],
)
def test_malformed_files_say_what_is_wrong(text: str, message: str) -> None:
    report = run_file(text, str(CORPUS / "m.flowtest.yaml"), Flows(Config(), VALIDATOR))
    assert not report.valid
    assert any(d.message.startswith(message) for d in report.problems), report.problems


_OFFSETS = st.builds(
    timezone, st.timedeltas(min_value=-timedelta(hours=23), max_value=timedelta(hours=23))
)
# YAML's own scalars too: timestamps (with offsets, near the ends of the calendar) and dates.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.datetimes(timezones=st.none() | _OFFSETS),
    st.dates(),
)
_KEYS = st.sampled_from(
    ["flow", "now", "cases", "contact", "contact_file", "set", "seed", "expect", "path", "visits",
     "not_visits", "exits", "status", "ended_at", "at", "effects", "id", "attributes", "welcome",
     "send", "x"]
)  # fmt: skip


def _nested(levels: int) -> st.SearchStrategy:
    """Values nested up to `levels` deep: deep enough for cases -> case -> expect -> kind."""
    values = _SCALARS | st.just("shop.yaml") | st.just("2026-11-24T08:00:00Z")
    for _ in range(levels):
        values = values | st.lists(values, max_size=3) | st.dictionaries(_KEYS, values, max_size=3)
    return values


_VALUES = _nested(4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(_KEYS, _VALUES, max_size=4))
def test_no_document_crashes_the_reader(document: dict) -> None:
    text = yaml.safe_dump(document)  # any shape and any scalar the format could be given
    report = run_file(text, str(CORPUS / "fuzz.flowtest.yaml"), Flows(Config(), VALIDATOR))
    assert report.valid or report.problems


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=80))
def test_no_text_crashes_the_reader(text: str) -> None:
    report = run_file(text, str(CORPUS / "fuzz.flowtest.yaml"), Flows(Config(), VALIDATOR))
    assert report.valid or report.problems


def test_a_directory_without_test_files_is_a_usage_problem(tmp_path) -> None:
    result = run_suite([str(tmp_path)], Config(), VALIDATOR)
    assert result.problems == (f"{tmp_path}: no *.flowtest.yaml files in this directory",)
    assert result.exit_code == 2


def test_nothing_read_prints_no_summary_beside_the_error(
    runner: CliRunner, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["test", "."])
    assert result.exit_code == 2
    assert "no *.flowtest.yaml files" in result.stderr
    assert result.stdout == ""  # not "✓ 0 cases passed"


_NODE_IDS = st.sampled_from(["has_email", "welcome", "wait_order", "by_total", "nudge", "nuge"])
# Well-formed cases with random contacts and expectations: they get past the reader, so the
# dry runs and every check meet them (the tests above cover malformed values).
_TIMES = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=_OFFSETS
)
_TEMPLATES = st.sampled_from(["welcome", "nudge", "thanks"])
_EXPECT = st.fixed_dictionaries(
    {},
    optional={
        "path": st.lists(_NODE_IDS, max_size=5),
        "visits": st.lists(_NODE_IDS, max_size=2),
        "not_visits": st.lists(_NODE_IDS, max_size=2),
        "exits": st.fixed_dictionaries(
            {},
            optional={
                "wait_order": st.sampled_from(["received", "timeout"]),
                "by_total": st.sampled_from(["big", "default"]),
            },
        ),
        "status": st.sampled_from(["completed", "filtered", "converted", "failed"]),
        "ended_at": _TIMES,
        "at": st.dictionaries(_NODE_IDS, _TIMES, max_size=2),
        "effects": st.lists(
            st.fixed_dictionaries(
                {"send": st.fixed_dictionaries({}, optional={"template_id": _TEMPLATES})}
            ),
            max_size=3,
        ),
    },
).filter(bool)
_CONTACTS = st.fixed_dictionaries(
    {"id": st.sampled_from(["c1", "c2", "c3"])},
    optional={
        "attributes": st.dictionaries(
            st.sampled_from(["email", "total"]), st.integers() | st.text(max_size=5)
        ),
        "events": st.lists(
            st.fixed_dictionaries({"name": st.just("purchased"), "at": _TIMES}), max_size=2
        ),
    },
)
_CASE = st.fixed_dictionaries(
    {"contact": _CONTACTS, "expect": _EXPECT},
    optional={
        "set": st.dictionaries(st.sampled_from(["total", "email"]), st.integers(), max_size=2),
        "seed": st.integers(min_value=0, max_value=9),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=_TIMES, cases=st.dictionaries(st.text(min_size=1, max_size=8), _CASE, max_size=3))
def test_random_expectations_are_checked_not_crashed_on(now, cases: dict) -> None:
    text = yaml.safe_dump({"flow": "shop.yaml", "now": now, "cases": cases}, sort_keys=False)
    report = run_file(text, str(CORPUS / "fuzz.flowtest.yaml"), Flows(Config(), VALIDATOR))
    assert [case.name for case in report.cases] == list(cases)
    for case in report.cases:
        names_unknown = "nuge" in yaml.safe_dump(cases[case.name]["expect"])
        assert (case.run is None) == names_unknown, report.problems
        for failure in case.failures:
            assert failure.diagnostic.line > 1 and failure.expected != failure.actual
