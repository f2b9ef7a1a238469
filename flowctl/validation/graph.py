"""Graph rules: start, edges, exits, cycles and reachability, in time linear in the flow's size."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.nodes.base import ExitKind, Exits
from flowctl.plugins.registry import Registry
from flowctl.validation.schema_errors import node_label
from flowctl.words import did_you_mean

#: Missing node ids that get a "did you mean" hint, per file.
MAX_HINTED_IDS = 50


@dataclass(frozen=True, slots=True)
class Edge:
    """An exit of `source` leading to `target`, written at `path` in the file."""

    source: str
    exit: str | None
    target: str
    path: Path


def node_exits(node: Mapping[str, Any], registry: Registry) -> Exits | None:
    """The exits of a node, or None when its type is unknown."""
    node_type = registry.get(node["type"]) if isinstance(node.get("type"), str) else None
    if node_type is None:
        return None
    config = node.get("config")
    return node_type.exits_for(config if isinstance(config, Mapping) else {})


def check_graph(data: Mapping[str, Any], registry: Registry) -> Iterator[Finding]:
    """Every graph rule over a document whose top level is a mapping."""
    nodes = data.get("nodes")
    if not isinstance(nodes, Mapping):
        return
    nodes = {nid: node for nid, node in nodes.items() if isinstance(node, Mapping)}
    edges: list[Edge] = []
    for node_id, node in nodes.items():
        exits = node_exits(node, registry)
        if exits is not None:
            yield from _check_exits(data, node_id, node, exits, edges)
    successors: dict[str, list[Edge]] = {node_id: [] for node_id in nodes}
    # A hint compares the id with every node id: once per missing id, however many edges name it
    # (renaming a node leaves all the edges into it dangling), and for the first
    # MAX_HINTED_IDS missing ids only, so that validation stays linear in the size of the flow.
    hints: dict[str, str | None] = {}
    for edge in edges:
        if edge.target in nodes:
            successors[edge.source].append(edge)
        else:
            if edge.target not in hints:
                hinted = len(hints) < MAX_HINTED_IDS
                hints[edge.target] = did_you_mean(edge.target, nodes) if hinted else None
            hint = hints[edge.target]
            via = f" exit '{edge.exit}'" if edge.exit else " 'next'"
            yield Finding(
                "dangling-edge",
                f"{node_label(data, edge.source)}:{via} points to '{edge.target}', "
                "which is not a node of this flow",
                edge.path,
                hint=hint,
            )
    start = data.get("start")
    if isinstance(start, str) and start not in nodes:
        yield Finding(
            "missing-start",
            f"start names '{start}', which is not a node of this flow",
            ("start",),
            hint=did_you_mean(start, nodes),
        )
    yield from _cycles(data, successors)
    if isinstance(start, str) and start in nodes:
        yield from _unreachable(start, successors)


def _check_exits(
    data: Mapping[str, Any],
    node_id: str,
    node: Mapping[str, Any],
    exits: Exits,
    edges: list[Edge],
) -> Iterator[Finding]:
    """Check `next` against the node's exits and collect its edges.

    Messages (and the node label in them) are built only for problems: most nodes have none.
    """
    path: Path = ("nodes", node_id, "next")
    target = node.get("next")
    if exits.kind is ExitKind.NONE:
        if target is not None:
            yield Finding(
                "unknown-exit",
                f"{node_label(data, node_id)} ends the flow and has no exits, but has 'next'",
                path,
                hint="remove 'next'",
                at_key=True,
            )
        return
    if exits.kind is ExitKind.SINGLE:
        if isinstance(target, str):
            edges.append(Edge(node_id, None, target, path))
        elif isinstance(target, Mapping):
            yield Finding(
                "unknown-exit",
                f"{node_label(data, node_id)} has a single exit: 'next' takes a node id, not a "
                "mapping of exits",
                path,
                hint="write 'next: NODE_ID'",
            )
        return
    yield from _check_named(data, node_id, node, exits, path, edges)


def _check_named(
    data: Mapping[str, Any],
    node_id: str,
    node: Mapping[str, Any],
    exits: Exits,
    path: Path,
    edges: list[Edge],
) -> Iterator[Finding]:
    target = node.get("next")
    if not isinstance(target, Mapping):
        where = "has no 'next'" if target is None else "has a node id as 'next'"
        yield Finding(
            "missing-exit",
            f"{node_label(data, node_id)} {where}; it has named exits and must map each one: "
            + ", ".join(exits.names),
            path if "next" in node else ("nodes", node_id),
            hint="write 'next:' as a mapping, e.g. "
            + ", ".join(f"{name}: NODE_ID" for name in exits.names[:3]),
            at_key=True,
        )
        return
    for name, value in target.items():
        if name not in exits.names:
            yield Finding(
                "unknown-exit",
                f"{node_label(data, node_id)} has no exit '{name}'; its exits are: "
                + ", ".join(exits.names),
                (*path, name),
                hint=did_you_mean(name, exits.names),
                at_key=True,
            )
        elif isinstance(value, str):
            edges.append(Edge(node_id, str(name), value, (*path, name)))
    for name in exits.names:
        if name not in target:
            yield Finding(
                "missing-exit",
                f"{node_label(data, node_id)} does not map its exit '{name}' in 'next'",
                path,
                hint=f"add '{name}: NODE_ID', or '{name}: null' to end the path there",
                at_key=True,
            )


def _cycles(data: Mapping[str, Any], successors: dict[str, list[Edge]]) -> Iterator[Finding]:
    """Report each back edge of an iterative depth-first search, with the cycle it closes."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(successors, white)
    for root in successors:
        if color[root] != white:
            continue
        color[root] = grey
        stack: list[tuple[str, Iterator[Edge]]] = [(root, iter(successors[root]))]
        position = {root: 0}
        while stack:
            node_id, pending = stack[-1]
            edge = next(pending, None)
            if edge is None:
                color[node_id] = black
                del position[node_id]
                stack.pop()
                continue
            state = color[edge.target]
            if state == white:
                color[edge.target] = grey
                position[edge.target] = len(stack)
                stack.append((edge.target, iter(successors[edge.target])))
            elif state == grey:
                ring = [frame[0] for frame in stack[position[edge.target] :]]
                shown = " -> ".join([*ring, edge.target])
                yield Finding(
                    "cycle",
                    f"{node_label(data, edge.source)}: this exit closes a cycle: {shown}",
                    edge.path,
                    hint="flows are acyclic: point this exit elsewhere or end the path (null)",
                )


def _unreachable(start: str, successors: dict[str, list[Edge]]) -> Iterator[Finding]:
    seen = {start}
    queue = [start]
    while queue:
        for edge in successors[queue.pop()]:
            if edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    for node_id in successors:
        if node_id not in seen:
            yield Finding(
                "unreachable-node",
                f"node '{node_id}' is never reached: no path from start leads to it",
                ("nodes", node_id),
                hint="connect it with a 'next' from another node, or delete it",
                at_key=True,
            )
