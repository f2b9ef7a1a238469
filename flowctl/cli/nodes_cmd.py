"""`flowctl nodes [TYPE]`: the node catalogue, or one type's fields, exits and example."""

from __future__ import annotations

import typer

from flowctl.cli._errors import error_handler
from flowctl.errors import UsageError


def nodes(
    type_name: str | None = typer.Argument(None, metavar="[TYPE]", help="Show one node type."),
) -> None:
    """List the installed node types, or show one type's config fields, exits and an example."""
    import yaml
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.table import Table

    from flowctl.catalogue import fields
    from flowctl.registry import default_registry
    from flowctl.words import did_you_mean

    with error_handler():
        registry = default_registry()
        console = Console(highlight=False, soft_wrap=True)
        if type_name is None:
            table = Table("type", "exits", "summary", "from", title="flowctl node types")
            for registration in registry.registrations():
                listed = registration.node_type
                table.add_row(
                    listed.name, listed.exits.describe(), listed.summary, registration.distribution
                )
            console.print(table)
            return
        node_type = registry.get(type_name)
        if node_type is None:
            hint = did_you_mean(type_name, registry.names()) or "run 'flowctl nodes' to list them"
            raise UsageError(f"no node type '{type_name}'; {hint}")
        console.print(f"[bold]{node_type.name}[/bold]: {node_type.summary}")
        console.print(f"exits: {node_type.exits.describe()}")
        table = Table("field", "type", "required", "description", title="config")
        for field in fields(node_type):
            default = f" (default: {field.default})" if field.default is not None else ""
            table.add_row(
                field.name, field.type, "yes" if field.required else "", field.description + default
            )
        console.print(table)
        if node_type.example:
            example = yaml.safe_dump({"my_node": node_type.example}, sort_keys=False)
            console.print("example:")
            console.print(Syntax(example, "yaml", theme="ansi_dark", background_color="default"))
