"""What a test file says about its flow, checked against the flow: node ids and exit names.

A misspelt node id in `not_visits` would make the case pass for ever; so every node a case
names must exist, and every exit in `exits` must be one the node has.
"""

from __future__ import annotations

from collections.abc import Iterator

from flowctl.diagnostics.findings import Finding
from flowctl.engine.plan import PreparedFlow
from flowctl.flowtests.spec import RULE, Case, iter_nodes
from flowctl.words import did_you_mean


def unknown_references(case: Case, flow: PreparedFlow) -> Iterator[Finding]:
    """A finding for each node id the flow lacks and each exit its node does not have."""
    for path, node_id in iter_nodes(case):
        if node_id not in flow.by_id:
            message = f"case '{case.name}': flow '{flow.name}' has no node '{node_id}'"
            at_key = not isinstance(path[-1], int)
            yield Finding(RULE, message, path, did_you_mean(node_id, flow.by_id), at_key=at_key)
    for node_id, exit_ in (case.expect.exits or {}).items():
        node = flow.by_id.get(node_id)
        if node is None or exit_ in node.exits:
            continue
        path = (*case.where, "expect", "exits", node_id)
        if not node.exits:
            message = f"case '{case.name}': node '{node_id}' ({node.type}) has no named exits"
            hint = "'exits' checks branch, split and wait_for_event nodes; use 'visits' here"
            yield Finding(RULE, message, path, hint)
            continue
        listed = ", ".join(node.exits)
        message = f"case '{case.name}': node '{node_id}' has no exit '{exit_}'; its exits: {listed}"
        yield Finding(RULE, message, path, did_you_mean(exit_, node.exits))
