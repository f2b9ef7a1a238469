"""The composition root: the parts a command works with, built once when it starts.

Below the command line nothing is process-wide. A `Validator` is given its node registry;
`check_flow` and `load_flow` are given their validator and configuration; the real-run commands
build their handlers from the configuration they were given. Each command builds these parts
here, once, and passes them down, so a program that uses flowctl as a library (or a test) builds
its own, say a registry with one more node type, and nothing from an earlier call leaks in.

An entry module, like the launcher: no stage imports it, and it imports neither typer nor rich.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from flowctl.config.settings import Config, find_config, load_config

if TYPE_CHECKING:
    from flowctl.plugins.registry import Registry
    from flowctl.validation import Validator


@dataclass(frozen=True, slots=True)
class Parts:
    """The configuration, and a validator for the installed node types."""

    config: Config
    validator: Validator

    @property
    def registry(self) -> Registry:
        """The installed node types, found through the `flowctl.nodes` entry points."""
        return self.validator.registry


def project_config(config_file: str | None = None, stderr: TextIO | None = None) -> Config:
    """`config_file`, else the configuration found from the working directory up; its
    warnings go to `stderr`."""
    config = load_config(Path(config_file)) if config_file else find_config()
    for warning in config.warnings:
        (stderr or sys.stderr).write(f"flowctl: warning: {warning}\n")
    return config


def compose(config_file: str | None = None, stderr: TextIO | None = None) -> Parts:
    """The parts of a command that validates flows: the configuration and a validator."""
    from flowctl.plugins.registry import Registry
    from flowctl.validation import Validator

    config = project_config(config_file, stderr)
    return Parts(config, Validator(Registry.from_entry_points()))
