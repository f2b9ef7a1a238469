"""`branch`: route the contact by the first case whose condition holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.language.conditions import check_condition, evaluator
from flowctl.nodes.base import (
    Decision,
    Exits,
    NodeSpec,
    NodeType,
    Outcome,
    RunContext,
    Step,
    object_schema,
)

DEFAULT_EXIT = "default"


class Branch(NodeType):
    """Ordered cases, each an exit; the first that holds wins, else the `default` exit."""

    name = "branch"
    summary = "Route by the first case whose condition holds; otherwise the 'default' exit."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "cases": {
                "type": "object",
                "description": "Ordered map of exit name -> condition; the first that holds wins.",
                "minProperties": 1,
                "propertyNames": {
                    "not": {"const": DEFAULT_EXIT},
                    "errorMessage": "'default' is the exit taken when no case holds; "
                    "give this case another name",
                },
                "additionalProperties": {"$ref": "#/definitions/condition"},
            }
        },
        required=("cases",),
    )
    exits = Exits.from_config("each case name, plus default")
    example: ClassVar[dict[str, Any]] = {
        "type": "branch",
        "config": {
            "cases": {
                "shoes": {"attribute": "last_order.category", "equals": "shoes"},
                "bags": {"attribute": "last_order.category", "in": ["bags", "wallets"]},
            }
        },
        "next": {"shoes": "shoes_offer", "bags": "bags_offer", "default": "generic_offer"},
    }

    def exits_for(self, config: Mapping[str, Any]) -> Exits:
        cases = config.get("cases")
        names = tuple(cases) if isinstance(cases, Mapping) else ()
        return Exits.named(*names, DEFAULT_EXIT)

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        cases = node.config.get("cases")
        if isinstance(cases, Mapping):
            for case, condition in cases.items():
                yield from check_condition(condition, (*node.config_path, "cases", case))

    def decisions(self, node: NodeSpec) -> tuple[Decision, ...]:
        return tuple(
            Decision(f"case '{case}'", condition, case, (*node.config_path, "cases", case))
            for case, condition in node.config["cases"].items()
        )

    def prepare(self, node: NodeSpec) -> Step:
        cases = [
            (evaluator(decision.condition), Outcome(exit=decision.exit))
            for decision in self.decisions(node)
        ]
        default = Outcome(exit=DEFAULT_EXIT)

        def route(ctx: RunContext) -> Outcome:
            for holds, outcome in cases:
                if holds(ctx.contact, ctx.now):
                    return outcome
            return default

        return route
