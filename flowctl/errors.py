"""Aborts: the few failures that stop a command. Problems in flows are diagnostics instead.

Every abort derives from `FlowctlError` and carries its exit code; the CLI maps them in one place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class FlowctlError(Exception):
    """Base of every abort; `exit_code` is what the process exits with."""

    exit_code = 2


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

    exit_code = 1


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
