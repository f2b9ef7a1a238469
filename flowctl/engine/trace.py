"""Run traces: what happened to one contact, step by step, and its JSON shape (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from flowctl.effects import Effect
from flowctl.engine.plan import PreparedNode
from flowctl.nodes.base import Outcome


class StepRecord(NamedTuple):
    """One node run: which node, when it started, and its outcome.

    A NamedTuple, not a dataclass: one is built per node step, and a tuple is built fastest.
    """

    node: PreparedNode
    at: datetime
    outcome: Outcome

    @property
    def left_at(self) -> datetime:
        """When the contact left the node: later than `at` for waiting nodes."""
        return self.outcome.at or self.at

    def to_json(self) -> dict[str, Any]:
        """`{"node", "type", "at", "exit", "effect"}`, plus `warnings` when there are some."""
        step: dict[str, Any] = {
            "node": self.node.id,
            "type": self.node.type,
            "at": iso(self.at),
            "exit": self.outcome.exit,
            "effect": _effect_json(self.outcome.effect),
        }
        if self.outcome.warnings:
            step["warnings"] = list(self.outcome.warnings)
        return step


class Run(NamedTuple):
    """One contact's way through a flow: its steps, final status and simulated end time.

    A NamedTuple like `StepRecord` and `Outcome`: one is built per contact of an audience.
    """

    flow: str
    contact: str
    status: str
    steps: list[StepRecord]
    ended_at: datetime
    error: str | None = None  # why the run failed (status `failed`)
    dry_run: bool = True

    def to_json(self) -> dict[str, Any]:
        """The trace of DESIGN §7, plus `dry_run`, and `error` for a failed run."""
        trace: dict[str, Any] = {
            "flow": self.flow,
            "contact": self.contact,
            "status": self.status,
            "steps": [step.to_json() for step in self.steps],
            "ended_at": iso(self.ended_at),
            "dry_run": self.dry_run,
        }
        if self.error is not None:
            trace["error"] = self.error
        return trace


def _effect_json(effect: Effect | Mapping[str, Any] | None) -> Any:
    return effect if effect is None or isinstance(effect, Mapping) else effect.to_json()


@lru_cache(maxsize=4096)  # a run of many contacts formats the same few times again and again
def iso(at: datetime) -> str:
    """ISO 8601 in UTC with a `Z`: `2026-11-20T10:00:00Z`."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
