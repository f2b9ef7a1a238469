"""`flowctl run FLOW --dry-run` through the CLI: golden traces, timeline, audience, exit codes.

Golden files live in tests/fixtures/golden/run/; regenerate with UPDATE_GOLDEN=1, then read them.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flowctl.cli import app
from tests.conftest import FIXTURES, FLOWS, bundled_flows

GOLDEN = FIXTURES / "golden" / "run"
RUN = FIXTURES / "run"
NOW = "2026-11-20T10:00:00Z"
CONTACT = str(FLOWS / "contact.sample.json")
AUDIENCE = str(FLOWS / "contacts.sample.jsonl")
BUNDLED = [path.stem for path in bundled_flows()]


def dry_run(runner: CliRunner, flow: str | Path, *args: str, stdin: str | None = None) -> Result:
    path = flow if isinstance(flow, Path) else FLOWS / f"{flow}.yaml"
    return runner.invoke(app, ["run", str(path), "--dry-run", "--now", NOW, *args], input=stdin)


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("flow", BUNDLED)
def test_audience_traces_of_the_bundled_flows_match_golden(runner: CliRunner, flow: str) -> None:
    result = dry_run(runner, flow, "--contacts", AUDIENCE, "--format", "json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 12 and all(json.loads(line)["flow"] == flow for line in lines)
    check_golden(f"{flow}.jsonl", result.stdout)


def test_golden_traces_cover_every_node_type_exit_and_status() -> None:
    seen: set[tuple[str, str | None]] = set()
    statuses: set[str] = set()
    for path in GOLDEN.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            trace = json.loads(line)
            statuses.add(trace["status"])
            seen |= {(step["type"], step["exit"]) for step in trace["steps"]}
    assert statuses == {"completed", "filtered", "converted"}
    assert {
        ("branch", "shoes"), ("branch", "bags"), ("branch", "big_spender"), ("branch", "default"),
        ("split", "control"), ("split", "discount"),
        ("wait_for_event", "received"), ("wait_for_event", "timeout"),
        ("send_message", None), ("delay", None), ("filter", None), ("update_contact", None),
        ("webhook", None), ("goal", None),
    } == seen  # fmt: skip


def test_one_contact_as_json_is_the_design_trace_marked_as_a_dry_run(runner: CliRunner) -> None:
    result = dry_run(runner, "vip-winback", "--contact", CONTACT, "--format", "json")
    assert result.exit_code == 0, result.output
    trace = json.loads(result.stdout)
    assert list(trace) == ["flow", "contact", "status", "steps", "ended_at", "dry_run"]
    assert all(list(step) == ["node", "type", "at", "exit", "effect"] for step in trace["steps"])
    check_golden("vip-winback.contact.json", result.stdout)


@pytest.mark.parametrize(
    ("flow", "override"),
    [("abandoned-cart", "first_name=null"), ("welcome-series", "timezone=Mars/Olympus")],
)
def test_text_timeline_shows_time_node_exit_effects_and_warnings(
    runner: CliRunner, flow: str, override: str
) -> None:
    result = dry_run(runner, flow, "--contact", CONTACT, "--set", override)
    assert result.exit_code == 0, result.output
    check_golden(f"{flow}.contact.txt", result.stdout)


def test_contact_from_stdin_and_typed_overrides(runner: CliRunner) -> None:
    person = '{"id": "c-9", "attributes": {"last_order": {"category": "shoes"}}}'
    overrides = ("--set", "last_order.category=hats", "--set", "last_order.total=650")
    result = dry_run(
        runner, "post-purchase", "--contact", "-", "--format", "json", *overrides, stdin=person
    )
    assert result.exit_code == 0, result.output
    trace = json.loads(result.stdout)
    # 650 is a number (JSON-typed), but there is no purchase in the last 30 days: default.
    assert trace["contact"] == "c-9"
    assert [(s["node"], s["exit"]) for s in trace["steps"]][2:] == [
        ("by_category", "default"),
        ("generic_offer", None),
    ]


def test_audience_text_ends_with_tables_per_node_exit_status_and_variant(
    runner: CliRunner,
) -> None:
    result = dry_run(runner, "ab-test-subject", "--contacts", AUDIENCE)
    assert result.exit_code == 0, result.output
    check_golden("ab-test-subject.tally.txt", result.stdout)
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_malformed_audience_lines_are_reported_counted_and_skipped(runner: CliRunner) -> None:
    audience = str(RUN / "malformed.jsonl")
    result = dry_run(runner, "abandoned-cart", "--contacts", audience, "--format", "json")
    assert result.exit_code == 2
    contacts = [json.loads(line)["contact"] for line in result.stdout.splitlines()]
    assert contacts == ["ok-1", "ok-3", "ok-4"]
    assert f"{audience}:2: skipped: not JSON: Expecting value" in result.stderr
    assert f"{audience}:4: skipped: contact is missing 'id'" in result.stderr
    assert f"{audience}:6: skipped: a contact must be a JSON object, got a list" in result.stderr
    assert f"{audience}:8: skipped: events[0].at is out of the range of years 1 to 9999" in (
        result.stderr
    )
    assert f"{audience}:9: skipped: the contact holds a lone UTF-16 surrogate" in result.stderr
    assert f"{audience}:10: skipped: NaN is not a JSON number" in result.stderr
    assert f"{audience}:11: skipped: the number 1e999 is too large" in result.stderr
    assert f"flowctl: error: 8 malformed lines in {audience} were skipped" in result.stderr
    text = dry_run(runner, "abandoned-cart", "--contacts", audience)
    assert "3 contacts, 18 node steps, 8 malformed lines skipped" in text.stdout


def test_a_dry_run_never_touches_the_network(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sockets(*args: object, **kwargs: object) -> None:
        raise AssertionError("a dry run opened a socket")

    monkeypatch.setattr(socket, "socket", no_sockets)
    monkeypatch.setattr(socket, "create_connection", no_sockets)
    result = dry_run(runner, "abandoned-cart", "--contacts", AUDIENCE, "--format", "json")
    assert result.exit_code == 0, result.output
    webhooks = [
        step["effect"]
        for line in result.stdout.splitlines()
        for step in json.loads(line)["steps"]
        if step["type"] == "webhook"
    ]
    assert webhooks and all(json.loads(line)["dry_run"] for line in result.stdout.splitlines())


def test_a_failed_contact_exits_1(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl.nodes.goal import Goal

    def crash(self: Goal, node: object) -> object:
        return lambda ctx: 1 / 0

    monkeypatch.setattr(Goal, "prepare", crash)
    person = '{"id": "c-1", "events": [{"name": "purchased", "at": "2026-11-21T00:00:00Z"}]}'
    result = dry_run(runner, "ab-test-subject", "--contact", "-", stdin=person)
    assert result.exit_code == 1
    assert "status: failed" in result.stdout
    assert (
        "flowctl: error: the run failed: node 'purchased' (goal): crashed: "
        "ZeroDivisionError: division by zero"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_a_flow_with_warnings_runs_and_shows_them_on_stderr(runner: CliRunner) -> None:
    result = dry_run(runner, RUN / "unreachable.yaml", "--contact", CONTACT, "--format", "json")
    assert result.exit_code == 0
    assert "[unreachable-node]" in result.stderr
    assert json.loads(result.stdout)["status"] == "completed"


def test_an_invalid_flow_is_reported_and_never_runs(runner: CliRunner) -> None:
    flow = FIXTURES / "invalid" / "cycle.yaml"
    result = dry_run(runner, flow, "--contact", CONTACT, "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "[cycle]" in result.stderr
    assert "is invalid; a flow runs only once it validates" in result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        ((), None, "give exactly one of --contact FILE or --contacts FILE.jsonl"),
        (("--contact", CONTACT, "--contacts", AUDIENCE), None, "give exactly one of"),
        (("--contact", "-"), "{not json", "<stdin>: not a JSON contact: Expecting property name"),
        (("--contact", "-"), '{"attributes": {}}', "<stdin>: contact is missing 'id'"),
        (("--contact", "-"), '{"id": "x", "atributes": {}}', "unknown key 'atributes'"),
        (("--contact", "nope.json"), None, "nope.json: No such file or directory"),
        (("--contacts", "nope.jsonl"), None, "nope.jsonl: No such file or directory"),
        (("--contact", CONTACT, "--set", "plan"), None, "--set needs PATH=VALUE, got 'plan'"),
        (("--contact", CONTACT, "--set", "a..b=1"), None, "has a bad segment ''"),
        (("--contact", CONTACT, "--now", "tomorrow"), None, "--now 'tomorrow' is not an ISO 8601"),
        (("--contact", CONTACT, "--now", "0001-01-01T00:00+05:00"), None, "range of years 1 to"),
        (("--contact", "-"), '{"id": "\\udc80"}', "<stdin>: the contact holds a lone UTF-16"),
        (("--contact", "-"), '{"id": "x", "attributes": {"n": Infinity}}', "Infinity is not a"),
        (("--contact", CONTACT, "--set", "name=\udcff"), None, "is not valid UTF-8 text"),
    ],
)
def test_bad_input_is_exit_2_with_a_message_not_a_traceback(
    runner: CliRunner, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    result = dry_run(runner, "welcome-series", *args, stdin=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_flow_file_is_exit_2(runner: CliRunner) -> None:
    result = dry_run(runner, Path("no-such-flow.yaml"), "--contact", CONTACT)
    assert result.exit_code == 2
    assert "no-such-flow.yaml: No such file or directory" in result.stderr


def test_no_color_and_markup_in_user_data_print_as_written(runner: CliRunner) -> None:
    person = '{"id": "[bold]c-1[/bold]", "attributes": {"first_name": "[red]Ana"}}'
    result = dry_run(runner, "welcome-series", "--contact", "-", stdin=person)
    assert result.exit_code == 0, result.output
    assert "contact '[bold]c-1[/bold]'" in result.stdout
    assert '{"first_name": "[red]Ana"}' in result.stdout
    assert "\x1b[" not in result.stdout


def test_an_audience_from_stdin_streams_like_a_file(runner: CliRunner) -> None:
    audience = (FLOWS / "contacts.sample.jsonl").read_text(encoding="utf-8")
    result = dry_run(runner, "vip-winback", "--contacts", "-", "--format", "json", stdin=audience)
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "vip-winback.jsonl").read_text(encoding="utf-8")


def test_audience_traces_stay_on_stdout_while_the_progress_bar_draws_on_a_terminal() -> None:
    """With stderr a terminal, the bar draws there; stdout (a pipe) must still get every trace."""
    import pty
    import select
    import subprocess
    import sys

    primary, secondary = pty.openpty()
    command = [sys.executable, "-m", "flowctl", "run", str(FLOWS / "abandoned-cart.yaml"),
               "--dry-run", "--now", NOW, "--contacts", AUDIENCE, "--format", "json"]  # fmt: skip
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=secondary, env=env)
    os.close(secondary)
    terminal = b""
    while child.poll() is None or select.select([primary], [], [], 0)[0]:
        if select.select([primary], [], [], 0.05)[0]:
            try:
                terminal += os.read(primary, 65536)
            except OSError:  # the terminal closed with the child
                break
    assert child.stdout is not None
    with child.stdout:
        stdout = child.stdout.read().decode()
    os.close(primary)
    assert child.wait() == 0
    assert [json.loads(line)["flow"] for line in stdout.splitlines()] == ["abandoned-cart"] * 12
    assert b'"flow"' not in terminal


def test_control_characters_in_user_data_print_escaped(runner: CliRunner) -> None:
    contact = json.dumps({"id": "evil\x1b[31mred\nstatus: converted"})
    result = dry_run(runner, "post-purchase", "--contact", "-", stdin=contact)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "contact 'evil\\x1b[31mred\\nstatus: converted'" in result.stdout
    assert result.stdout.count("\nstatus: ") == 1  # only the real one


def _closing_reader(*arguments: str) -> tuple[int, bytes, str]:
    """Run flowctl with a reader that takes one line of stdout, then closes the pipe."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "flowctl", *arguments]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()
    with child.stderr:
        stderr = child.stderr.read().decode()
    return child.wait(), first, stderr


