"""Durations and times of day: the schema patterns and the parsers agree, and parse right."""

from __future__ import annotations

import re
from datetime import time, timedelta

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.language.durations import (
    DURATION_SCHEMA,
    TIME_OF_DAY_SCHEMA,
    check_duration,
    check_time_of_day,
    format_duration,
    parse_duration,
    parse_time_of_day,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=80)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# Strings near the grammar find the edges far more often than arbitrary text.
near_duration = st.text(alphabet="0123456789smhdwPTWDHMSY \n.-+", max_size=12)
near_time = st.text(alphabet="0123456789:\n ", max_size=7)


VALIDATORS = {id(s): jsonschema.Draft7Validator(s) for s in (DURATION_SCHEMA, TIME_OF_DAY_SCHEMA)}


def schema_accepts(schema: dict[str, object], value: object) -> bool:
    return VALIDATORS[id(schema)].is_valid(value)


def parses(parse: object, text: str) -> bool:
    try:
        parse(text)  # type: ignore[operator]
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("0h", timedelta(0)),
        ("007d", timedelta(days=7)),
        ("P3D", timedelta(days=3)),
        ("PT90M", timedelta(minutes=90)),
        ("P1W2DT3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("PT36H", timedelta(hours=36)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("999999w", timedelta(weeks=999999)),
    ],
)
def test_known_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert schema_accepts(DURATION_SCHEMA, text)
    assert list(check_duration(text, ("x",))) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "3",
        "d",
        "3 d",
        "3days",
        "3D",
        "1.5h",
        "-3d",
        "+3d",
        "3d\n",
        " 3d",
        "3d2h",
        "P",
        "PT",
        "P1DT",
        "P1Y",
        "P1M",
        "P1.5D",
        "PT1H2D",
        "P1D1W",
        "p3d",
        "1000000s",
        "٣d",
        "P1DT1H1H",
    ],
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)
    assert not schema_accepts(DURATION_SCHEMA, text)
    [finding] = check_duration(text, ("nodes", "w", "config", "duration"))
    assert finding.rule == "invalid-duration"
    assert finding.path == ("nodes", "w", "config", "duration")
    assert repr(text) in finding.message


def test_bad_duration_message_explains_years_and_months() -> None:
    with pytest.raises(ValueError, match="years and months are not allowed"):
        parse_duration("P1M")
    assert "years and months" in str(DURATION_SCHEMA["x-flowctl-hint"])


def test_non_strings_are_not_durations() -> None:
    with pytest.raises(ValueError, match="3 is not a duration"):
        parse_duration(3)  # type: ignore[arg-type]
    assert [f.rule for f in check_duration(3, ())] == ["invalid-duration"]
    assert not schema_accepts(DURATION_SCHEMA, 3)


@SETTINGS
@given(st.one_of(st.text(max_size=12), near_duration))
def test_schema_and_parser_agree_on_any_string(text: str) -> None:
    # jsonschema applies `pattern` with re.search; the parser must accept exactly the same set.
    assert schema_accepts(DURATION_SCHEMA, text) == parses(parse_duration, text)
    assert bool(re.search(DURATION_SCHEMA["pattern"], text)) == parses(parse_duration, text)


@SETTINGS
@given(st.integers(0, 999999), st.sampled_from(sorted(UNITS)))
def test_compact_round_trip(count: int, unit: str) -> None:
    assert parse_duration(f"{count}{unit}") == timedelta(seconds=count * UNITS[unit])


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 999999)), min_size=5, max_size=5))
def test_iso_round_trip(parts: list[int | None]) -> None:
    weeks, days, hours, minutes, seconds = parts
    date = "".join(f"{n}{u}" for n, u in ((weeks, "W"), (days, "D")) if n is not None)
    clock = "".join(
        f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n is not None
    )
    text = "P" + date + ("T" + clock if clock else "")
    if text == "P":
        assert not parses(parse_duration, text)
        return
    expected = timedelta(
        weeks=weeks or 0,
        days=days or 0,
        hours=hours or 0,
        minutes=minutes or 0,
        seconds=seconds or 0,
    )
    assert parse_duration(text) == expected


@SETTINGS
@given(st.integers(0, 10**9))
def test_format_duration_parts_add_up(seconds: int) -> None:
    text = format_duration(timedelta(seconds=seconds))
    parts = re.findall(r"[0-9]+[dhms]", text)
    assert "".join(parts) == text  # nothing but parts, each one a valid duration
    assert sum((parse_duration(part) for part in parts), timedelta()) == timedelta(seconds=seconds)
    assert len({part[-1] for part in parts}) == len(parts)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=3), "3d"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=14), "14d"),
        (timedelta(0), "0s"),
        (timedelta(seconds=59, microseconds=999999), "59s"),
        (timedelta(days=-1), "-1d"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:30", time(9, 30)), ("9:30", time(9, 30)), ("0:00", time(0, 0)), ("23:59", time(23, 59))],
)
def test_known_times(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected
    assert schema_accepts(TIME_OF_DAY_SCHEMA, text)
    assert list(check_time_of_day(text, ())) == []


@pytest.mark.parametrize(
    "text", ["24:00", "9:5", "09:60", "0930", "9h30", "09:30:00", "09:30\n", "", " 9:30", "123:00"]
)
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_time_of_day(text)
    assert not schema_accepts(TIME_OF_DAY_SCHEMA, text)
    [finding] = check_time_of_day(text, ("until", "time"))
    assert (finding.rule, finding.path) == ("invalid-duration", ("until", "time"))


def test_time_of_day_schema_tells_to_quote() -> None:
    # YAML 1.1 reads an unquoted 12:30 as 750; the message must point at the fix.
    assert not schema_accepts(TIME_OF_DAY_SCHEMA, 750)
    assert "quote" in str(TIME_OF_DAY_SCHEMA["x-flowctl-hint"])


@SETTINGS
@given(st.one_of(st.text(max_size=7), near_time))
def test_time_schema_and_parser_agree(text: str) -> None:
    assert schema_accepts(TIME_OF_DAY_SCHEMA, text) == parses(parse_time_of_day, text)


@SETTINGS
@given(st.integers(0, 23), st.integers(0, 59), st.booleans())
def test_time_round_trip(hour: int, minute: int, pad: bool) -> None:
    text = f"{hour:02d}:{minute:02d}" if pad else f"{hour}:{minute:02d}"
    assert parse_time_of_day(text) == time(hour, minute)


@pytest.mark.parametrize("schema", [DURATION_SCHEMA, TIME_OF_DAY_SCHEMA])
def test_schemas_are_draft7_and_carry_the_rule(schema: dict[str, object]) -> None:
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["x-flowctl-rule"] == "invalid-duration"
    assert isinstance(schema["errorMessage"], str)
    for example in schema["examples"]:  # type: ignore[attr-defined]
        assert schema_accepts(schema, example)
