"""Simulated time: `delay` by duration and until a time of day (DST, weekends, zones), and
`wait_for_event` windows."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.engine import PreparedFlow, Run, load_flow
from flowctl.language.contacts import parse_contact
from flowctl.nodes.delay import next_moment
from flowctl.simulate import walk
from tests.conftest import FIXTURES

RUN = FIXTURES / "run"


@functools.cache
def flow(name: str) -> PreparedFlow:
    path = RUN / f"{name}.yaml"
    loaded = load_flow(path.read_bytes(), str(path))
    assert loaded.flow is not None, loaded.result.diagnostics
    return loaded.flow


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(name: str, now: str, **contact: Any) -> Run:
    return walk(flow(name), parse_contact({"id": "c-1", **contact}), utc(now))


def times(result: Run) -> list[str]:
    """When each node started, then when the run ended, as UTC ISO text."""
    return [step.at.isoformat() for step in result.steps] + [result.ended_at.isoformat()]


# 2026: Europe/Berlin springs forward on Sunday 29 March (02:00 -> 03:00) and falls back on
# Sunday 25 October (03:00 -> 02:00). 09:30 is 08:30Z in winter (CET) and 07:30Z in summer.
@pytest.mark.parametrize(
    ("now", "expected", "why"),
    [
        ("2026-11-20T08:00:00", "2026-11-20T08:30:00+00:00", "Friday 09:00 CET: later today"),
        ("2026-11-20T08:30:00", "2026-11-23T08:30:00+00:00", "exactly 09:30: the next one"),
        ("2026-11-20T10:00:00", "2026-11-23T08:30:00+00:00", "Friday after 09:30: Monday"),
        ("2026-11-21T12:00:00", "2026-11-23T08:30:00+00:00", "Saturday: Monday"),
        ("2026-03-27T10:00:00", "2026-03-30T07:30:00+00:00", "weekend and spring DST: CEST"),
        ("2026-10-23T10:00:00", "2026-10-26T08:30:00+00:00", "weekend and autumn DST: CET"),
        ("2026-12-31T23:00:00", "2027-01-01T08:30:00+00:00", "00:00 local on Friday 1 Jan"),
    ],
)
def test_delay_until_next_weekday_morning_in_the_flow_zone(
    now: str, expected: str, why: str
) -> None:
    result = run("morning", now)
    assert times(result) == [utc(now).isoformat(), expected, expected], why
    assert result.status == "completed"


def test_the_contacts_timezone_wins_over_the_flows() -> None:
    # Friday 10:00Z is 05:00 in New York: 09:30 EST the same day is 14:30Z.
    result = run("morning", "2026-11-20T10:00:00", attributes={"timezone": "America/New_York"})
    assert result.steps[1].at.isoformat() == "2026-11-20T14:30:00+00:00"
    assert result.steps[0].outcome.warnings == ()


def test_an_unknown_contact_timezone_falls_back_to_the_flows_with_a_warning() -> None:
    result = run("morning", "2026-11-20T08:00:00", attributes={"timezone": "Mars/Olympus"})
    assert result.steps[1].at.isoformat() == "2026-11-20T08:30:00+00:00"
    assert result.steps[0].outcome.warnings == (
        "contact timezone 'Mars/Olympus' is not an IANA zone; used Europe/Berlin",
    )
    assert result.to_json()["steps"][0]["warnings"] == list(result.steps[0].outcome.warnings)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 02:30 does not exist on 29 March: read with the winter offset, i.e. 03:30 CEST.
        ("2026-03-28T23:00:00", "2026-03-29T01:30:00+00:00"),
        # 02:30 happens twice on 25 October: the first time (still CEST).
        ("2026-10-24T23:00:00", "2026-10-25T00:30:00+00:00"),
        # The day after each change, 02:30 is ordinary again.
        ("2026-03-29T12:00:00", "2026-03-30T00:30:00+00:00"),
        ("2026-10-25T12:00:00", "2026-10-26T01:30:00+00:00"),
    ],
)
def test_delay_until_a_time_dst_skips_or_repeats(now: str, expected: str) -> None:
    assert run("night", now).ended_at.isoformat() == expected


def test_without_any_timezone_until_is_utc_and_durations_are_elapsed_time() -> None:
    result = run("utc", "2026-03-28T10:00:00", attributes={"timezone": None})
    # A null timezone attribute means "unknown", like a missing one: UTC, as the flow has none.
    assert times(result) == [
        "2026-03-28T10:00:00+00:00",
        "2026-03-29T09:00:00+00:00",  # next 09:00 UTC
        "2026-03-30T09:00:00+00:00",  # P1D is 24 hours, DST or not
        "2026-03-30T10:30:00+00:00",  # 90m
    ]
    assert result.steps[0].outcome.warnings == ()


def test_a_day_is_24_hours_across_a_dst_change() -> None:
    # post-purchase waits 3d from Friday 27 March 12:00Z: 72 hours later, whatever Berlin's clocks.
    path = FIXTURES.parent.parent / "flows" / "post-purchase.yaml"
    loaded = load_flow(path.read_bytes(), str(path))
    assert loaded.flow is not None
    result = walk(loaded.flow, parse_contact({"id": "c"}), utc("2026-03-27T12:00:00"))
    assert result.steps[2].at.isoformat() == "2026-03-30T12:00:00+00:00"


def purchase(at: str, category: str = "shoes", name: str = "purchased") -> dict[str, Any]:
    return {"name": name, "at": at, "properties": {"category": category}}


EVENTS = {
    "before": purchase("2026-11-20T09:00:00Z"),
    "at_start": purchase("2026-11-20T10:00:00Z"),
    "other_where": purchase("2026-11-20T11:00:00Z", category="bags"),
    "other_name": purchase("2026-11-20T11:30:00Z", name="viewed"),
    "during": purchase("2026-11-21T08:00:00Z"),
    "later": purchase("2026-11-21T09:00:00Z"),
    "at_deadline": purchase("2026-11-22T10:00:00Z"),
    "after": purchase("2026-11-22T10:00:01Z"),
}


@pytest.mark.parametrize(
    ("events", "exit_", "ended"),
    [
        ([], "timeout", "2026-11-22T10:00:00+00:00"),
        (["before", "at_start"], "timeout", "2026-11-22T10:00:00+00:00"),
        (["other_where", "other_name"], "timeout", "2026-11-22T10:00:00+00:00"),
        (["before", "other_where", "during", "later"], "received", "2026-11-21T08:00:00+00:00"),
        (["at_deadline"], "received", "2026-11-22T10:00:00+00:00"),
        (["after"], "timeout", "2026-11-22T10:00:00+00:00"),
    ],
)
def test_wait_for_event_takes_the_first_matching_event_of_its_window(
    events: list[str], exit_: str, ended: str
) -> None:
    result = run("wait", "2026-11-20T10:00:00", events=[EVENTS[name] for name in events])
    assert result.steps[0].outcome.exit == exit_
    assert result.ended_at.isoformat() == ended
    assert result.status == ("converted" if exit_ == "received" else "completed")
    if exit_ == "received":
        assert result.steps[1].at.isoformat() == ended  # the goal runs at the event's time


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@settings(derandomize=True, deadline=None, max_examples=100)
@given(
    st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31)),
    st.sampled_from(ZONES),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.sets(st.integers(0, 6), min_size=1),
)
def test_next_moment_is_the_first_allowed_wall_time_after_now(
    naive: datetime, zone_name: str, at: time, weekdays: set[int]
) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    now = naive.replace(tzinfo=UTC)
    moment = next_moment(now, at, weekdays, zone)
    local = moment.astimezone(zone)
    assert now < moment <= now + timedelta(days=8)
    assert local.weekday() in weekdays
    # The wall time is `at`, except where a DST jump skips it (then it moved forward).
    skipped = datetime.combine(local.date(), at, tzinfo=zone).astimezone(UTC) == moment
    assert local.time() == at or (skipped and local.time() > at)
    # Nothing allowed came earlier: the previous allowed day's moment is not after now.
    for days_back in range(1, 8):
        day = local.date() - timedelta(days=days_back)
        if day.weekday() in weekdays:
            earlier = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
            assert earlier <= now
            break
