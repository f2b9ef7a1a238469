"""`webhook`: call an HTTP endpoint with data about the contact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flowctl.diagnostics import Finding
from flowctl.nodes.base import NodeSpec, NodeType, object_schema
from flowctl.references import TEMPLATE_DESCRIPTION, check_references

METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE")


class Webhook(NodeType):
    """Send an HTTP request whose url, headers and body may reference the contact."""

    name = "webhook"
    summary = "Call an HTTP(S) endpoint; url, headers and body may reference the contact."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "url": {
                "type": "string",
                "pattern": r"^(https?://|\{\{)",
                "errorMessage": "must be an http:// or https:// URL",
                "description": "Endpoint URL (http or https). " + TEMPLATE_DESCRIPTION,
                "examples": ["https://crm.example.com/contacts/{{ id }}/touch"],
            },
            "method": {
                "type": "string",
                "enum": list(METHODS),
                "default": "POST",
                "description": "HTTP method; POST when omitted.",
            },
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Request headers: name -> value. " + TEMPLATE_DESCRIPTION,
            },
            "body": {
                "description": "JSON request body; its strings may hold references. "
                + TEMPLATE_DESCRIPTION,
            },
            "timeout": {
                "$ref": "#/definitions/duration",
                "default": "10s",
                "description": "How long to wait for the response; 10s when omitted.",
            },
        },
        required=("url",),
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "webhook",
        "config": {
            "url": "https://crm.example.com/hooks/converted",
            "method": "POST",
            "body": {"contact": "{{ id }}", "plan": "{{ attributes.plan }}"},
            "timeout": "5s",
        },
        "next": "done",
    }

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        for field in ("url", "headers", "body"):
            yield from check_references(node.config.get(field), (*node.config_path, field))
