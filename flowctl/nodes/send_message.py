"""`send_message`: send one templated message to the contact on a channel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.effects import SendMessage as Send
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

CHANNELS = ("email", "sms", "push", "webhook")


class SendMessage(NodeType):
    """Send a message built from a template to the contact."""

    name = "send_message"
    summary = "Send a templated message to the contact by email, SMS, push or webhook."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "channel": {
                "type": "string",
                "enum": list(CHANNELS),
                "description": "Channel the message goes out on.",
            },
            "template_id": {
                "type": "string",
                "minLength": 1,
                "description": "Id of the message template in your messaging provider.",
                "examples": ["welcome_v2"],
            },
            "params": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/json_value"},
                "description": "Template variables: name -> value. " + TEMPLATE_DESCRIPTION,
                "examples": [{"first_name": "{{ attributes.first_name }}"}],
            },
            "retry": RETRY_SCHEMA,
        },
        required=("channel", "template_id"),
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "send_message",
        "config": {
            "channel": "email",
            "template_id": "welcome_v2",
            "params": {"first_name": "{{ attributes.first_name }}"},
        },
        "next": "wait_2d",
    }

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        yield from check_references(node.config.get("params"), (*node.config_path, "params"))

    def prepare(self, node: NodeSpec) -> Step:
        channel, template_id = node.config["channel"], node.config["template_id"]
        params = renderer(node.config["params"]) if "params" in node.config else None

        def send(ctx: RunContext) -> Outcome:
            if params is None:
                return Outcome(effect=Send(channel, template_id, ctx.contact.id))
            values, warnings = params(ctx.contact)
            return Outcome(
                effect=Send(channel, template_id, ctx.contact.id, values), warnings=warnings
            )

        return send
