"""`flowctl nodes [TYPE]`: the node catalogue, or one type's fields, exits and example."""

from __future__ import annotations

import re
from typing import Any

import typer

from flowctl.cli import _complete
from flowctl.cli._errors import error_handler
from flowctl.errors import UsageError


def nodes(
    type_name: str | None = typer.Argument(
        None, metavar="[TYPE]", help="Show one node type.", autocompletion=_complete.node_types
    ),
) -> None:
    """List the installed node types, or show one type's config fields, exits and an example."""
    from rich.syntax import Syntax
    from rich.table import Table

    from flowctl.plugins.catalogue import fields
    from flowctl.plugins.registry import Registry
    from flowctl.reporters.console import console as make_console
    from flowctl.words import did_you_mean

    with error_handler():
        registry = Registry.from_entry_points()
        console = make_console(soft_wrap=True)
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
        table = Table("field", "type", "required", "default", "description", title="config")
        for field in fields(node_type):
            default = "" if field.default is None else str(field.default)
            required = "yes" if field.required else ""
            table.add_row(field.name, field.type, required, default, field.description)
        console.print(table)
        if node_type.example:
            example = example_yaml(node_type.example)
            console.print("example:")
            console.print(Syntax(example, "yaml", theme="ansi_dark", background_color="default"))


_TIME_LIKE = re.compile(r"^[0-9]{1,2}:[0-9]{2}$")


def example_yaml(example: dict[str, Any]) -> str:
    """An example node as YAML, every time of day quoted.

    PyYAML quotes `12:30` itself but prints `09:30` bare (that one reads back as text); someone
    who copies the bare form and types `12:30` gets 750, so examples show the habit to copy.
    """
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = '"' if _TIME_LIKE.match(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return yaml.dump({"my_node": example}, Dumper=Dumper, sort_keys=False)
