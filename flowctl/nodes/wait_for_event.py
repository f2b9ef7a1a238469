"""`wait_for_event`: wait until the contact does something, or give up after a timeout."""

from __future__ import annotations

from typing import Any, ClassVar

from flowctl.nodes.base import Exits, NodeType, object_schema


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
