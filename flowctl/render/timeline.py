"""Plain words for a step of a run: what would happen, for the text timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flowctl.engine.trace import StepRecord, iso
from flowctl.language.durations import format_duration
from flowctl.nodes.base import FILTERED


def describe(step: StepRecord) -> str:
    """One line: the effect that would happen, a wait, how the contact left; "" for none."""
    outcome = step.outcome
    parts = [_effect(outcome.effect)] if outcome.effect else []
    waited = step.left_at - step.at
    if waited:
        parts.append(f"waits {format_duration(waited)}, until {iso(step.left_at)}")
    if outcome.status == FILTERED:
        parts.append("condition does not hold: leaves the flow")
    return "; ".join(parts)


def _effect(effect: Mapping[str, Any]) -> str:
    kind, detail = next(iter(effect.items()))
    if kind == "send":
        text = f"would send {detail['channel']} {detail['template_id']!r} to {detail['to']}"
        return text + (f" with {_json(detail['params'])}" if "params" in detail else "")
    if kind == "webhook":
        text = f"would call {detail['method']} {detail.get('url')}"
        return text + (f" with body {_json(detail['body'])}" if "body" in detail else "")
    if kind == "update":
        changes = [f"{path}={_json(value)}" for path, value in detail.get("set", {}).items()]
        changes += [f"unset {path}" for path in detail.get("unset", [])]
        return "would update " + ", ".join(changes)
    if kind == "goal":
        return f"goal {detail['name']!r} reached: converted"
    return f"would {kind} {_json(detail)}"  # a plugin's effect


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
