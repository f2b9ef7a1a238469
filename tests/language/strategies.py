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
