"""Plain words for a step of a run: what would happen, for the text timeline."""

from __future__ import annotations

from flowctl.effects import as_effect
from flowctl.engine.trace import StepRecord, iso
from flowctl.language.durations import format_duration
from flowctl.nodes.base import FILTERED


def describe(step: StepRecord, simulated: bool = True) -> str:
    """One line: the effect that would happen, a wait, how the contact left; "" for none."""
    outcome = step.outcome
    parts = [as_effect(outcome.effect).describe(simulated)] if outcome.effect else []
    waited = step.left_at - step.at
    if waited:
        parts.append(f"waits {format_duration(waited)}, until {iso(step.left_at)}")
    if outcome.status == FILTERED:
        parts.append("condition does not hold: leaves the flow")
    return "; ".join(parts)
