"""`delay`: hold the contact for a duration, or until the next allowed time of day."""

from __future__ import annotations

from typing import Any, ClassVar

from flowctl.nodes.base import NodeType, object_schema

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Delay(NodeType):
    """Wait for a fixed duration or until a time of day on allowed weekdays."""

    name = "delay"
    summary = "Wait a duration (3d, PT90M) or until the next HH:MM on allowed weekdays."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "duration": {
                "$ref": "#/definitions/duration",
                "description": "How long to wait: <int><unit> (s, m, h, d, w) or ISO 8601.",
            },
            "until": object_schema(
                {
                    "time": {
                        "$ref": "#/definitions/time_of_day",
                        "description": "Time of day, 24 h HH:MM, in the contact's timezone "
                        "(else the flow's settings.timezone, else UTC).",
                    },
                    "weekdays": {
                        "type": "array",
                        "items": {"type": "string", "enum": list(WEEKDAYS)},
                        "minItems": 1,
                        "uniqueItems": True,
                        "description": "Days the moment may fall on; all days when omitted.",
                        "examples": [["mon", "tue", "wed", "thu", "fri"]],
                    },
                },
                required=("time",),
                description="Wait until the next such moment.",
            ),
        },
        allOf=[
            {
                "oneOf": [{"required": ["duration"]}, {"required": ["until"]}],
                "errorMessage": "needs exactly one of 'duration' or 'until'",
            }
        ],
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "delay",
        "config": {"until": {"time": "09:30", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}},
        "next": "send_offer",
    }
