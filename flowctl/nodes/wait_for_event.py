"""`wait_for_event`: wait until the contact does something, or give up after a timeout."""

from __future__ import annotations

from typing import Any, ClassVar

from flowctl.language.durations import parse_duration
from flowctl.nodes.base import (
    Awaited,
    Exits,
    NodeSpec,
    NodeType,
    Outcome,
    RunContext,
    Step,
    object_schema,
)


class WaitForEvent(NodeType):
    """Wait for an event; leave by `received` when it comes, by `timeout` when it does not."""

    name = "wait_for_event"
    summary = "Wait for an event (optionally with matching properties) until a timeout."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "event": {
                "type": "string",
                "minLength": 1,
                "description": "Name of the event to wait for.",
                "examples": ["purchased"],
            },
            "where": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/json_value"},
                "description": "Event properties that must be equal: property -> value.",
                "examples": [{"category": "shoes"}],
            },
            "timeout": {
                "$ref": "#/definitions/duration",
                "description": "How long to wait before leaving by the 'timeout' exit.",
            },
        },
        required=("event", "timeout"),
    )
    exits = Exits.named("received", "timeout")
    example: ClassVar[dict[str, Any]] = {
        "type": "wait_for_event",
        "config": {"event": "purchased", "where": {"category": "shoes"}, "timeout": "3d"},
        "next": {"received": "thank_you", "timeout": "reminder"},
    }

    def prepare(self, node: NodeSpec) -> Step:
        name, where = node.config["event"], node.config.get("where", {})
        timeout = parse_duration(node.config["timeout"])

        awaited = Awaited(name, where, "received")

        def wait(ctx: RunContext) -> Outcome:
            # The engine decides from timestamps which event, if any, ends the wait: one after
            # the wait starts and at or before the deadline. The node never looks ahead.
            return Outcome(exit="timeout", at=ctx.now + timeout, awaits=awaited)

        return wait
