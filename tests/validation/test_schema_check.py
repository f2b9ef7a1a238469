"""The schema checker's own dispatch on node type gives exactly the errors `jsonschema` gives
for the merged schema: same messages, keywords, instance paths and schema paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from flowctl.loading.yaml_file import load
from flowctl.schema.merged import build_schema
from flowctl.validation.schema_check import SchemaChecker
from tests.conftest import FIXTURES, REGISTRY, bundled_flows

SCHEMA = build_schema(REGISTRY)
REFERENCE = Draft7Validator(SCHEMA)
CHECKER = SchemaChecker(SCHEMA)
FILES = bundled_flows() + sorted(FIXTURES.glob("*/*.yaml"))


def errors(found: Any) -> list[tuple[Any, ...]]:
    """What the translator reads from errors, nested `context` errors included."""
    return sorted(
        (
            tuple(map(str, error.absolute_path)),
            tuple(map(str, error.absolute_schema_path)),
            error.validator,
            error.message,
            repr(error.instance),
            schema_words(error.schema),
            errors(error.context),
        )
        for error in found
    )


def schema_words(schema: Any) -> tuple[Any, ...]:
    """What the translator reads from the subschema an error comes from."""
    if not isinstance(schema, dict):
        return (schema,)
    words = ("errorMessage", "x-flowctl-rule", "x-flowctl-hint", "type", "enum", "pattern")
    names = (list(schema.get(key, ())) for key in ("properties", "patternProperties"))
    return (*names, *(repr(schema.get(key)) for key in words))


def same_errors(data: Any) -> None:
    assert errors(CHECKER.iter_errors(data)) == errors(REFERENCE.iter_errors(data))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_errors_as_jsonschema_on_every_fixture(path: Path) -> None:
    document = load(path.read_bytes(), path.name).document
    if document is None:
        pytest.skip("not loadable YAML (a yaml-syntax or yaml-limits fixture): no schema to check")
    same_errors(document.data)


def test_the_corpus_exercises_config_errors() -> None:
    documents = (load(path.read_bytes(), path.name).document for path in FILES)
    paths = [
        tuple(error.absolute_schema_path)
        for document in documents
        if document is not None
        for error in CHECKER.iter_errors(document.data)
    ]
    assert any("then" in path for path in paths)


NAMES = st.sampled_from(["a", "b", "default", "received", "timeout", "1x", "x-y"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 120)
    | st.sampled_from(["3d", "bad", "12:30", "email", "https://x.example", "{{ id }}", "", "POST"])
)
KEYS = st.sampled_from(
    ["channel", "template_id", "params", "duration", "until", "time", "event", "timeout",
     "condition", "cases", "variants", "set", "unset", "url", "method", "name", "attribute",
     "equals", "all", "not", "in", "x"]
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS | NAMES, inner, max_size=4),
    max_leaves=10,
)
NODE = st.fixed_dictionaries(
    {"type": st.sampled_from([*REGISTRY.names(), "nope", 3])},
    optional={"config": JSON, "next": JSON, "description": SCALARS, "extra": SCALARS},
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(NAMES, NODE | JSON, max_size=5), JSON)
def test_same_errors_as_jsonschema_on_arbitrary_nodes(nodes: Any, start: Any) -> None:
    same_errors({"version": 1, "name": "f", "start": start, "nodes": nodes})
