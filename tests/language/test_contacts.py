"""Contact parsing and attribute paths (read and copy-on-write)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.language.contacts import (
    Contact,
    ContactError,
    Event,
    get_attribute,
    loads,
    parse_contact,
    set_attribute,
    split_path,
    unset_attribute,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=40)
segment = st.sampled_from(["a", "b", "c", "last_order", "x-1"])
paths = st.lists(segment, min_size=1, max_size=4).map(".".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(segment, inner, max_size=3),
    max_leaves=10,
)
attribute_maps = st.dictionaries(segment, json_values, max_size=4)

DESIGN_CONTACT = {
    "id": "c-1001",
    "attributes": {"plan": "pro", "last_order": {"category": "shoes", "total": 120.5}},
    "events": [
        {"name": "opened", "at": "2026-11-21T08:00:00+01:00"},
        {"name": "purchased", "at": "2026-11-20T10:00:00Z", "properties": {"sku": "SH-1"}},
    ],
}


def test_parse_contact_from_design() -> None:
    contact = parse_contact(DESIGN_CONTACT)
    assert contact.id == "c-1001"
    assert contact.attributes["last_order"]["total"] == 120.5
    # Sorted by time, and converted to UTC.
    assert [e.name for e in contact.events] == ["purchased", "opened"]
    assert contact.events[0].at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert contact.events[1].at == datetime(2026, 11, 21, 7, tzinfo=UTC)
    assert contact.events[1].at.tzinfo is UTC
    assert contact.events[0].properties == {"sku": "SH-1"}
    assert contact.events[1].properties == {}


def test_minimal_contact_and_int_id() -> None:
    assert parse_contact({"id": "a"}) == Contact("a", {}, ())
    assert parse_contact({"id": 42}).id == "42"


def test_naive_event_times_are_utc() -> None:
    contact = parse_contact({"id": "a", "events": [{"name": "x", "at": "2026-01-02T03:04:05"}]})
    assert contact.events[0].at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert Event("x", datetime(2026, 1, 1)).at.tzinfo is UTC


def test_equal_times_keep_their_order() -> None:
    at = "2026-01-01T00:00:00Z"
    events = [{"name": name, "at": at} for name in ("first", "second", "third")]
    contact = parse_contact({"id": "a", "events": events})
    assert [e.name for e in contact.events] == ["first", "second", "third"]


def test_parse_contact_does_not_share_input_dicts() -> None:
    raw: dict[str, Any] = {"id": "a", "attributes": {"plan": "pro"}}
    contact = parse_contact(raw)
    raw["attributes"]["plan"] = "free"
    assert contact.attributes == {"plan": "pro"}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "a contact must be a JSON object, got a list"),
        ({}, "contact is missing 'id'"),
        ({"id": ""}, "contact 'id' must be a non-empty string, got ''"),
        ({"id": True}, "contact 'id' must be a non-empty string, got true"),
        ({"id": 1.5}, "contact 'id' must be a non-empty string"),
        (
            {"id": "a", "attribute": {}},
            "contact has an unknown key 'attribute'; expected id, attributes, events",
        ),
        ({"id": "a", "attributes": []}, "contact 'attributes' must be an object, got a list"),
        ({"id": "a", "events": {}}, "contact 'events' must be a list, got a mapping"),
        ({"id": "a", "events": ["x"]}, "events[0] must be an object, got a string"),
        (
            {"id": "a", "events": [{"at": "2026-01-01"}]},
            "events[0].name must be a non-empty string",
        ),
        ({"id": "a", "events": [{"name": "x"}]}, "events[0] is missing 'at'"),
        (
            {
                "id": "a",
                "events": [{"name": "x", "at": "2026-01-01"}, {"name": "y", "at": "yesterday"}],
            },
            "events[1].at is not an ISO 8601 time: 'yesterday'",
        ),
        (
            {"id": "a", "events": [{"name": "x", "at": 1700000000}]},
            "events[0].at is not an ISO 8601 time: 1700000000",
        ),
        (
            {"id": "a", "events": [{"name": "x", "at": "2026-01-01", "props": {}}]},
            "events[0] has an unknown key 'props'",
        ),
        (
            {"id": "a", "events": [{"name": "x", "at": "2026-01-01", "properties": 3}]},
            "events[0].properties must be an object",
        ),
    ],
)
def test_parse_contact_errors(obj: Any, message: str) -> None:
    with pytest.raises(ContactError) as raised:
        parse_contact(obj)
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, ValueError)


def test_get_attribute() -> None:
    attributes = {"plan": "pro", "none": None, "last_order": {"category": "shoes"}, "tags": ["a"]}
    assert get_attribute(attributes, "plan") == (True, "pro")
    assert get_attribute(attributes, "last_order.category") == (True, "shoes")
    assert get_attribute(attributes, "last_order") == (True, {"category": "shoes"})
    assert get_attribute(attributes, "none") == (True, None)  # null is a value
    assert get_attribute(attributes, "missing") == (False, None)
    assert get_attribute(attributes, "plan.tier") == (False, None)  # a text on the way
    assert get_attribute(attributes, "tags.0") == (False, None)  # lists are not indexed
    assert get_attribute(attributes, "") == (False, None)
    assert get_attribute(attributes, 3) == (False, None)  # type: ignore[arg-type]


@SETTINGS
@given(json_values, st.text(max_size=8))
def test_get_attribute_never_raises(value: Any, path: str) -> None:
    found, _ = get_attribute({"a": value, "b": {"c": value}}, path)
    assert isinstance(found, bool)


def test_set_attribute_copies_along_the_path_only() -> None:
    shared = {"keep": [1]}
    attributes = {"last_order": {"category": "shoes"}, "other": shared}
    before = copy.deepcopy(attributes)
    result = set_attribute(attributes, "last_order.total", 10)
    assert attributes == before
    assert result == {"last_order": {"category": "shoes", "total": 10}, "other": shared}
    assert result["other"] is shared  # untouched branches are shared, not copied


def test_set_attribute_creates_and_replaces_intermediates() -> None:
    assert set_attribute({}, "a.b.c", 1) == {"a": {"b": {"c": 1}}}
    assert set_attribute({"plan": "pro"}, "plan.tier", "gold") == {"plan": {"tier": "gold"}}


def test_unset_attribute() -> None:
    attributes = {"a": {"b": 1, "c": 2}, "d": 3}
    assert unset_attribute(attributes, "a.b") == {"a": {"c": 2}, "d": 3}
    assert unset_attribute(attributes, "d") == {"a": {"b": 1, "c": 2}}
    assert unset_attribute({"a": {"b": 1}}, "a.b") == {"a": {}}  # emptied objects stay
    missing = unset_attribute(attributes, "a.zz")
    assert missing == attributes and missing is not attributes
    assert attributes == {"a": {"b": 1, "c": 2}, "d": 3}


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a.", "first name", "a.b c"])
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(ContactError):
        split_path(path)
    with pytest.raises(ContactError):
        set_attribute({}, path, 1)
    with pytest.raises(ContactError):
        unset_attribute({}, path)


@SETTINGS
@given(attribute_maps, paths, json_values)
def test_set_then_get_and_input_untouched(
    attributes: dict[str, Any], path: str, value: Any
) -> None:
    before = copy.deepcopy(attributes)
    result = set_attribute(attributes, path, value)
    assert get_attribute(result, path) == (True, value)
    assert attributes == before


@SETTINGS
@given(attribute_maps, paths)
def test_unset_then_missing_and_input_untouched(attributes: dict[str, Any], path: str) -> None:
    before = copy.deepcopy(attributes)
    result = unset_attribute(attributes, path)
    assert get_attribute(result, path) == (False, None)
    assert attributes == before


def test_aware_non_utc_event_is_converted() -> None:
    plus_two = timezone(timedelta(hours=2))
    contact = parse_contact(
        {"id": "a", "events": [{"name": "x", "at": "2026-01-01T02:00:00+02:00"}]}
    )
    assert contact.events[0].at == datetime(2026, 1, 1, 2, tzinfo=plus_two)
    assert contact.events[0].at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "x", "n": NaN}', "NaN is not a JSON number"),
        ('{"id": "x", "n": -Infinity}', "-Infinity is not a JSON number"),
        ('{"id": "x", "n": 1e999}', "the number 1e999 is too large"),
        ('{"id": "x", "n": 1E+400}', "the number 1E+400 is too large"),
        ('{"id": "x", "n": ' + "9" * 310 + ".5}", "too large for a JSON number"),
        ('{"id": "x", "n": 1' + "0" * 250 + "e99}", "too large for a JSON number"),
        ('{"id": "\\ud83d"}', "lone UTF-16 surrogate"),
        ('{"id": ' + "1" * 5000 + "}", "a number has more than 4,300 digits"),
        ("[" * 100_000, "the contact nests deeper than 100 levels"),
    ],
)
def test_loads_refuses_what_would_break_a_trace(text: str, message: str) -> None:
    with pytest.raises(ContactError, match=re.escape(message)):
        loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 1e308}',
        '{"n": 2.5e-300}',
        '{"s": "\\ud83d\\ude00 e100"}',
        '{"n": 1' + "0" * 400 + "}",
    ],
)
def test_loads_keeps_what_is_fine(text: str) -> None:
    assert loads(text) == json.loads(text)


def test_loads_reads_bytes_in_any_json_encoding() -> None:
    assert loads(b"\xef\xbb\xbf" + '{"id": "é"}'.encode()) == {"id": "é"}
    assert loads('{"id": "é"}'.encode("utf-16")) == {"id": "é"}
