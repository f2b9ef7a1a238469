"""Channel limits in real runs: a rate limit holds deliveries back without losing or doubling
one, an error budget pauses a failing channel instead of failing every run, and on
PostgreSQL the bucket is shared by all workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.handlers.conftest import WebServer
from tests.runtime.conftest import NOW, flowctl, ok, outbox, write_jsonl

TEXT_FLOW = (
    "version: 1\n"
    "name: one-text\n"
    "start: text\n"
    "nodes:\n"
    "  text:\n"
    "    type: send_message\n"
    "    config: {channel: sms, template_id: hello, retry: {max_attempts: 2}}\n"
)


def _project(project: Path, config: str, contacts: int) -> tuple[Path, Path]:
    flow = project / "one-text.yaml"
    flow.write_text(TEXT_FLOW, "utf-8")
    (project / ".flowctl.toml").write_text(config, "utf-8")
    people = [{"id": f"c-{n}", "attributes": {"phone": "+4915100000"}} for n in range(contacts)]
    return flow, write_jsonl(project / "contacts.jsonl", people)


def _runs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in ok("runs", "list", "--format", "json").stdout.splitlines()]


def _texts(run: str) -> dict[str, Any]:
    trace = json.loads(ok("runs", "show", run, "--format", "json").stdout)
    (step,) = trace["steps"]
    return step


def test_a_rate_limit_holds_deliveries_back_until_their_tokens_are_there(project: Path) -> None:
    flow, contacts = _project(
        project, '[channels.sms]\nhandler = "outbox"\nrate = "6/min"\nburst = 2\n', 6
    )
    ok("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    assert len(outbox(project)) == 2  # the burst; one token every ten seconds after it
    held = [run for run in _runs() if _texts(run["run"])["status"] == "pending"]
    assert len(held) == 4
    step = _texts(held[0]["run"])
    assert step["attempts"] == 0  # a held delivery is no attempt
    assert step["error"] == "held: the sms channel's rate limit (6 per minute)"

    ok("worker", "--once", "--now", "2026-11-20T10:00:10Z")
    assert len(outbox(project)) == 3
    ok("worker", "--once", "--now", "2026-11-20T10:00:15Z")  # half a token: nothing goes
    assert len(outbox(project)) == 3
    ok("worker", "--once", "--now", "2026-11-20T10:05:00Z")  # the bucket is full: two go
    assert len(outbox(project)) == 5
    ok("worker", "--once", "--now", "2026-11-20T10:10:00Z")

    lines = outbox(project)
    assert Counter(line["key"] for line in lines) == {f"{run['run']}:text:0": 1 for run in _runs()}
    assert {line["at"] for line in lines} == {NOW}  # the step's time, as in the dry run
    assert {run["status"] for run in _runs()} == {"completed"}


def test_a_spent_error_budget_pauses_the_channel_instead_of_failing_every_run(
    project: Path, web_server: WebServer
) -> None:
    """The gateway answers 503. Without a budget every run would fail after its attempts; with
    one, the channel pauses after three failures, the other runs wait with their attempts
    untouched, and when the gateway is back they all go through."""
    web_server.routes["/sms"] = (503, {}, b"down")
    flow, contacts = _project(
        project,
        f'[channels.sms]\nhandler = "http"\nurl = "{web_server.url}/sms"\n'
        'error_budget = "2/10m"\npause = "30m"\n',
        6,
    )
    ok("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    assert len(web_server.requests) == 3  # two failures are the budget, the third spends it
    steps = [_texts(run["run"]) for run in _runs()]
    assert sorted(step["attempts"] for step in steps) == [0, 0, 0, 1, 1, 1]
    assert any(
        "held: the sms channel is paused until 2026-11-20T10:30:00Z (more than 2 per 10 minutes"
        in (step["error"] or "")
        for step in steps
    )

    ok("worker", "--once", "--now", "2026-11-20T10:20:00Z")  # retries due, the channel paused
    assert len(web_server.requests) == 3
    assert {_texts(run["run"])["status"] for run in _runs()} == {"pending"}  # none failed

    web_server.routes["/sms"] = (202, {}, b"queued")
    ok("worker", "--once", "--now", "2026-11-20T10:31:00Z")
    assert {_texts(run["run"])["status"] for run in _runs()} == {"delivered"}
    assert {run["status"] for run in _runs()} == {"completed"}
    keys = Counter(request.headers["Idempotency-Key"] for request in web_server.requests[3:])
    assert keys == {f"{run['run']}:text:0": 1 for run in _runs()}


def test_limit_mistakes_stop_a_run_before_anything_happens(project: Path) -> None:
    flow, contacts = _project(project, '[channels.sms]\nhandler = "outbox"\nrate = "lots"\n', 1)
    result = flowctl("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    assert result.exit_code == 2
    assert ".flowctl.toml: channels.sms.rate: must be COUNT/PERIOD" in result.stderr
    assert outbox(project) == []


# -- PostgreSQL: one bucket for all workers ---------------------------------------------------


def test_two_workers_share_one_bucket_on_postgresql(project: Path, pg_store: str) -> None:
    """Both workers replay the same minute at once: together they deliver the bucket's three
    tokens, not three each."""
    flow, contacts = _project(
        project, '[channels.sms]\nhandler = "outbox"\nrate = "3/min"\nburst = 3\n', 12
    )
    ok("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    assert len(outbox(project)) == 3
    env = {**os.environ, "NO_COLOR": "1", "FLOWCTL_STORE": pg_store}
    command = [sys.executable, "-m", "flowctl", "worker", "--once", "--now", "2026-11-20T10:01:00Z"]
    workers = [
        subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for process in workers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    lines = outbox(project)
    assert len(lines) == 6
    assert len({line["key"] for line in lines}) == 6


def test_queue_workers_deliver_what_a_rate_held_back_at_its_time(
    project: Path, pg_store: str
) -> None:
    """On the wall clock, through procrastinate: each held delivery becomes a job scheduled
    when its token is there; the workers deliver every effect once, and no faster than the
    rate allows (15 tokens at 10/s after the burst of 5 take at least 1.5 s)."""
    from tests.runtime.test_queue_workers import finished, stop, wait_for, worker

    flow, contacts = _project(
        project, '[channels.sms]\nhandler = "outbox"\nrate = "10/s"\nburst = 5\n', 20
    )
    started = time.monotonic()
    ok("run", str(flow), "--contacts", str(contacts))
    assert len(outbox(project)) == 5
    processes = [worker(project, pg_store), worker(project, pg_store)]
    wait_for(lambda: finished(pg_store), "every held delivery")
    took = time.monotonic() - started
    for process in processes:
        stop(process)
    keys = Counter(line["key"] for line in outbox(project))
    assert len(keys) == 20 and max(keys.values()) == 1
    assert took >= 1.5
