"""Aborts: the few failures that stop a command, and the one map from them to exit codes.

Problems in flows are diagnostics instead. Every abort derives from `FlowctlError` and carries
its exit code; `exit_status` turns whatever ends a command into its code and one line on stderr,
for the launcher's fast path and the typer app alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum


class ExitCode(IntEnum):
    """What a flowctl process exits with, as actionlint and check-jsonschema separate them."""

    OK = 0
    FAILED = 1  # the command ran and found problems: an invalid flow, a failed run
    ERROR = 2  # the command could not run: usage, input, configuration, state, a bug
    INTERRUPTED = 130  # Ctrl-C, as shells report a SIGINT


class FlowctlError(Exception):
    """Base of every abort; `exit_code` is what the process exits with."""

    exit_code: int = ExitCode.ERROR


class UsageError(FlowctlError):
    """The command line asks for something impossible (exit 2)."""


class ConfigError(UsageError):
    """The configuration file cannot be read or holds a mistake (exit 2)."""


class InputError(FlowctlError):
    """An input could not be read: a missing file, an unreadable directory (exit 2)."""


class PluginError(FlowctlError):
    """A plugin (a node type, an effect handler) could not be loaded or clashes with another
    one (exit 2)."""


class FlowFailed(FlowctlError):
    """The flow is invalid or a run failed; the details were already reported (exit 1)."""

    exit_code = ExitCode.FAILED


def error(message: str) -> None:
    """Write one `flowctl: error:` line to stderr."""
    sys.stderr.write(f"flowctl: error: {message}\n")


def exit_status(exc: BaseException) -> int:
    """The exit code of a command that `exc` ended, after its message on stderr.

    An abort exits with its own code, Ctrl-C with 130, and a reader that closed the pipe early
    with 0 (it had enough). Anything else is a bug in flowctl: one line that says so, never a
    traceback, unless FLOWCTL_DEBUG=1 asks for it (then `exc` is raised again).
    """
    if isinstance(exc, FlowctlError):
        error(str(exc))
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        error("interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(exc, BrokenPipeError):  # a command that prints once it has decided
        silence_stdout()
        return ExitCode.OK
    if os.environ.get("FLOWCTL_DEBUG"):
        raise exc
    error(
        f"internal error: {type(exc).__name__}: {exc} (this is a bug in flowctl; "
        "rerun with FLOWCTL_DEBUG=1 for the traceback and report it)"
    )
    return ExitCode.ERROR


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Writing to stdout, whose reader may close the pipe early (`flowctl run ... | head`).

    That is how the reader says "enough", not a failure of ours: the block just ends, quietly,
    and the command still exits with what it found so far. Stdout is pointed at /dev/null, so
    that flushing it at exit cannot fail once more.
    """
    try:
        yield
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Point stdout at /dev/null, once its reader is gone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind stdout (a test's capture)
        pass
