"""Hypothesis strategies for the condition language: well-formed conditions and contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from flowctl.language.conditions import OPERATORS
from flowctl.language.contacts import Contact, Event

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5)
    | st.sampled_from(["", "pro", "2026-01-01"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
    ),
    max_leaves=6,
)
attr_paths = st.sampled_from(["plan", "age", "tags", "last_order.total", "missing", "plan.deep"])
operands = {
    "equals": json_values,
    "not_equals": json_values,
    "in": st.lists(json_values, min_size=1, max_size=3),
    "not_in": st.lists(json_values, min_size=1, max_size=3),
    "contains": json_scalars.filter(lambda v: v is not None),
    "not_contains": json_scalars.filter(lambda v: v is not None),
    "gt": st.integers(-5, 5) | st.sampled_from(["pro", "2026"]),
    "gte": st.floats(-5, 5),
    "lt": st.integers(-5, 5) | st.sampled_from(["a", "z"]),
    "lte": st.integers(-5, 5),
    "exists": st.booleans(),
    "starts_with": st.sampled_from(["", "p", "pro", "x"]),
}
leaves = st.sampled_from(OPERATORS).flatmap(
    lambda op: st.fixed_dictionaries({"attribute": attr_paths, op: operands[op]})
)
events = st.fixed_dictionaries(
    {"event": st.sampled_from(["purchased", "opened"])},
    optional={
        "where": st.dictionaries(st.sampled_from(["category", "sku"]), json_scalars, max_size=2),
        "within": st.sampled_from(["1h", "3d", "P30D", "PT90M"]),
    },
)
conditions = st.recursive(
    leaves | events,
    lambda inner: (
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"not": inner})
    ),
    max_leaves=4,
)
contacts = st.builds(
    Contact,
    st.just("c"),
    st.fixed_dictionaries(
        {},
        optional={
            "plan": json_values,
            "age": json_values,
            "tags": json_values,
            "last_order": json_values,
        },
    ),
    st.lists(
        st.builds(
            lambda name, hours, properties: Event(name, NOW + timedelta(hours=hours), properties),
            st.sampled_from(["purchased", "opened"]),
            st.integers(-24 * 40, 24),
            st.dictionaries(st.sampled_from(["category", "sku"]), json_scalars, max_size=2),
        ),
        max_size=3,
    ).map(tuple),
)


# One attribute and a small domain, so that random one_leaves often imply or exclude each other.
DOMAIN = [0, 1, 2, 2.0, 5, 10, "a", "ab", "b", "10", True, False, None, [1], ["a", 1]]
one_scalars = st.sampled_from([value for value in DOMAIN if not isinstance(value, list)])
one_operands: dict[str, st.SearchStrategy[object]] = {
    "equals": st.sampled_from(DOMAIN),
    "not_equals": st.sampled_from(DOMAIN),
    "in": st.lists(st.sampled_from(DOMAIN), min_size=1, max_size=3),
    "not_in": st.lists(st.sampled_from(DOMAIN), min_size=1, max_size=3),
    "contains": one_scalars.filter(lambda value: value is not None),
    "not_contains": one_scalars.filter(lambda value: value is not None),
    "exists": st.booleans(),
    "starts_with": st.sampled_from(["", "a", "ab", "1"]),
    **{
        op: st.sampled_from([0, 1, 2, 2.5, 5, 10, "a", "ab", "b"])
        for op in ("gt", "gte", "lt", "lte")
    },
}
one_leaves = st.sampled_from(OPERATORS).flatmap(
    lambda op: st.fixed_dictionaries({"attribute": st.just("x"), op: one_operands[op]})
)
one_events = st.fixed_dictionaries(
    {"event": st.just("bought")},
    optional={
        "where": st.dictionaries(
            st.sampled_from(["sku", "size"]), st.sampled_from([1, "a"]), max_size=2
        ),
        "within": st.sampled_from(["1h", "1d", "3d", "P30D"]),
    },
)
nested = st.recursive(
    one_leaves | one_events,
    lambda inner: (
        st.fixed_dictionaries({"all": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"any": st.lists(inner, min_size=1, max_size=3)})
        | st.fixed_dictionaries({"not": inner})
    ),
    max_leaves=4,
)
people = st.builds(
    lambda value, missing, bought: Contact(
        "c",
        {} if missing else {"x": value},
        tuple(Event("bought", NOW - timedelta(hours=hours), props) for hours, props in bought),
    ),
    st.sampled_from(DOMAIN),
    st.booleans(),
    st.lists(
        st.tuples(
            st.integers(0, 24 * 40),
            st.dictionaries(
                st.sampled_from(["sku", "size"]), st.sampled_from([1, "a"]), max_size=2
            ),
        ),
        max_size=2,
    ).map(lambda bought: sorted(bought, key=lambda item: -item[0])),
)
