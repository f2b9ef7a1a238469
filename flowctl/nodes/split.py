"""`split`: assign contacts to variants by percentage (A/B tests)."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.nodes.base import Exits, NodeSpec, NodeType, Outcome, RunContext, Step, object_schema

BUCKETS = 10_000  # 0.01 % resolution: a percent is 100 buckets


def bucket(node_id: str, contact_id: str, seed: int | None = None) -> int:
    """The contact's bucket in 0..9999: BLAKE2b of "node_id:contact_id", keyed by the seed.

    Stable across runs, machines and Python versions (unlike `hash()`), and independent per
    node, so two splits in one flow do not assign the same contacts together.
    """
    key = b"" if seed is None else str(seed).encode()
    digest = hashlib.blake2b(f"{node_id}:{contact_id}".encode(), digest_size=8, key=key).digest()
    return int.from_bytes(digest, "big") % BUCKETS


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
    variant_exits = True
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
        # JSON Schema counts 50.0 as an integer, so the sum does too; a non-number is the
        # schema's to report, and counts for nothing here.
        total = sum(
            v for v in variants.values() if isinstance(v, int | float) and not isinstance(v, bool)
        )
        if total != 100:
            shares = " + ".join(f"{name} {share}" for name, share in variants.items())
            yield Finding(
                "split-percentages",
                f"variants sum to {total:g}, not 100 ({shares})",
                (*node.config_path, "variants"),
                hint="adjust the percentages so that they add up to exactly 100",
                at_key=True,
            )

    def prepare(self, node: NodeSpec) -> Step:
        # Variant i takes the buckets from the sum of the earlier shares up to its own end.
        ends: list[int] = []
        outcomes: list[Outcome] = []
        for variant, percent in node.config["variants"].items():
            if percent:
                ends.append((ends[-1] if ends else 0) + int(percent) * BUCKETS // 100)
                outcomes.append(Outcome(exit=variant))

        def assign(ctx: RunContext) -> Outcome:
            return outcomes[bisect.bisect_right(ends, bucket(node.id, ctx.contact.id, ctx.seed))]

        return assign
