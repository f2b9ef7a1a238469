"""Aborts inside a typer command: the exit code and message `flowctl.errors` maps them to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from flowctl.errors import exit_status


@contextmanager
def error_handler() -> Iterator[None]:
    """End the command with the exit code of what stopped it (`flowctl.errors.exit_status`)."""
    try:
        yield
    except (typer.Exit, typer.Abort, SystemExit):  # typer's own endings (not `Exception`s alone)
        raise
    except (Exception, KeyboardInterrupt) as exc:
        raise typer.Exit(exit_status(exc)) from None
