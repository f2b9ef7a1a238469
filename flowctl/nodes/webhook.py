"""`webhook`: call an HTTP endpoint with data about the contact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.effects import HttpCall
from flowctl.language.references import TEMPLATE_DESCRIPTION, check_references
from flowctl.nodes.base import (
    RETRY_SCHEMA,
    NodeSpec,
    NodeType,
    Outcome,
    RunContext,
    Step,
    object_schema,
    renderer,
)

METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE")
_TEMPLATED = ("url", "headers", "body")


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
                "allOf": [{"$ref": "#/definitions/json_value"}],  # a sibling of $ref is ignored
                "description": "JSON request body; its strings may hold references. "
                + TEMPLATE_DESCRIPTION,
            },
            "timeout": {
                "$ref": "#/definitions/duration",
                "default": "10s",
                "description": "How long to wait for the response; 10s when omitted.",
            },
            "retry": RETRY_SCHEMA,
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
        for field in _TEMPLATED:
            yield from check_references(node.config.get(field), (*node.config_path, field))

    def prepare(self, node: NodeSpec) -> Step:
        config = node.config
        # A URL and header values are text on the wire; only the body keeps JSON types.
        address_for = renderer(
            {key: config[key] for key in ("url", "headers") if key in config}, True
        )
        body_for = renderer(config["body"]) if "body" in config else None
        method, timeout = config.get("method", "POST"), config.get("timeout", "10s")

        def call(ctx: RunContext) -> Outcome:
            request, warnings = address_for(ctx.contact)
            if body_for is None:
                effect = HttpCall(method, request["url"], timeout, request.get("headers"))
                return Outcome(effect=effect, warnings=warnings)
            body, more = body_for(ctx.contact)
            effect = HttpCall(method, request["url"], timeout, request.get("headers"), body, True)
            return Outcome(effect=effect, warnings=tuple(dict.fromkeys(warnings + more)))

        return call
