"""Project configuration: `[tool.flowctl]` in pyproject.toml, or a `.flowctl.toml` file.

The working directory and then each parent is searched; the first directory that holds either
file wins, and within one directory `.flowctl.toml` wins over pyproject.toml (a pyproject.toml
without a `[tool.flowctl]` table does not count). Paths and per-path patterns are relative to
the directory of the file that holds them, so a configuration means the same from any
subdirectory. Mistakes abort with exit 2, naming the file and the key; an unknown rule id is
only a warning, since a rule may come and go between versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowctl.config.channels import Channels, read_channels
from flowctl.diagnostics.findings import Severity
from flowctl.diagnostics.rules import RULES
from flowctl.errors import ConfigError as ConfigError  # its home, for the config's callers
from flowctl.loading.sources import file_error
from flowctl.words import did_you_mean

DEDICATED = ".flowctl.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_PATHS = ("flows/",)
KEYS = ("paths", "strict", "ignore", "severity", "per-path-ignores", "channels", "outbox")


@dataclass(frozen=True)
class Config:
    """The project's settings; the defaults when no file is found."""

    source: Path | None = None  # the file read, or None
    paths: tuple[str, ...] = DEFAULT_PATHS
    strict: bool = False
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_path_ignores: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = ()
    warnings: tuple[str, ...] = ()  # unknown rule ids, for the CLI to print
    channels: Channels = field(default_factory=Channels)  # which handler acts for each channel

    @property
    def root(self) -> Path:
        """The directory configured paths are relative to."""
        return self.source.parent.resolve() if self.source else Path.cwd().resolve()


def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex over '/'-separated relative paths: `*` and `?` stay within one
    directory, `**` spans any number of them, and a trailing `/` means everything below."""
    if pattern.endswith("/"):
        pattern += "**"
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def discover(start: Path) -> Path | None:
    """The configuration file for `start`: the nearest one in it or one of its parents."""
    for directory in (start, *start.parents):
        dedicated = directory / DEDICATED
        if dedicated.is_file():
            return dedicated
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _mentions_flowctl(pyproject):
            return pyproject
    return None


def _mentions_flowctl(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a `[tool.flowctl]` table; only those are parsed."""
    try:
        if b"flowctl" not in pyproject.read_bytes():
            return False
    except OSError:
        return False
    tool = _read(pyproject).get("tool", {})
    return isinstance(tool, dict) and "flowctl" in tool


def find_config(start: Path | None = None) -> Config:
    """The configuration that applies in `start` (the working directory by default)."""
    found = discover((start or Path.cwd()).resolve())
    return load_config(found) if found else Config()


def load_config(path: Path) -> Config:
    """Read and check one configuration file: `.flowctl.toml` or a pyproject.toml."""
    data = _read(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{shown(path)}: tool: must be a table")
        return _Checker(path, "tool.flowctl.").config(tool.get("flowctl", {}))
    return _Checker(path, "").config(data)


def shown(path: Path) -> str:
    """A path for a message: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read(path: Path) -> dict[str, Any]:
    import tomllib  # only when a file is there to read

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise file_error(shown(path), exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown(path)}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown(path)}: not UTF-8 text (byte {exc.start})") from None


class _Checker:
    """Checks one table's values, naming the file and the key in every message."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.where = f"{shown(path)}: {prefix}"
        self.warnings: list[str] = []

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{(self.where + key).rstrip('.: ')}: {problem}")

    def config(self, table: Any) -> Config:
        table = self.table("", table, "")
        for key in table:
            if key not in KEYS:
                hint = did_you_mean(key.replace("_", "-"), KEYS) or f"known keys: {', '.join(KEYS)}"
                raise self.fail(key, f"unknown key; {hint}")
        strict = table.get("strict", False)
        if not isinstance(strict, bool):
            raise self.fail("strict", f"must be true or false, not {strict!r}")
        severity = self.table("severity", table.get("severity", {}), '{"cycle" = "warning"}')
        per_path = self.table(
            "per-path-ignores", table.get("per-path-ignores", {}), '{"flows/old/**" = ["cycle"]}'
        )
        return Config(
            source=self.path,
            paths=tuple(self.strings("paths", table.get("paths", list(DEFAULT_PATHS)))),
            strict=strict,
            ignore=self.rules("ignore", table.get("ignore", [])),
            severity={
                rule: self.level(f"severity.{rule}", level) for rule, level in severity.items()
            },
            per_path_ignores=tuple(
                (glob_pattern(pattern), self.rules(f"per-path-ignores.{pattern}", ids))
                for pattern, ids in per_path.items()
            ),
            warnings=tuple(self.warnings),
            channels=read_channels(self, table.get("channels", {}), table.get("outbox", {})),
        )

    def table(self, key: str, value: Any, example: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(
                key, f"must be a table like {example}" if example else "must be a table"
            )
        return value

    def strings(self, key: str, value: Any) -> list[str]:
        if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            raise self.fail(key, f"must be a list of non-empty strings, not {value!r}")
        return value

    def rules(self, key: str, value: Any) -> frozenset[str]:
        """Rule ids; an unknown one is kept (a plugin may report it) and warned about."""
        for rule in self.strings(key, value):
            self.known(key, rule)
        return frozenset(value)

    def level(self, key: str, value: Any) -> Severity:
        self.known(key, key.removeprefix("severity."))
        if value not in ("error", "warning"):
            raise self.fail(key, f'must be "error" or "warning", not {value!r}')
        return Severity(value)

    def known(self, key: str, rule: str) -> None:
        if rule not in RULES:
            hint = did_you_mean(rule, RULES) or "run 'flowctl rules' to list them"
            self.warnings.append(f"{self.where}{key}: unknown rule '{rule}'; {hint}")
