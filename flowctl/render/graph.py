"""A flow as a diagram: Mermaid (renders in GitHub markdown) and Graphviz DOT, as plain text.

Nodes are labelled with their id and type and shaped by their exits: a box for one exit, a
diamond for named exits, a rounded box for a node that ends the flow (goal). Edges carry their
exit name. A path that ends without a goal (an omitted `next`, or an exit mapped to null) leads
to one `end` marker; a `start` marker points at the entry node. Renderers expect a flow that
validated: a half-broken flow is not drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flowctl.nodes.base import ExitKind
from flowctl.plugins.registry import Registry
from flowctl.validation.graph import node_exits
from flowctl.words import printable


class GraphFormat(StrEnum):
    """The output formats of `flowctl graph`."""

    MERMAID = "mermaid"
    DOT = "dot"
    SVG = "svg"  # DOT rendered by Graphviz's `dot`


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    type: str
    kind: ExitKind


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    exit: str | None  # None for a single exit
    target: str | None  # None: the path ends here


@dataclass(frozen=True, slots=True)
class FlowGraph:
    """The nodes (in file order) and edges of a valid flow."""

    name: str
    start: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def flow_graph(data: Mapping[str, Any], registry: Registry) -> FlowGraph:
    """The graph of a flow document that validated without errors."""
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    for node_id, node in data["nodes"].items():
        exits = node_exits(node, registry)
        kind = exits.kind if exits is not None else ExitKind.SINGLE
        nodes.append(GraphNode(node_id, node["type"], kind))
        target = node.get("next")
        if isinstance(target, Mapping):
            edges.extend(GraphEdge(node_id, str(name), to) for name, to in target.items())
        elif kind is ExitKind.SINGLE:
            edges.append(GraphEdge(node_id, None, target))
    return FlowGraph(str(data["name"]), str(data["start"]), tuple(nodes), tuple(edges))


_MERMAID_ENTITIES = str.maketrans({"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;"})


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: `#` starts an entity there, so it is one itself, and a
    line break (possible in an exit name) would end the statement, so it is shown escaped."""
    return printable(text).translate(_MERMAID_ENTITIES)


_MERMAID_SHAPES = {ExitKind.SINGLE: '["{}"]', ExitKind.NAMED: '{{"{}"}}', ExitKind.NONE: '(["{}"])'}


def mermaid(graph: FlowGraph) -> str:
    """A Mermaid flowchart; node ids are `n1`, `n2`... since flow ids may hold `-`."""
    ids: dict[str | None, str] = {
        node.id: f"n{number}" for number, node in enumerate(graph.nodes, start=1)
    }
    ids[None] = "flow_end"  # where paths end
    lines = ["flowchart TD", "    flow_start((start))"]
    for node in graph.nodes:
        label = f"{_mermaid_text(node.id)}<br/>{_mermaid_text(node.type)}"
        lines.append(f"    {ids[node.id]}{_MERMAID_SHAPES[node.kind].format(label)}")
    if any(edge.target is None for edge in graph.edges):
        lines.append("    flow_end((end))")
    lines.append(f"    flow_start --> {ids[graph.start]}")
    for edge in graph.edges:
        label = f'|"{_mermaid_text(edge.exit)}"|' if edge.exit is not None else ""
        lines.append(f"    {ids[edge.source]} -->{label} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


def _dot_string(*lines: str) -> str:
    """A quoted DOT string, control characters escaped; several lines are joined with DOT's
    `\\n`."""
    escaped = (printable(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


_DOT_SHAPES = {ExitKind.SINGLE: "box", ExitKind.NAMED: "diamond", ExitKind.NONE: "box"}
_START, _END = '"(start)"', '"(end)"'  # parentheses: never a node id


def dot(graph: FlowGraph) -> str:
    """A Graphviz digraph; every id is quoted."""
    lines = [
        f"digraph {_dot_string(graph.name)} {{",
        '    node [shape=box, fontname="Helvetica"];',
        '    edge [fontname="Helvetica"];',
        f'    {_START} [shape=circle, label="start"];',
    ]
    for node in graph.nodes:
        style = ', style="rounded"' if node.kind is ExitKind.NONE else ""
        label = _dot_string(node.id, node.type)
        lines.append(
            f"    {_dot_string(node.id)} [shape={_DOT_SHAPES[node.kind]}{style}, label={label}];"
        )
    if any(edge.target is None for edge in graph.edges):
        lines.append(f'    {_END} [shape=doublecircle, label="end"];')
    lines.append(f"    {_START} -> {_dot_string(graph.start)};")
    for edge in graph.edges:
        target = _END if edge.target is None else _dot_string(edge.target)
        label = f" [label={_dot_string(edge.exit)}]" if edge.exit is not None else ""
        lines.append(f"    {_dot_string(edge.source)} -> {target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
