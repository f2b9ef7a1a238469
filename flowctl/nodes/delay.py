"""`delay`: hold the contact for a duration, or until the next allowed time of day."""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, ClassVar

from flowctl.language import timezones
from flowctl.language.durations import parse_duration, parse_time_of_day
from flowctl.nodes.base import NodeSpec, NodeType, Outcome, RunContext, Step, object_schema
from flowctl.words import show

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # in `date.weekday()` order
TIMEZONE_ATTRIBUTE = "timezone"


def contact_zone(ctx: RunContext) -> tuple[tzinfo, tuple[str, ...]]:
    """The contact's `timezone` attribute, else the flow's zone; a warning for an unknown one."""
    name = ctx.contact.attributes.get(TIMEZONE_ATTRIBUTE)
    if name is None:
        return ctx.timezone, ()
    zone = timezones.zone(name) if isinstance(name, str) else None
    if zone is None:
        warning = f"contact timezone {show(name)} is not an IANA zone; used {ctx.timezone}"
        return ctx.timezone, (warning,)
    return zone, ()


def next_moment(now: datetime, at: time, weekdays: Container[int], zone: tzinfo) -> datetime:
    """The first wall-clock `at` in `zone` strictly after `now`, on one of `weekdays` (0 = mon).

    Wall-clock arithmetic, so 09:30 stays 09:30 across a DST change. A time skipped by a
    spring-forward jump is read with the offset before the jump (02:30 becomes 03:30), and a
    time that occurs twice in autumn is its first occurrence (fold=0), as `zoneinfo` does.
    """
    today = now.astimezone(zone).date()
    for offset in range(8):  # today may be allowed but past: then the same weekday next week
        day = today + timedelta(days=offset)
        if day.weekday() in weekdays:
            # Compared in UTC: comparing times in two different zones costs two utcoffset calls.
            moment = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
            if moment > now:
                return moment
    raise ValueError("no allowed weekday")  # the schema demands at least one weekday


class Delay(NodeType):
    """Wait for a fixed duration or until a time of day on allowed weekdays."""

    name = "delay"
    summary = "Wait a duration (3d, PT90M) or until the next HH:MM on allowed weekdays."
    only_waits = True
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

    def prepare(self, node: NodeSpec) -> Step:
        if "duration" in node.config:
            # Elapsed time: 3d is 72 hours, even across a DST change.
            length = parse_duration(node.config["duration"])
            return lambda ctx: Outcome(at=ctx.now + length)
        until = node.config["until"]
        at = parse_time_of_day(until["time"])
        weekdays = frozenset(WEEKDAYS.index(day) for day in until.get("weekdays", WEEKDAYS))

        def wait(ctx: RunContext) -> Outcome:
            zone, warnings = contact_zone(ctx)
            return Outcome(at=next_moment(ctx.now, at, weekdays, zone), warnings=warnings)

        return wait
