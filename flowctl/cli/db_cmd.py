"""`flowctl db migrate`: create or upgrade the run store's tables (and the job queue's)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowctl.cli._errors import error_handler
from flowctl.cli._state import STATE_HELP

app = typer.Typer(help="The run store: create or upgrade its tables.", no_args_is_help=True)


@app.command("migrate")
def migrate(
    store: str | None = typer.Option(None, "--store", "--state", metavar="URL|DB", help=STATE_HELP),
) -> None:
    """Create the store's tables, or bring them up to date; running it again changes nothing.

    On PostgreSQL this also applies procrastinate's schema (the job queue of `flowctl
    worker`). Other commands refuse a store that needs this step, and one from a newer flowctl.
    """
    from flowctl.cli._state import postgres_store, store_target
    from flowctl.compose import project_config

    with error_handler():
        target = store_target(store, project_config().store_url)
        if isinstance(target, Path):
            from flowctl.store.sqlite import SqliteStore

            SqliteStore.open(target).close()  # opening a file creates or migrates it
            sys.stderr.write(f"flowctl: db migrate: {target} is up to date\n")
            return
        postgres = postgres_store()
        for step in postgres.migrate(target):
            sys.stderr.write(f"flowctl: db migrate: applied {step}\n")
        sys.stderr.write(f"flowctl: db migrate: {postgres.describe(target)} is up to date\n")
