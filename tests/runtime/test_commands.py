"""Real runs through the commands: pinned flows, failures, `runs retry` and `runs cancel`,
and state files that cannot be used."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FLOWS
from tests.handlers.conftest import WebServer
from tests.runtime.conftest import NOW, flowctl, ok, outbox, write_jsonl

LATER = "2026-11-24T10:00:00Z"  # after post-purchase's three days


def _contact(project: Path, **attributes: Any) -> Path:
    data = json.loads((FLOWS / "contact.sample.json").read_text(encoding="utf-8"))
    data["attributes"].update(attributes)
    path = project / "contact.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _runs(*filters: str) -> list[dict[str, Any]]:
    listed = ok("runs", "list", *filters, "--format", "json").stdout
    return [json.loads(line) for line in listed.splitlines()]


def _shown(run: str) -> dict[str, Any]:
    trace: dict[str, Any] = json.loads(ok("runs", "show", run, "--format", "json").stdout)
    return trace


def _templates_sent() -> list[str]:
    return [line["effect"]["send"]["template_id"] for line in outbox(Path.cwd())]


# --- pinned flows -----------------------------------------------------------------------------


def test_an_edited_flow_file_never_changes_runs_in_flight(project: Path) -> None:
    flow = project / "post-purchase.yaml"
    shutil.copy(FLOWS / "post-purchase.yaml", flow)
    pinned = hashlib.sha256(flow.read_bytes()).hexdigest()
    ok("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("shoes_xsell", "edited_offer"), encoding="utf-8"
    )

    ok("worker", "--once", "--now", LATER)

    assert _templates_sent() == ["thanks_v2", "shoes_xsell"]
    (run,) = _runs()
    assert run["status"] == "completed"
    assert _shown(run["run"])["digest"] == pinned
    assert pinned[:12] in ok("runs", "show", run["run"]).stdout


def test_a_deleted_flow_file_never_stops_runs_in_flight(project: Path) -> None:
    flow = project / "post-purchase.yaml"
    shutil.copy(FLOWS / "post-purchase.yaml", flow)
    ok("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)
    flow.unlink()

    ok("worker", "--once", "--now", LATER)

    assert _templates_sent() == ["thanks_v2", "shoes_xsell"]
    assert [run["status"] for run in _runs()] == ["completed"]


def test_a_new_version_of_the_flow_gets_new_runs_and_leaves_the_old_ones(
    project: Path,
) -> None:
    flow = project / "post-purchase.yaml"
    shutil.copy(FLOWS / "post-purchase.yaml", flow)
    first = hashlib.sha256(flow.read_bytes()).hexdigest()
    ok("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("shoes_xsell", "edited_offer"), encoding="utf-8"
    )
    second = hashlib.sha256(flow.read_bytes()).hexdigest()
    other = _contact(project, email="bo@example.com")
    data = json.loads(other.read_text(encoding="utf-8"))
    other.write_text(json.dumps({**data, "id": "c-2002"}), encoding="utf-8")
    ok("run", str(flow), "--contact", str(other), "--now", NOW)

    ok("worker", "--once", "--now", LATER)

    digests = {run["contact"]: _shown(run["run"])["digest"] for run in _runs()}
    assert digests == {"c-1001": first, "c-2002": second}
    sent = {(line["contact"], line["effect"]["send"]["template_id"]) for line in outbox(project)}
    assert ("c-1001", "shoes_xsell") in sent
    assert ("c-2002", "edited_offer") in sent


# --- failures, retry and cancel -------------------------------------------------------------


def _webhook_flow(project: Path, url: str) -> Path:
    flow = project / "notify.yaml"
    flow.write_text(
        "version: 1\n"
        "name: notify\n"
        "start: call\n"
        "nodes:\n"
        "  call:\n"
        "    type: webhook\n"
        f"    config: {{url: '{url}', body: {{contact: '{{{{ id }}}}'}},\n"
        "             retry: {max_attempts: 1}}\n"
        "    next: thanks\n"
        "  thanks: {type: send_message, config: {channel: email, template_id: thanks_v2}}\n",
        encoding="utf-8",
    )
    (project / ".flowctl.toml").write_text('[channels.http]\nhandler = "http"\n', "utf-8")
    return flow


def test_a_refused_webhook_fails_the_run_at_its_node_and_retry_resumes_it(
    project: Path, web_server: WebServer
) -> None:
    web_server.routes["/hook"] = (400, {}, b"bad request")
    flow = _webhook_flow(project, web_server.url + "/hook")

    failed = flowctl("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)

    assert failed.exit_code == 1, failed.stderr
    (run,) = _runs("--status", "failed")
    shown = ok("runs", "show", run["run"]).stdout
    assert "call" in shown
    assert "400" in shown
    assert outbox(project) == []  # the send after the webhook never happened
    ok("worker", "--once", "--now", LATER)
    assert outbox(project) == []  # nor does a worker send it: the failed effect holds it

    web_server.routes["/hook"] = (200, {}, b"ok")
    ok("runs", "retry", run["run"], "--now", LATER)

    assert [r["status"] for r in _runs()] == ["completed"]
    keys = [request.headers["Idempotency-Key"] for request in web_server.requests]
    assert keys == [f"{run['run']}:call:0"] * 2  # the same key on the retry
    assert [line["node"] for line in outbox(project)] == ["thanks"]


def test_retry_failed_resumes_every_failed_run(project: Path, web_server: WebServer) -> None:
    web_server.routes["/hook"] = (500, {}, b"down")
    flow = _webhook_flow(project, web_server.url + "/hook")
    contacts = project / "contacts.jsonl"
    contacts.write_text(
        "".join(json.dumps({"id": f"c-{n}", "attributes": {}}) + "\n" for n in range(3)), "utf-8"
    )
    assert flowctl("run", str(flow), "--contacts", str(contacts), "--now", NOW).exit_code == 1
    assert len(_runs("--status", "failed")) == 3

    web_server.routes["/hook"] = (200, {}, b"ok")
    ok("runs", "retry", "--failed", "--now", LATER)

    assert sorted(r["status"] for r in _runs()) == ["completed"] * 3
    assert sorted(line["contact"] for line in outbox(project)) == ["c-0", "c-1", "c-2"]


def test_a_cancelled_run_sends_nothing_more(project: Path) -> None:
    flow = FLOWS / "post-purchase.yaml"
    ok("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)
    (run,) = _runs("--status", "waiting")

    ok("runs", "cancel", run["run"])
    ok("worker", "--once", "--now", LATER)

    assert [r["status"] for r in _runs()] == ["cancelled"]
    assert _templates_sent() == ["thanks_v2"]


def test_retry_and_cancel_of_unknown_runs_say_so(project: Path) -> None:
    ok("run", str(FLOWS / "post-purchase.yaml"), "--contact", str(_contact(project)))
    for command in ("retry", "cancel"):
        result = flowctl("runs", command, "no-such-run")
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        assert "no-such-run" in result.stderr
        assert "Traceback" not in result.stderr


# --- handlers that cannot make deliveries durable ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [("/dev/null", "cannot write /dev/null: not a regular file"), ("box", "Is a directory")],
)
def test_an_outbox_that_cannot_be_written_records_nothing_and_stops(
    project: Path, path: str, words: str
) -> None:
    """A device or a folder as the outbox: the command stops with exit 2, nothing counts as
    delivered, and the next worker (with a working outbox) sends the effect with its key, once."""
    (project / "box").mkdir()
    (project / ".flowctl.toml").write_text(f'[outbox]\npath = "{path}"\n', "utf-8")
    flow = str(FLOWS / "post-purchase.yaml")

    result = flowctl("run", flow, "--contact", str(_contact(project)), "--now", NOW)

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert words in result.stderr
    (run,) = _runs()
    (step,) = (s for s in _shown(run["run"])["steps"] if s["node"] == "thank_you")
    assert step["status"] == "pending"
    assert flowctl("worker", "--once", "--now", NOW).exit_code == 2  # still no outbox

    (project / ".flowctl.toml").write_text("", "utf-8")
    ok("worker", "--once", "--now", NOW)

    assert [(line["key"], line["effect"]["send"]["template_id"]) for line in outbox(project)] == [
        (f"{run['run']}:thank_you:0", "thanks_v2")
    ]


# --- state files that cannot be used ----------------------------------------------------------


def _state(project: Path) -> Path:
    return project / ".flowctl" / "state.db"


def _refused(project: Path, words: str) -> None:
    before = _state(project).read_bytes()
    for args in (
        ("run", str(FLOWS / "post-purchase.yaml"), "--contact", str(_contact(project))),
        ("worker", "--once"),
        ("event", "c-1001", "purchased"),
        ("runs", "list"),
    ):
        result = flowctl(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert _state(project).read_bytes() == before
    assert not (project / ".flowctl" / "outbox.jsonl").exists()


def test_a_corrupt_state_file_stops_every_command(project: Path) -> None:
    _state(project).parent.mkdir()
    _state(project).write_bytes(b"this is not a database, only some text " * 200)
    _refused(project, "not an SQLite database")


def test_a_state_file_from_a_newer_flowctl_stops_every_command(project: Path) -> None:
    ok("worker", "--once")
    conn = sqlite3.connect(_state(project))
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    _refused(project, "newer flowctl")


def test_a_state_file_locked_past_the_timeout_stops_the_writers(
    project: Path, monkeypatch: Any
) -> None:
    ok("worker", "--once")
    monkeypatch.setenv("FLOWCTL_LOCK_TIMEOUT", "0.2")
    holder = sqlite3.connect(_state(project), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = flowctl(
            "run", str(FLOWS / "post-purchase.yaml"), "--contact", str(_contact(project))
        )
        assert result.exit_code == 2, (result.stdout, result.stderr)
        assert "locked by another process" in result.stderr
        event = flowctl("event", "c-1001", "purchased")
        assert event.exit_code == 2, (event.stdout, event.stderr)
        assert "locked by another process" in event.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _runs() == []
    assert not (project / ".flowctl" / "outbox.jsonl").exists()


def test_a_bad_lock_timeout_is_a_usage_error(project: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("FLOWCTL_LOCK_TIMEOUT", "soon")
    result = flowctl("worker", "--once")
    assert result.exit_code == 2
    assert "FLOWCTL_LOCK_TIMEOUT" in result.stderr


def test_two_state_files_never_share_an_effect_key(project: Path) -> None:
    """The same flow and contact enrolled on two state files (staging and production, or one
    made anew after a reset) write through one outbox: two lines, two keys."""
    flow, contact = str(FLOWS / "post-purchase.yaml"), str(_contact(project))
    ok("run", flow, "--contact", contact, "--state", "one.db", "--now", NOW)
    ok("run", flow, "--contact", contact, "--state", "two.db", "--now", NOW)
    keys = [line["key"] for line in outbox(project)]
    assert len(keys) == 2
    assert len(set(keys)) == 2


def test_the_runs_of_one_command_are_named_by_it_and_sort_in_input_order(project: Path) -> None:
    contacts = [
        {"id": f"c-{number}", "attributes": {"email": "x@example.com"}}
        for number in (3, 10, 1, 2, 20, 11, 4, 5, 6, 7, 8, 9)
    ]
    audience = write_jsonl(project / "audience.jsonl", contacts)
    ok("run", str(FLOWS / "post-purchase.yaml"), "--contacts", str(audience), "--now", NOW)
    runs = sorted(_runs(), key=lambda run: run["run"])
    assert [run["contact"] for run in runs] == [contact["id"] for contact in contacts]
    prefixes = {run["run"].split("-")[0] for run in runs}
    assert len(prefixes) == 1
    assert [run["run"].split("-")[1] for run in runs] == [f"{line:09d}" for line in range(1, 13)]


def test_runs_list_in_a_narrow_terminal_shows_whole_run_ids(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are what `runs show` takes: the other columns wrap, the ids are never cut short."""
    ok(
        "run",
        str(FLOWS / "post-purchase.yaml"),
        "--contacts",
        str(FLOWS / "contacts.sample.jsonl"),
        "--now",
        NOW,
    )
    monkeypatch.setenv("COLUMNS", "60")
    table = ok("runs", "list").stdout
    for run in _runs():
        assert run["run"] in table
    assert "…" not in table


