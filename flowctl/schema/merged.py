"""The merged flow schema: the base flow format plus every registered node type's fragment.

Draft-07, because it is the newest draft that VS Code's YAML extension, check-jsonschema and the
`jsonschema` library all implement fully. A node's config is checked against its own type's
fragment through `if`/`then` on the node's `type` (never a `oneOf` over all types), so an error
inside a config is reported once, against that node's type.
"""

from __future__ import annotations

import json
from typing import Any

from flowctl.language.conditions import CONDITION_SCHEMA
from flowctl.language.durations import DURATION_SCHEMA, TIME_OF_DAY_SCHEMA
from flowctl.nodes.base import NodeType
from flowctl.plugins.registry import Registry

DRAFT = "http://json-schema.org/draft-07/schema#"
SLUG = r"^[a-z0-9][a-z0-9_-]*$"
NODE_ID = r"^[A-Za-z_][A-Za-z0-9_-]*$"
EXTENSION_KEY = r"^x-"

#: Any value a run can hand on as JSON (template params, a webhook body, attribute values).
#: YAML also reads dates, timestamps and binary data, which JSON has no words for: an unquoted
#: `2026-01-01` would reach the trace or the request as a Python date. Keys must be text.
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "Any JSON value: text, a number, true/false, null, a list or a mapping.",
    "type": ["string", "number", "boolean", "null", "array", "object"],
    "items": {"$ref": "#/definitions/json_value"},
    "propertyNames": {"type": "string"},
    "additionalProperties": {"$ref": "#/definitions/json_value"},
    "errorMessage": "must be a JSON value: text, a number, true/false, null, a list or a mapping",
}

#: Definitions every fragment may reference as ``#/definitions/NAME``.
SHARED_DEFINITIONS: dict[str, dict[str, Any]] = {
    "condition": CONDITION_SCHEMA,
    "duration": DURATION_SCHEMA,
    "json_value": JSON_VALUE_SCHEMA,
    "time_of_day": TIME_OF_DAY_SCHEMA,
}


def config_definition(type_name: str) -> str:
    """Name of the definition that holds one node type's config fragment."""
    return f"config:{type_name}"


def _next_schema() -> dict[str, Any]:
    target = {"type": ["string", "null"], "description": "Node id, or null to end the path."}
    return {
        "description": "Where the contact goes next: a node id for single-exit nodes, a "
        "mapping exit name -> node id (or null) for nodes with named exits. Omit it to end "
        "the path here.",
        "type": ["string", "null", "object"],
        "additionalProperties": target,
    }


def _type_schema(registry: Registry) -> dict[str, Any]:
    """`type`, with one description per type: editors show each beside its completion.

    `markdownEnumDescriptions` (yaml-language-server, VS Code) and `enumDescriptions` follow the
    order of `enum`; other clients ignore both and keep the short `description`.
    """
    names = registry.names()
    types = {node_type.name: node_type for node_type in registry}
    return {
        "type": "string",
        "enum": names,
        "description": "The node type: one of the installed types (`flowctl nodes` lists them).",
        "enumDescriptions": [types[name].summary for name in names],
        "markdownEnumDescriptions": [_type_markdown(types[name]) for name in names],
    }


def _type_markdown(node_type: NodeType) -> str:
    return f"**{node_type.name}**: {node_type.summary}\n\nExits: {node_type.exits.describe()}."


def _node_schema(registry: Registry) -> dict[str, Any]:
    dispatch = []
    for node_type in registry:
        then: dict[str, Any] = {
            "properties": {"config": {"$ref": f"#/definitions/{config_definition(node_type.name)}"}}
        }
        if node_type.config_required:
            then["required"] = ["config"]
        dispatch.append(
            {
                "if": {"properties": {"type": {"const": node_type.name}}, "required": ["type"]},
                "then": then,
            }
        )
    return {
        "type": "object",
        "description": "One step of the flow.",
        "required": ["type"],
        "properties": {
            "type": _type_schema(registry),
            "description": {"type": "string", "description": "What this step is for."},
            "config": {
                "type": "object",
                "description": "Settings of the node; their shape depends on `type`.",
            },
            "next": _next_schema(),
        },
        "additionalProperties": False,
        "allOf": dispatch,
    }


def build_schema(registry: Registry) -> dict[str, Any]:
    """The merged JSON Schema for flow files with the given node types."""
    definitions: dict[str, Any] = dict(SHARED_DEFINITIONS)
    definitions["node"] = _node_schema(registry)
    for node_type in registry:
        fragment = dict(node_type.config_schema)
        # Editors name a definition by its title; without one they show `config:send_message`.
        fragment.setdefault("title", f"{node_type.name} config")
        fragment.setdefault("description", node_type.summary)
        definitions[config_definition(node_type.name)] = fragment
    return {
        "$schema": DRAFT,
        "title": "flowctl flow",
        "description": "A marketing-automation flow: a directed acyclic graph of nodes.",
        "type": "object",
        "required": ["version", "name", "start", "nodes"],
        "properties": {
            "version": {"const": 1, "description": "Format version; only 1 exists today."},
            "name": {
                "type": "string",
                "pattern": SLUG,
                "errorMessage": "must be a slug: lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit",
                "description": "The flow's name, a slug.",
                "examples": ["post-purchase"],
            },
            "description": {"type": "string", "description": "What the flow is for."},
            "settings": {
                "type": "object",
                "description": "Flow-wide settings.",
                "properties": {
                    "timezone": {
                        "type": "string",
                        "description": "IANA zone for time-of-day delays when the contact has "
                        "no `timezone` attribute; UTC when omitted.",
                        "examples": ["Europe/Berlin"],
                    },
                    "reentry": {
                        "type": "boolean",
                        "default": False,
                        "description": "Real runs: whether a contact that already has an active "
                        "or waiting run of this flow is enrolled again. false when omitted.",
                    },
                },
                "additionalProperties": False,
            },
            "start": {
                "type": "string",
                "description": "Id of the node every contact enters first.",
            },
            "nodes": {
                "type": "object",
                "description": "The steps of the flow: node id -> node.",
                "minProperties": 1,
                "propertyNames": {
                    "pattern": NODE_ID,
                    "errorMessage": "is not a valid node id: start with a letter or '_', then "
                    "letters, digits, '_' or '-'",
                },
                "additionalProperties": {"$ref": "#/definitions/node"},
            },
        },
        "patternProperties": {
            EXTENSION_KEY: {"description": "Extension key, ignored by flowctl (e.g. for anchors)."}
        },
        "additionalProperties": False,
        "definitions": definitions,
    }


def dumps(schema: dict[str, Any]) -> str:
    """The schema as committed to schemas/flow.schema.json: stable, readable, newline-ended."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
