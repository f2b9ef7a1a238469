"""`goal`: the contact converted; the flow ends here."""

from __future__ import annotations

from typing import Any, ClassVar

from flowctl.effects import GoalReached
from flowctl.nodes.base import CONVERTED, NO_EXIT, NodeSpec, NodeType, Outcome, Step, object_schema


class Goal(NodeType):
    """Mark the contact as converted and end the flow."""

    name = "goal"
    summary = "Mark the contact as converted; the flow ends here."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "name": {
                "type": "string",
                "minLength": 1,
                "description": "Name of the goal reached, as reports will show it.",
                "examples": ["purchased"],
            }
        },
        required=("name",),
    )
    exits = NO_EXIT
    converts = True
    example: ClassVar[dict[str, Any]] = {"type": "goal", "config": {"name": "purchased"}}

    def prepare(self, node: NodeSpec) -> Step:
        outcome = Outcome(effect=GoalReached(node.config["name"]), status=CONVERTED)
        return lambda ctx: outcome