@pytest.mark.parametrize("option", ["--contact", "--contacts"])
def test_an_input_that_cannot_be_read_leaves_no_state(project: Path, option: str) -> None:
    flow = str(FLOWS / "post-purchase.yaml")
    result = flowctl("run", flow, option, "missing.json", "--state", "new.db")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "missing.json" in result.stderr
    assert not (project / "new.db").exists()


def test_an_events_file_with_a_bad_line_records_none_of_it(project: Path) -> None:
    ok("worker", "--once")
    events = project / "events.jsonl"
    good = {"contact": "c-1001", "name": "purchased", "at": NOW, "id": "e-1"}
    events.write_text(json.dumps(good) + "\n" + '{"contact": "c-1001"}\n', "utf-8")

    result = flowctl("events", str(events))

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "events.jsonl:2" in result.stderr
    conn = sqlite3.connect(project / ".flowctl" / "state.db")
    try:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (0,)
    finally:
        conn.close()


def test_a_run_that_ended_with_a_delivery_still_retrying_can_be_cancelled(
    project: Path, closed_port: int
) -> None:
    """The engine ended the run (its goal reached) while its webhook is still being retried:
    cancel skips the delivery, and no worker tries it again."""
    flow = _webhook_flow(project, f"http://127.0.0.1:{closed_port}/hook")
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("max_attempts: 1", "max_attempts: 5"), "utf-8"
    )
    ok("run", str(flow), "--contact", str(_contact(project)), "--now", NOW)
    (run,) = _runs()

    cancelled = ok("runs", "cancel", run["run"])

    assert run["run"] in cancelled.stdout
    ok("worker", "--once", "--now", LATER)
    assert [r["status"] for r in _runs()] == ["cancelled"]
    (step,) = (s for s in _shown(run["run"])["steps"] if s["node"] == "call")
    assert step["status"] == "skipped"
