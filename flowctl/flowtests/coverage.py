"""Exit coverage: which (node, exit) pairs of a flow the cases' runs took, and which none did.

A node with named exits (branch, split, wait_for_event) counts each exit; a node with one exit
counts that exit as `None` (taken when a contact left the node and went on, or ended the path
there); a node without exits (goal) counts nothing. A contact that a node stops (a filter's
`filtered`, a failed send) did not take its exit. Runs of failing cases count too: coverage
says what the cases exercised, not whether they passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.engine.trace import Run
from flowctl.nodes.base import ExitKind, NodeSpec
from flowctl.plugins.registry import Registry

Exit = tuple[str, str | None]  # (node id, exit name; None for a node's single exit)


@dataclass(frozen=True)
class ExitCoverage:
    """One flow's exits, in file order, and those the cases took."""

    flow: str  # the flow file, as the test files name it (relative to the working directory)
    exits: tuple[Exit, ...]
    taken: frozenset[Exit]

    @property
    def missing(self) -> tuple[Exit, ...]:
        return tuple(pair for pair in self.exits if pair not in self.taken)

    @property
    def covered(self) -> int:
        return len(self.exits) - len(self.missing)

    @property
    def percent(self) -> float:
        """Covered exits in percent; a flow without exits is fully covered."""
        return 100.0 if not self.exits else 100.0 * self.covered / len(self.exits)


def flow_exits(data: Mapping[str, Any], registry: Registry) -> tuple[Exit, ...]:
    """Every (node, exit) pair of a valid flow document, in file order."""
    pairs: list[Exit] = []
    for node_id, node in data["nodes"].items():
        node_type = registry.get(node["type"])
        assert node_type is not None  # the flow validated
        spec = NodeSpec.of(node_id, node_type.name, node)
        exits = node_type.exits_for(spec.config)
        if exits.kind is ExitKind.NAMED:
            pairs.extend((node_id, name) for name in exits.names)
        elif exits.kind is ExitKind.SINGLE:
            pairs.append((node_id, None))
    return tuple(pairs)


def taken_exits(runs: Iterable[Run]) -> frozenset[Exit]:
    """The pairs the runs took: each step that let its contact go on, by the exit it took."""
    return frozenset(
        (step.node.id, step.outcome.exit)
        for run in runs
        for step in run.steps
        if step.outcome.status is None
    )


def exit_label(exit_: str | None) -> str:
    """An exit as reports name it: its name, or `next` for a node's single exit."""
    return "next" if exit_ is None else exit_