@pytest.mark.parametrize(("bad_first_line", "code"), [(False, 0), (True, 2)])
def test_a_reader_that_stops_early_ends_the_run_quietly_with_what_was_found(
    tmp_path: Path, bad_first_line: bool, code: int
) -> None:
    """`flowctl run ... --format json | head -1`: no 'internal error', and the exit code still
    says what the contacts walked so far showed (a malformed line: 2)."""
    audience = tmp_path / "many.jsonl"
    lines = "".join(f'{{"id": "c{i}"}}\n' for i in range(5000))
    audience.write_text(("not json\n" if bad_first_line else "") + lines)
    flow = str(FLOWS / "ab-test-subject.yaml")
    exit_code, first, stderr = _closing_reader(
        "run", flow, "--dry-run", "--now", NOW, "--contacts", str(audience), "--format", "json"
    )
    assert exit_code == code, stderr
    assert json.loads(first)["flow"] == "ab-test-subject"
    assert "internal error" not in stderr and "Traceback" not in stderr


def test_a_reader_that_stops_early_does_not_turn_invalid_flows_valid(tmp_path: Path) -> None:
    cycle = (FIXTURES / "invalid" / "cycle.yaml").read_text()
    for number in range(400):  # more report than a pipe holds, so the reader's leaving is felt
        (tmp_path / f"cycle-{number}.yaml").write_text(cycle)
    exit_code, _, stderr = _closing_reader("validate", str(tmp_path))
    assert exit_code == 1, stderr
    assert "internal error" not in stderr


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        (
            [
                "run",
                str(FLOWS / "post-purchase.yaml"),
                "--dry-run",
                "--now",
                NOW,
                "--contact",
                CONTACT,
            ],
            0,
        ),
        (["nodes", "delay"], 0),
        (["validate", str(FLOWS)], 0),
        (["validate", str(FIXTURES / "invalid" / "cycle.yaml")], 1),
    ],
    ids=["run-timeline", "nodes", "validate-valid", "validate-invalid"],
)
def test_text_output_to_a_reader_that_is_already_gone(arguments: list[str], code: int) -> None:
    """Rich's own broken-pipe answer is exit 1; flowctl keeps its verdict instead."""
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-m", "flowctl", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "FORCE_COLOR": "1"},  # through rich, as on a terminal
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # gone before the first line
    with child.stderr:
        stderr = child.stderr.read().decode()
    assert child.wait() == code, stderr
    assert "internal error" not in stderr
