"""The engine core through its library API: runs resume from JSON, and how time is cut into
ticks never changes what a run does.

A worker advances a run many times (its state read back from a store's row each time), with
events arriving when they are recorded; a dry run advances it once, knowing the future. The
properties below drive both ways on every bundled flow and compare.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.engine import PreparedFlow, RunState, Tick, advance, load_flow, start, state_from_json
from flowctl.engine.state import WAITING
from flowctl.language.contacts import Contact, Event
from flowctl.simulate import walk
from tests.conftest import FLOWS, bundled_flows

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FLOW_FILES = [path.name for path in bundled_flows()]


def plan(name: str) -> PreparedFlow:
    path = FLOWS / name
    loaded = load_flow(path.read_bytes(), str(path))
    assert loaded.flow is not None
    return loaded.flow


PLANS = {name: plan(name) for name in FLOW_FILES}

attribute_values = st.fixed_dictionaries(
    {},
    optional={
        "email": st.just("a@example.com"),
        "first_name": st.sampled_from(["Ana", "Bo", ""]),
        "country": st.sampled_from(["DE", "AT", "FR", "SE"]),
        "plan": st.sampled_from(["free", "pro", "team"]),
        "unsubscribed": st.booleans(),
        "timezone": st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Mars/Base"]),
        "cart": st.fixed_dictionaries({"items": st.integers(0, 3)}),
        "last_order": st.fixed_dictionaries(
            {
                "category": st.sampled_from(["shoes", "bags", "wallets", "hats"]),
                "total": st.integers(0, 900),
            }
        ),
    },
)
offsets = st.integers(-90 * 24 * 60, 20 * 24 * 60).map(lambda m: timedelta(minutes=m))
events = st.lists(
    st.builds(
        lambda name, offset, category: Event(name, NOW + offset, {"category": category}),
        st.sampled_from(["purchased", "cart_abandoned", "opened"]),
        offsets,
        st.sampled_from(["shoes", "bags"]),
    ),
    max_size=6,
)
contacts = st.builds(
    lambda attributes, history: Contact(
        "c-1", attributes, tuple(sorted(history, key=lambda e: e.at))
    ),
    attribute_values,
    events,
)
tick_offsets = st.lists(st.integers(0, 40 * 24 * 60), max_size=8).map(
    lambda minutes: [NOW + timedelta(minutes=m) for m in sorted(minutes)]
)


def steps_of(run_steps: Any) -> list[tuple[str, str, str | None, Any]]:
    return [(s.node.id, s.at.isoformat(), s.outcome.exit, s.to_json()["effect"]) for s in run_steps]


def drive_in_ticks(flow: PreparedFlow, contact: Contact, ticks: list[datetime]) -> dict[str, Any]:
    """As a worker would: history so far at the start, later events delivered by the tick
    that reaches them, the state stored as JSON and read back between ticks."""
    past = tuple(e for e in contact.events if e.at <= NOW)
    future = [e for e in contact.events if e.at > NOW]
    state = start(flow, Contact(contact.id, contact.attributes, past), NOW)
    steps: list[Any] = []
    effects: list[Any] = []
    end = datetime.max.replace(tzinfo=UTC)
    for now in [NOW, *ticks, end]:
        arrived = tuple(e for e in future if e.at <= now)
        future = [e for e in future if e.at > now]
        transition = advance(flow, state, Tick(now, arrived))
        steps += transition.steps
        effects += [(i.node, i.at, i.effect.to_json()) for i in transition.effects]
        state = state_from_json(json.loads(json.dumps(transition.state.to_json())))
        if transition.steps:
            numbers = range(transition.first_step, transition.first_step + len(transition.steps))
            assert list(numbers) == list(range(len(steps) - len(transition.steps), len(steps)))
    return {
        "status": state.status,
        "steps": steps_of(steps),
        "clock": state.clock,
        "effects": effects,
    }


@pytest.mark.parametrize("name", FLOW_FILES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact=contacts, ticks=tick_offsets)
def test_cutting_time_into_ticks_changes_nothing(
    name: str, contact: Contact, ticks: list[datetime]
) -> None:
    flow = PLANS[name]
    dry = walk(flow, contact, NOW)
    real = drive_in_ticks(flow, contact, ticks)
    assert real["status"] == dry.status
    assert real["steps"] == steps_of(dry.steps)
    assert real["clock"] == dry.ended_at
    dry_effects = [(s.node.id, s.at, s.to_json()["effect"]) for s in dry.steps if s.outcome.effect]
    assert real["effects"] == dry_effects


@settings(max_examples=100, deadline=None)
@given(contact=contacts, name=st.sampled_from(FLOW_FILES), minutes=st.integers(0, 30 * 24 * 60))
def test_a_run_state_round_trips_through_json_exactly(
    contact: Contact, name: str, minutes: int
) -> None:
    flow = PLANS[name]
    state = advance(flow, start(flow, contact, NOW), Tick(NOW + timedelta(minutes=minutes))).state
    text = json.dumps(state.to_json())
    again = state_from_json(json.loads(text))
    assert again == state
    assert json.dumps(again.to_json()) == text


def test_a_wait_never_decides_from_an_event_after_the_clock() -> None:
    flow = PLANS["abandoned-cart.yaml"]
    contact = Contact("c-1", {"cart": {"items": 1}, "first_name": "Ana"})
    waiting = advance(flow, start(flow, contact, NOW), Tick(NOW)).state
    assert waiting.status == WAITING and waiting.awaiting is not None
    # An event 30 minutes ahead is known to nobody yet: the clock says 10:00.
    later = Event("purchased", NOW + timedelta(minutes=30))
    early = advance(flow, waiting, Tick(NOW + timedelta(minutes=10)))
    assert early.state.status == WAITING and early.steps == []
    arrived = advance(flow, early.state, Tick(NOW + timedelta(minutes=30), (later,)))
    first = arrived.steps[0]
    assert (first.node.id, first.outcome.exit, first.left_at) == (
        "wait_1h",
        "received",
        NOW + timedelta(minutes=30),
    )


def test_a_waiting_state_says_what_wakes_it() -> None:
    flow = PLANS["post-purchase.yaml"]
    state: RunState = advance(flow, start(flow, Contact("c-1"), NOW), Tick(NOW)).state
    assert state.status == WAITING
    assert state.wake_at == NOW + timedelta(days=3)
    assert state.awaiting is None
    transition = advance(flow, state, Tick(NOW + timedelta(days=3)))
    assert transition.state.status == "completed"
    assert [i.effect.to_json()["send"]["template_id"] for i in transition.effects] == [
        "generic_xsell"
    ]
