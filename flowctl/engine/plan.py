"""A validated flow, prepared for runs: every node bound to its step function and its targets.

Preparing does the per-node work once per flow (each node type's `prepare`), so walking a
contact costs dictionary look-ups and the node logic itself, nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

from flowctl.diagnostics.findings import FileResult
from flowctl.language import timezones
from flowctl.nodes.base import Decision, ExitKind, NodeSpec, Step
from flowctl.plugins.registry import Registry

if TYPE_CHECKING:
    from flowctl.config.settings import Config
    from flowctl.validation import Validator
    from flowctl.validation.flow_file import CheckedFlow


@dataclass(frozen=True, slots=True, eq=False)
class PreparedNode:
    """One node ready to run. `targets` maps each exit (None for a single exit) to the next
    node, or to None where the path ends; it is filled once, right after all nodes exist."""

    id: str
    type: str
    run: Step
    exits: tuple[str, ...]  # named exits in declaration order; () for one exit or none
    targets: dict[str | None, PreparedNode | None] = field(default_factory=dict)
    variants: bool = False  # the exits are A/B variants (the node type says so)
    config: Mapping[str, Any] = field(default_factory=dict)  # as written (a real run's `retry`)
    decisions: tuple[Decision, ...] = ()  # the conditions it decides by, for `--explain`


@dataclass(frozen=True, slots=True)
class PreparedFlow:
    """A flow whose nodes are prepared; `nodes` keeps the file's order."""

    name: str
    start: PreparedNode
    nodes: tuple[PreparedNode, ...]
    timezone: tzinfo
    by_id: Mapping[str, PreparedNode] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {node.id: node for node in self.nodes})


@dataclass(frozen=True, slots=True)
class LoadedFlow:
    """Validation's verdict on a flow file, and the prepared flow when nothing stops it."""

    checked: CheckedFlow
    flow: PreparedFlow | None

    @property
    def result(self) -> FileResult:
        """The diagnostics as `flowctl validate` reports them."""
        return self.checked.result


def load_flow(
    source: str | bytes,
    path: str,
    config: Config | None = None,
    validator: Validator | None = None,
) -> LoadedFlow:
    """Validate a flow file in full (as `validate` would with `config`) and, only when no
    error stands in the way, prepare it. Without a `validator`, one is built for the node
    types installed now; a command passes the one it built (`flowctl.compose`)."""
    from flowctl.validation import Validator
    from flowctl.validation.flow_file import (
        check_flow,  # configuration and suppressions: not for walks
    )

    checked = check_flow(source, path, validator or Validator(), config)
    if checked.data is None:
        return LoadedFlow(checked, None)
    return LoadedFlow(checked, prepare_flow(checked.data, checked.registry))


def prepare_flow(data: Mapping[str, Any], registry: Registry) -> PreparedFlow:
    """Prepare a flow document that validated without errors against `registry`."""
    nodes: dict[str, PreparedNode] = {}
    for node_id, node in data["nodes"].items():
        node_type = registry.get(node["type"])
        assert node_type is not None  # validation rejects unknown types
        spec = NodeSpec.of(node_id, node_type.name, node)
        exits = node_type.exits_for(spec.config)
        names = exits.names if exits.kind is ExitKind.NAMED else ()
        step = node_type.prepare(spec)
        nodes[node_id] = PreparedNode(
            node_id,
            node_type.name,
            step,
            names,
            variants=node_type.variant_exits,
            config=spec.config,
            decisions=node_type.decisions(spec),
        )
    for node_id, node in data["nodes"].items():
        prepared = nodes[node_id]
        following = node.get("next")
        if prepared.exits:
            mapping = following if isinstance(following, Mapping) else {}
            for name in prepared.exits:
                target = mapping.get(name)
                prepared.targets[name] = None if target is None else nodes[target]
        else:
            prepared.targets[None] = None if following is None else nodes[following]
    settings = data.get("settings") or {}
    zone = settings.get("timezone")
    timezone = (timezones.zone(zone) if zone else None) or UTC  # validation checked the name
    start = nodes[data["start"]]
    return PreparedFlow(data["name"], start, tuple(nodes.values()), timezone)
