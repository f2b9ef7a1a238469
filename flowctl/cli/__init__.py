"""The `flowctl` command line: option parsing only; the work happens in the library.

Each subcommand lives in its own module and keeps heavy imports inside its function, so that
`flowctl validate` does not pay for what only `flowctl run` needs.
"""

from __future__ import annotations

import typer

from flowctl import __version__
from flowctl.cli import (
    event_cmd,
    graph_cmd,
    nodes_cmd,
    rules_cmd,
    run_cmd,
    runs_cmd,
    schema_cmd,
    test_cmd,
    validate_cmd,
    worker_cmd,
)

app = typer.Typer(
    name="flowctl",
    help="Validate, dry-run and run marketing-automation flows kept as YAML files.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Validate, dry-run and run marketing-automation flows kept as YAML files."""


app.command("validate")(validate_cmd.validate)
app.command("schema")(schema_cmd.schema)
app.command("nodes")(nodes_cmd.nodes)
app.command("run")(run_cmd.run)
app.command("graph")(graph_cmd.graph)
app.command("rules")(rules_cmd.rules)
app.command("worker")(worker_cmd.worker)
app.command("event")(event_cmd.event)
app.command("events")(event_cmd.events)
app.command("test")(test_cmd.test)
app.add_typer(runs_cmd.app, name="runs")


def main() -> None:
    """Console-script entry point."""
    app()
