"""The merged schema's one shape that both schema checks look for: a node type chosen by `type`."""

from __future__ import annotations

from typing import Any


def dispatched_type(entry: Any) -> str | None:
    """T for `{if: {properties: {type: {const: T}}, required: [type]}, then: ...}`, else None."""
    if not (isinstance(entry, dict) and set(entry) == {"if", "then"}):
        return None
    condition = entry["if"]
    if not (isinstance(condition, dict) and set(condition) == {"properties", "required"}):
        return None
    properties = condition["properties"]
    if condition["required"] != ["type"] or not isinstance(properties, dict):
        return None
    const = properties.get("type") if set(properties) == {"type"} else None
    name = const.get("const") if isinstance(const, dict) and set(const) == {"const"} else None
    return name if isinstance(name, str) else None
