"""The plain-Python schema predicate agrees with `jsonschema.Draft7Validator.is_valid`: on the
merged schema (fixtures, bundled flows, mutated flows, arbitrary documents) and keyword by keyword
on small schemas. It may say "undecided", never "valid" where jsonschema finds an error."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from flowctl.loading.yaml_file import load
from flowctl.schema.merged import build_schema
from flowctl.validation.fast_schema import Undecided, compile_schema
from flowctl.validation.schema_check import FlowValidator
from tests.conftest import FIXTURES, REGISTRY, bundled_flows

from .test_schema_check import JSON, NAMES, NODE

SCHEMA = build_schema(REGISTRY)
REFERENCE = FlowValidator(SCHEMA)
ACCEPTS = compile_schema(SCHEMA)
FILES = bundled_flows() + sorted(FIXTURES.glob("*/*.yaml"))
VALID_FLOWS = [load(path.read_bytes(), path.name).document.data for path in bundled_flows()]


def agrees(predicate: Any, validator: Draft7Validator, data: Any) -> None:
    try:
        answer = predicate(data)
    except Undecided:
        return
    assert answer == validator.is_valid(data), data


def test_the_merged_schema_compiles() -> None:
    assert ACCEPTS is not None


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agrees_on_every_fixture(path: Any) -> None:
    document = load(path.read_bytes(), path.name).document
    if document is not None:
        agrees(ACCEPTS, REFERENCE, document.data)


def test_accepts_the_bundled_flows_without_jsonschema() -> None:
    assert all(ACCEPTS(data) for data in VALID_FLOWS)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated_flows(draw: st.DrawFn) -> Any:
    """A bundled flow with one value replaced or one key dropped: mostly near-valid documents."""
    data = copy.deepcopy(draw(st.sampled_from(VALID_FLOWS)))
    path = draw(st.sampled_from(_paths(data)[1:]))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON | st.sampled_from([1.0, 2.5, "09:30", "P3D", [], {}]))
    return data


@settings(max_examples=400, deadline=None, derandomize=True)
@given(mutated_flows())
def test_agrees_on_mutated_flows(data: Any) -> None:
    agrees(ACCEPTS, REFERENCE, data)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(NAMES, NODE | JSON, max_size=5), JSON)
def test_agrees_on_arbitrary_nodes(nodes: Any, start: Any) -> None:
    agrees(ACCEPTS, REFERENCE, {"version": 1, "name": "f", "start": start, "nodes": nodes})


# Keyword by keyword, with the values that trip JSON Schema implementations up.
VALUES = [None, True, False, 0, 1, 1.0, 2.5, -3, 10**20, math.nan, math.inf, "", "a", "ab", "1",
          [], [1], [1, 1.0], [True, 1], ["a", "a"], ["a", "b"], [[1], [1]], {}, {"a": 1},
          {"a": 1, "b": "x"}, {"b": None, "c": []}, {"x-1": 1, "y": 2}]  # fmt: skip
SCHEMAS = [
    True,
    False,
    {"type": "integer"},
    {"type": ["number", "null"]},
    {"type": []},
    {"enum": [1, "a", None, [1], {"a": 1}]},
    {"enum": ["a", "ab"]},
    {"const": 1},
    {"const": True},
    {"const": [1, {"a": 1}]},
    {"minimum": 1, "maximum": 2.5},
    {"exclusiveMinimum": 0, "exclusiveMaximum": 2.5},
    {"multipleOf": 2},
    {"minLength": 1, "maxLength": 1},
    {"pattern": "^a"},
    {"minItems": 1, "maxItems": 1},
    {"uniqueItems": True},
    {"uniqueItems": False},
    {"items": {"type": "integer"}},
    {"items": [{"type": "integer"}], "additionalItems": False},
    {"items": [{"type": "integer"}], "additionalItems": {"type": "string"}},
    {"additionalItems": False},
    {"contains": {"type": "boolean"}},
    {"required": ["a"], "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}},
    {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
    {"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False},
    {"patternProperties": {"^x-": True}, "additionalProperties": {"type": "integer"}},
    {"propertyNames": {"pattern": "^[ab]$"}},
    {"minProperties": 1, "maxProperties": 1},
    {"dependencies": {"a": ["b"], "b": {"required": ["c"]}}},
    {"allOf": [{"type": "object"}, {"required": ["a"]}]},
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
    {"not": {"type": "object"}},
    {"if": {"type": "object"}, "then": {"required": ["a"]}, "else": {"type": "string"}},
    {"then": {"type": "string"}},
    {"$ref": "#/definitions/list", "type": "string", "definitions": {
        "list": {"type": ["array", "integer"], "items": {"$ref": "#/definitions/list"}}}},
    {"allOf": [{"if": {"properties": {"type": {"const": "a"}}, "required": ["type"]},
                "then": {"required": ["a"]}},
               {"if": {"properties": {"type": {"const": "b"}}, "required": ["type"]},
                "then": {"type": "object"}}]},
    {"format": "email", "description": "annotations assert nothing", "x-flowctl-rule": "schema"},
]  # fmt: skip
INSTANCES = [*VALUES, {"type": "a"}, {"type": "a", "a": 0}, {"type": "b"}, {"type": 3}, [[[1]]]]


@pytest.mark.parametrize("schema", SCHEMAS, ids=repr)
def test_agrees_keyword_by_keyword(schema: Any) -> None:
    predicate = compile_schema(schema)
    assert predicate is not None
    validator = FlowValidator(schema)
    for instance in INSTANCES:
        agrees(predicate, validator, instance)


@pytest.mark.parametrize(
    "schema",
    [{"$ref": "other.json#/x"}, {"$id": "https://x.example/s", "type": "object"},
     {"type": "any"}, {"$ref": "#anchor"}, {"$ref": "#/definitions/missing"},
     {"$ref": "#/definitions/a/definitions/b",
      "definitions": {"a": {"$id": "http://x.example/a",
                            "definitions": {"b": {"$ref": "#/definitions/c"}, "c": {}}}}},
     {"pattern": "("}, {"patternProperties": {"[": {}}}],
    ids=repr,
)  # fmt: skip
def test_what_it_does_not_understand_is_left_to_jsonschema(schema: Any) -> None:
    assert compile_schema(schema) is None


def test_values_it_cannot_judge_exactly_are_undecided() -> None:
    predicate = compile_schema({"uniqueItems": True})
    assert predicate is not None
    with pytest.raises(Undecided):
        predicate([True, 1])
    with pytest.raises(Undecided):
        predicate([math.nan, math.nan])


def test_a_reference_into_a_list_by_a_non_ascii_digit_is_left_to_jsonschema() -> None:
    assert compile_schema({"$ref": "#/allOf/²", "allOf": [{}]}) is None
