"""The one place where aborts become exit codes and messages on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from flowctl.errors import FlowctlError, silence_stdout
from flowctl.words import printable


def fail(message: str) -> None:
    """Write one error line to stderr, its user text escaped (a path may hold anything)."""
    sys.stderr.write(f"flowctl: error: {printable(message)}\n")


@contextmanager
def error_handler() -> Iterator[None]:
    """Map `FlowctlError` to its exit code; an unexpected bug says so instead of a traceback
    (set FLOWCTL_DEBUG=1 to see it)."""
    try:
        yield
    except FlowctlError as exc:
        fail(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        fail("interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:  # a command that prints once it has decided: the reader had enough
        silence_stdout()
        raise typer.Exit(0) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get("FLOWCTL_DEBUG"):
            raise
        fail(
            f"internal error: {type(exc).__name__}: {exc} (this is a bug in flowctl; "
            "rerun with FLOWCTL_DEBUG=1 for the traceback and report it)"
        )
        raise typer.Exit(2) from None
