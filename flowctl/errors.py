"""Aborts: the few failures that stop a command. Problems in flows are diagnostics instead.

Every abort derives from `FlowctlError` and carries its exit code; the CLI maps them in one place.
"""

from __future__ import annotations


class FlowctlError(Exception):
    """Base of every abort; `exit_code` is what the process exits with."""

    exit_code = 2


class UsageError(FlowctlError):
    """The command line asks for something impossible (exit 2)."""


class InputError(FlowctlError):
    """An input could not be read: a missing file, an unreadable directory (exit 2)."""


class PluginError(FlowctlError):
    """A node plugin could not be loaded or clashes with another one (exit 2)."""


class FlowFailed(FlowctlError):
    """The flow is invalid or a run failed; the details were already reported (exit 1)."""

    exit_code = 1
