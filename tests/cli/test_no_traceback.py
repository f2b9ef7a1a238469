"""No input file makes validation raise: arbitrary text, mutated real flows, and structurally
plausible flows whose configs hold arbitrary values (so they reach the graph and node checks)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.diagnostics.rules import RULES
from tests.conftest import REGISTRY, VALIDATOR, bundled_flows

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
FLOW_TEXTS = [path.read_text() for path in bundled_flows()]
NAMES = st.sampled_from(["a", "b", "c", "start", "default", "received", "timeout", "x-y", "1"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-200, 200)
    | st.floats(allow_nan=False)
    | (st.text(max_size=12))
    | st.sampled_from(["3d", "PT90M", "12:30", "{{ id }}", "{{ attributes.", "pro", "#a"])
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NAMES, children, max_size=4),
    max_leaves=12,
)
CONFIG_KEYS = st.sampled_from(
    [
        "channel",
        "template_id",
        "params",
        "duration",
        "until",
        "event",
        "where",
        "timeout",
        "condition",
        "cases",
        "variants",
        "set",
        "unset",
        "url",
        "method",
        "headers",
        "body",
        "name",
        "attribute",
        "equals",
        "all",
        "not",
    ]
)


def check(result: Any) -> None:
    for diagnostic in result.diagnostics:
        assert diagnostic.rule in RULES
        assert diagnostic.line >= 1 and diagnostic.column >= 1


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(VALIDATOR.validate_source(text, "fuzz.yaml"))


@SETTINGS
@given(st.sampled_from(FLOW_TEXTS), st.data())
def test_mutated_bundled_flows(text: str, data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 5))
        insert = data.draw(
            st.sampled_from(["", ":", " ", "\n", "- ", "{", "]", "&a", "*a", "'", "~"])
        )
        text = text[:at] + insert + text[at + cut :]
    check(VALIDATOR.validate_source(text, "fuzz.yaml"))


node = st.fixed_dictionaries(
    {"type": st.sampled_from([*REGISTRY.names(), "nope"])},
    optional={
        "config": st.dictionaries(CONFIG_KEYS, JSON, max_size=4) | JSON,
        "next": NAMES | st.none() | st.dictionaries(NAMES, NAMES | st.none(), max_size=4) | JSON,
        "description": SCALARS,
    },
)


@SETTINGS
@given(st.dictionaries(NAMES, node | JSON, min_size=1, max_size=6), NAMES | JSON, st.data())
def test_plausible_flows_with_arbitrary_configs(
    nodes: Any, start: Any, data: st.DataObject
) -> None:
    flow = {"version": 1, "name": "fuzz", "start": start, "nodes": nodes}
    if data.draw(st.booleans()):
        flow["settings"] = {"timezone": data.draw(SCALARS)}
    check(VALIDATOR.validate_source(yaml.safe_dump(flow), "fuzz.yaml"))
