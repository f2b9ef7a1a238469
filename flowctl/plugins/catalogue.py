"""The node catalogue as data: each type's fields, read from its own schema fragment.

`flowctl nodes` renders it, and the docs are generated from it, so a plugin's fields are
documented the moment it is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.nodes.base import NodeType


@dataclass(frozen=True, slots=True)
class Field:
    """One config field of a node type."""

    name: str
    type: str
    required: bool
    description: str
    default: Any = None


def describe_type(schema: Mapping[str, Any]) -> str:
    """A short type name for a schema: `duration`, `email | sms`, `list of string`."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(str(option) for option in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return f"list of {describe_type(items)}" if isinstance(items, Mapping) else "list"
    if kind == "object":
        return "mapping"
    if isinstance(kind, list):
        return " | ".join(kind)
    return str(kind) if kind else "any JSON value"


def fields(node_type: NodeType) -> Iterator[Field]:
    """The config fields of a type, nested objects flattened as `until.time`."""
    yield from _fields(node_type.config_schema, "")


def _fields(schema: Mapping[str, Any], prefix: str) -> Iterator[Field]:
    required = set(schema.get("required", ()))
    for name, sub in schema.get("properties", {}).items():
        yield Field(
            name=prefix + name,
            type=describe_type(sub),
            required=name in required,
            description=str(sub.get("description", "")),
            default=sub.get("default"),
        )
        if sub.get("type") == "object" and "properties" in sub and sub["properties"]:
            yield from _fields(sub, f"{prefix}{name}.")
