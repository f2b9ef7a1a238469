"""Real equals dry (DESIGN §8): for the same flow, contacts, events and clock, a real run
through the outbox performs exactly the effects of the dry run's traces, in order, at the same
times. Events are delivered by `flowctl event` and time moves by `flowctl worker --once --now`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FLOWS, bundled_flows
from tests.runtime.conftest import NOW, at, just_before, ok, outbox, write_jsonl

BUNDLED = [path.name for path in bundled_flows()]
AUDIENCE = [json.loads(line) for line in (FLOWS / "contacts.sample.jsonl").read_text().splitlines()]


def dry_effects(flow: Path) -> dict[str, list[tuple[str, str, Any]]]:
    result = ok(
        "run",
        str(flow),
        "--dry-run",
        "--contacts",
        str(FLOWS / "contacts.sample.jsonl"),
        "--now",
        NOW,
        "--format",
        "json",
    )
    effects: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
    for line in result.stdout.splitlines():
        trace = json.loads(line)
        for step in trace["steps"]:
            if step["effect"] is not None:
                effects[trace["contact"]].append((step["node"], step["at"], step["effect"]))
    return effects


def next_wake() -> datetime | None:
    lines = ok("runs", "list", "--status", "waiting", "--format", "json").stdout.splitlines()
    wakes = [at(run["wake_at"]) for run in map(json.loads, lines) if run["wake_at"]]
    return min(wakes, default=None)


def real_effects(project: Path, flow: Path) -> dict[str, list[tuple[str, str, Any]]]:
    now = at(NOW)
    history, future = [], []
    for contact in AUDIENCE:
        events = contact.get("events", [])
        past = [e for e in events if at(e["at"]) <= now]
        future += [{"contact": contact["id"], **e} for e in events if at(e["at"]) > now]
        history.append({**contact, "events": past})
    future.sort(key=lambda event: at(event["at"]))
    contacts = write_jsonl(project / "audience.jsonl", history)
    ok("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    for _ in range(200):  # each turn delivers an event or reaches a wake time
        wake = next_wake()
        if future and (wake is None or at(future[0]["at"]) <= wake):
            event = future.pop(0)
            # Timers due before the event fire first; one due at its very time does not
            # pre-empt it: a wait whose deadline is the event's time still receives it.
            ok("worker", "--once", "--now", just_before(at(event["at"])))
            props = json.dumps(event.get("properties", {}))
            ok("event", event["contact"], event["name"], "--at", event["at"], "--properties", props)
        elif wake is not None:
            ok("worker", "--once", "--now", wake.isoformat())
        else:
            break
    effects: dict[str, list[tuple[str, str, Any]]] = defaultdict(list)
    for line in outbox(project):
        effects[line["contact"]].append((line["node"], line["at"], line["effect"]))
    return effects


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test once on the state file, once on PostgreSQL (every command finds it through
    $FLOWCTL_STORE, as a deployment would)."""
    if request.param == "postgresql":
        monkeypatch.setenv("FLOWCTL_STORE", next(request.getfixturevalue("pg_state")))
    return str(request.param)


@pytest.mark.parametrize("name", BUNDLED)
def test_a_real_run_through_the_outbox_performs_the_dry_runs_effects(
    project: Path, store: str, name: str
) -> None:
    flow = FLOWS / name
    expected = dry_effects(flow)
    assert expected, "the sample audience makes effects in every bundled flow"
    assert real_effects(project, flow) == expected
