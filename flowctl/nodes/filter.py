"""`filter`: let through only the contacts that meet a condition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.language.conditions import check_condition, evaluator
from flowctl.nodes.base import (
    FILTERED,
    Decision,
    NodeSpec,
    NodeType,
    Outcome,
    RunContext,
    Step,
    object_schema,
)


class Filter(NodeType):
    """Continue when the condition holds; otherwise the contact leaves the flow as `filtered`."""

    name = "filter"
    summary = "Continue only when a condition holds; other contacts leave as 'filtered'."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "condition": {
                "$ref": "#/definitions/condition",
                "description": "Contacts for which this holds continue; the others leave.",
            }
        },
        required=("condition",),
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "filter",
        "config": {"condition": {"attribute": "country", "in": ["DE", "AT", "CH"]}},
        "next": "welcome",
    }

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        condition_path = (*node.config_path, "condition")
        yield from check_condition(node.config.get("condition"), condition_path)

    def decisions(self, node: NodeSpec) -> tuple[Decision, ...]:
        condition_path = (*node.config_path, "condition")
        return (Decision("condition", node.config["condition"], None, condition_path),)

    def prepare(self, node: NodeSpec) -> Step:
        (decision,) = self.decisions(node)
        holds = evaluator(decision.condition)
        passed, filtered = Outcome(), Outcome(status=FILTERED)

        def sift(ctx: RunContext) -> Outcome:
            return passed if holds(ctx.contact, ctx.now) else filtered

        return sift
