"""Shell completion for the values typer cannot infer from a parameter's type.

Commands, options and enum values (`--format`) complete by themselves once typer's completion
is installed (`flowctl --install-completion`); node types and rule ids are open sets (plugins
add node types), so these callbacks list them, each with its one-line summary.
"""

from __future__ import annotations


def node_types(incomplete: str) -> list[tuple[str, str]]:
    """The installed node types that start with what was typed."""
    from flowctl.plugins.registry import Registry

    installed = Registry.from_entry_points()
    return [(t.name, t.summary) for t in installed if t.name.startswith(incomplete)]


def rule_ids(incomplete: str) -> list[tuple[str, str]]:
    """The rule ids that start with what was typed."""
    from flowctl.diagnostics.rules import RULES

    return [(rule.id, rule.summary) for rule in RULES.values() if rule.id.startswith(incomplete)]
