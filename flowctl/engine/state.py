"""A run's state as plain data: where it stands, its clock, its contact, what it waits for.

A store keeps a `RunState` in a row: `to_json` and `state_from_json` round-trip it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from flowctl.effects import Effect, effect_from_json
from flowctl.engine.trace import iso
from flowctl.language.contacts import Contact, contact_to_json, parse_contact
from flowctl.nodes.base import COMPLETED, CONVERTED, FAILED, FILTERED, Awaited

ACTIVE = "active"  # between nodes: the next node runs as soon as the run advances
WAITING = "waiting"  # a node holds the run until a time, or an event
CANCELLED = "cancelled"  # stopped by `flowctl runs cancel`
#: Every status of a run, the live ones first (DESIGN §8).
RUN_STATUSES = (ACTIVE, WAITING, COMPLETED, FILTERED, CONVERTED, FAILED, CANCELLED)
LIVE = frozenset((ACTIVE, WAITING))


class Waiting(NamedTuple):
    """What the node a run stands at waits for. It ran at `since` as step `step`, with its
    `effect` and `warnings`; it leaves by `exit` at `until`, or by `awaits.exit` when the
    awaited event comes first."""

    since: datetime
    until: datetime
    exit: str | None
    step: int
    awaits: Awaited | None = None
    effect: Effect | None = None
    warnings: tuple[str, ...] = ()


class RunState(NamedTuple):
    """One run of one contact through one flow, between two transitions.

    `node` is the node to run next (`active`), the node that waits (`waiting`), or the last
    node that ran (a final status). `step` is the number the next step gets; with the run id
    and the node id it makes an effect's key.
    """

    node: str | None
    clock: datetime
    contact: Contact
    status: str
    step: int = 0
    waiting: Waiting | None = None
    seed: int | None = None
    error: str | None = None

    @property
    def wake_at(self) -> datetime | None:
        """When the run must advance next by itself: the wait's deadline; None when it
        needs nothing but an event, or has ended."""
        return self.waiting.until if self.waiting is not None else None

    @property
    def awaiting(self) -> Awaited | None:
        """The event the run waits for, if any."""
        return self.waiting.awaits if self.waiting is not None else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for a store's row."""
        return {
            "node": self.node,
            "clock": iso(self.clock),
            "contact": contact_to_json(self.contact),
            "status": self.status,
            "step": self.step,
            "waiting": None if self.waiting is None else _waiting_to_json(self.waiting),
            "seed": self.seed,
            "error": self.error,
        }


def _waiting_to_json(waiting: Waiting) -> dict[str, Any]:
    awaits = waiting.awaits
    return {
        "since": iso(waiting.since),
        "until": iso(waiting.until),
        "exit": waiting.exit,
        "step": waiting.step,
        "awaits": None
        if awaits is None
        else {"event": awaits.event, "where": dict(awaits.where), "exit": awaits.exit},
        "effect": None if waiting.effect is None else waiting.effect.to_json(),
        "warnings": list(waiting.warnings),
    }


def state_from_json(data: Mapping[str, Any]) -> RunState:
    """The state back from `RunState.to_json()`; KeyError or ValueError when it is not one."""
    waiting = data["waiting"]
    return RunState(
        node=data["node"],
        clock=_time(data["clock"]),
        contact=parse_contact(data["contact"]),
        status=data["status"],
        step=int(data["step"]),
        waiting=None if waiting is None else _waiting_from_json(waiting),
        seed=data["seed"],
        error=data["error"],
    )


def _waiting_from_json(data: Mapping[str, Any]) -> Waiting:
    awaits, effect = data["awaits"], data["effect"]
    return Waiting(
        since=_time(data["since"]),
        until=_time(data["until"]),
        exit=data["exit"],
        step=int(data["step"]),
        awaits=None
        if awaits is None
        else Awaited(awaits["event"], dict(awaits["where"]), awaits["exit"]),
        effect=None if effect is None else effect_from_json(effect),
        warnings=tuple(data["warnings"]),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
