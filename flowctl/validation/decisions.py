"""Decision checks: conditions that can never decide, goals no contact reaches, idle waits.

They read what node types declare (`NodeType.decisions`, `converts`, `only_waits`), never a
type's name, and look only at nodes the schema accepted and at well-formed conditions. They are
conservative: `language.implication` proves a case shadowed or an `all` contradictory, or
says nothing, so a finding here is always real.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.language.explain import describe
from flowctl.language.implication import conflict, implies, never_holds
from flowctl.nodes.base import Decision, ExitKind, NodeSpec, NodeType
from flowctl.plugins.registry import Registry
from flowctl.validation.schema_errors import head, node_label

#: Dead exits named in one `unreachable-goal` message.
MAX_NAMED = 3


def check_decisions(
    data: Mapping[str, Any], registry: Registry, broken: set[str], flagged: set[str], whole: bool
) -> Iterator[Finding]:
    """Every decision check on the nodes not in `broken` (the schema refused them); the
    decisions of nodes in `flagged` (their own checks found problems, such as a malformed
    condition) are left alone. `whole`: the flow has no schema or graph error, so paths through
    it mean something (the goal check needs that)."""
    nodes = data["nodes"]
    types: dict[str, NodeType] = {}
    dead: dict[tuple[str, str | None], str] = {}
    for node_id, node in nodes.items():
        if node_id in broken or not isinstance(node, Mapping):
            continue
        node_type = registry.get(node["type"]) if isinstance(node.get("type"), str) else None
        if node_type is None:
            continue
        types[node_id] = node_type
        if node_id in flagged or type(node_type).decisions is NodeType.decisions:
            continue  # left alone, or a type that decides by no condition
        spec = NodeSpec.of(node_id, node_type.name, node)
        try:
            decisions = node_type.decisions(spec)
            found = [*_contradictions(data, decisions), *_shadowed(data, node_id, decisions, dead)]
        except Exception as exc:  # a plugin's bug must not hide the other problems
            registration = registry.registration(node_type.name)
            origin = registration.distribution if registration else "?"
            yield Finding(
                "plugin-check-failed",
                f"{node_label(data, node_id)}: the decisions of node type '{node_type.name}' "
                f"(from '{origin}') crashed: {type(exc).__name__}: {exc}",
                ("nodes", node_id),
                at_key=True,
            )
            continue
        yield from found
    yield from _useless_waits(data, types)
    # Without a dead exit, every goal a path reaches is reachable (unreachable-node covers
    # the others), so the graph is walked only when there is one.
    if dead and whole and len(types) == len(nodes):
        yield from _unreachable_goals(data, types, dead)


def _contradictions(data: Mapping[str, Any], decisions: tuple[Decision, ...]) -> Iterator[Finding]:
    for decision in decisions:
        stack: list[tuple[Any, Path]] = [(decision.condition, decision.path)]
        while stack:  # bounded: a well-formed condition nests at most MAX_DEPTH levels
            condition, path = stack.pop()
            if "all" in condition:
                found = conflict(condition)
                if found is not None:
                    i, first, j, second = found
                    at = (*path, "all", j)
                    yield Finding(
                        "contradiction",
                        f"{head(data, (*path, 'all'))}: this 'all' can never hold: "
                        f"{describe(second)} (item {j}) contradicts {describe(first)} (item {i})",
                        at,
                        hint="no contact meets both; did you mean 'any'?",
                    )
            for key in ("all", "any"):
                stack += [
                    (child, (*path, key, n)) for n, child in enumerate(condition.get(key, ()))
                ]
            if "not" in condition:
                stack.append((condition["not"], (*path, "not")))


def _shadowed(
    data: Mapping[str, Any],
    node_id: str,
    decisions: tuple[Decision, ...],
    dead: dict[tuple[str, str | None], str],
) -> Iterator[Finding]:
    """A decision after one that holds whenever it does never decides; record dead exits."""
    reasons: dict[str | None, list[str | None]] = {}
    for later, decision in enumerate(decisions):
        reason: str | None = None
        if never_holds(decision.condition):
            reason = f"{decision.label} of '{node_id}' never holds"
        else:
            earlier = next(
                (d for d in decisions[:later] if implies(decision.condition, d.condition)), None
            )
            if earlier is not None:
                reason = f"{decision.label} of '{node_id}' never wins"
                yield Finding(
                    "shadowed-case",
                    f"{node_label(data, node_id)}: {decision.label} can never win: whenever it "
                    f"holds, {earlier.label}, tested before it, holds too",
                    decision.path,
                    hint="put the narrower case first, or remove this one",
                    at_key=True,
                )
        reasons.setdefault(decision.exit, []).append(reason)
    for exit_, why in reasons.items():
        # An exit is dead only when every decision that leads to it is.
        if all(why):
            dead[(node_id, exit_)] = str(why[0])


def _successors(node: Mapping[str, Any], node_type: NodeType) -> list[tuple[str | None, str]]:
    """(exit, target) for each exit that leads to a node."""
    following = node.get("next")
    config = node.get("config") or {}
    if node_type.exits_for(config).kind is ExitKind.NAMED and isinstance(following, Mapping):
        return [(str(name), target) for name, target in following.items() if target is not None]
    return [(None, following)] if isinstance(following, str) else []


def _useless_waits(data: Mapping[str, Any], types: Mapping[str, NodeType]) -> Iterator[Finding]:
    """A waiting node after some other node that nothing follows, or only more such waits."""
    nodes = data["nodes"]
    # trails[x]: x waits, has a single exit, and what follows it is the end or only such waits.
    # Each node is decided once (a chain's verdict is its end's), so a long chain is linear.
    trails: dict[str, bool] = {}
    for node_id in types:
        path: list[str] = []
        on_path: set[str] = set()
        current: str = node_id
        while True:
            if current in trails:
                verdict = trails[current]
                break
            if current in on_path or current not in types:  # a cycle, or a dangling edge
                verdict = False
                break
            config = nodes[current].get("config") or {}
            node_type = types[current]
            if not node_type.only_waits or node_type.exits_for(config).kind is not ExitKind.SINGLE:
                trails[current] = verdict = False
                break
            path.append(current)
            on_path.add(current)
            following = nodes[current].get("next")
            if following is None:
                verdict = True
                break
            if not isinstance(following, str):
                verdict = False
                break
            current = following
        trails.update(dict.fromkeys(path, verdict))
    useless = {node_id for node_id, verdict in trails.items() if verdict}
    # Waits that the flow starts with trail nothing: a flow of waits alone is a timing fixture.
    first = data.get("start")
    while isinstance(first, str) and first in useless:
        useless.discard(first)
        first = nodes[first].get("next")
    for node_id in types:
        if node_id in useless:
            yield Finding(
                "useless-delay",
                f"{node_label(data, node_id)}: nothing follows this wait but the end of the "
                "flow: the contact waits for nothing",
                ("nodes", node_id),
                hint="remove it, or add the node that should come after it",
                at_key=True,
            )


def _unreachable_goals(
    data: Mapping[str, Any],
    types: Mapping[str, NodeType],
    dead: Mapping[tuple[str, str | None], str],
) -> Iterator[Finding]:
    """Goals that paths reach, but only through exits no contact can take."""
    nodes = data["nodes"]
    edges = {node_id: _successors(nodes[node_id], types[node_id]) for node_id in nodes}
    reached = _reach(data["start"], edges, {})
    live = _reach(data["start"], edges, dead)
    for node_id, node_type in types.items():
        if node_type.converts and node_id in reached and node_id not in live:
            toward = _leads_to(node_id, edges)
            causes = sorted(
                {
                    why
                    for (source, exit_), why in dead.items()
                    if source in live and any(e == exit_ and t in toward for e, t in edges[source])
                }
            )
            named = "; ".join(causes[:MAX_NAMED]) + ("; ..." if len(causes) > MAX_NAMED else "")
            yield Finding(
                "unreachable-goal",
                f"{node_label(data, node_id)}: no contact can reach this goal: every path to it "
                f"goes through an exit no contact takes ({named})",
                ("nodes", node_id),
                hint="fix the condition that decides the way to it",
                at_key=True,
            )


def _reach(
    start: str,
    edges: Mapping[str, list[tuple[str | None, str]]],
    dead: Mapping[tuple[str, str | None], str],
) -> set[str]:
    seen, queue = {start}, [start]
    while queue:
        source = queue.pop()
        for exit_, target in edges[source]:
            if (source, exit_) not in dead and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _leads_to(goal: str, edges: Mapping[str, list[tuple[str | None, str]]]) -> set[str]:
    """The nodes from which some path reaches `goal`, `goal` included."""
    before: dict[str, list[str]] = {node_id: [] for node_id in edges}
    for source, targets in edges.items():
        for _, target in targets:
            before[target].append(source)
    seen, queue = {goal}, [goal]
    while queue:
        for source in before[queue.pop()]:
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen
