"""`split`: assign contacts to variants by percentage (A/B tests)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from flowctl.diagnostics import Finding
from flowctl.nodes.base import Exits, NodeSpec, NodeType, object_schema


class Split(NodeType):
    """Each variant is an exit; a stable hash of contact id and node id picks one."""

    name = "split"
    summary = "Send each contact down one variant by percentage (stable per contact)."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "variants": {
                "type": "object",
                "description": "Exit name -> integer percent; at least two, summing to 100. "
                "A contact always lands in the same variant (hash of contact id and node id).",
                "minProperties": 2,
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100},
                "examples": [{"a": 50, "b": 50}],
            }
        },
        required=("variants",),
    )
    exits = Exits.from_config("each variant name")
    example: ClassVar[dict[str, Any]] = {
        "type": "split",
        "config": {"variants": {"control": 50, "discount": 50}},
        "next": {"control": "plain_mail", "discount": "discount_mail"},
    }

    def exits_for(self, config: Mapping[str, Any]) -> Exits:
        variants = config.get("variants")
        return Exits.named(*(variants if isinstance(variants, Mapping) else ()))

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        variants = node.config.get("variants")
        if not isinstance(variants, Mapping):
            return
        total = sum(v for v in variants.values() if isinstance(v, int))
        if total != 100:
            shares = " + ".join(f"{name} {share}" for name, share in variants.items())
            yield Finding(
                "split-percentages",
                f"variants sum to {total}, not 100 ({shares})",
                (*node.config_path, "variants"),
                hint="adjust the percentages so that they add up to exactly 100",
                at_key=True,
            )
