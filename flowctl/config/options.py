"""A handler's options as one configuration table gives them, with readers that check each value.

`Options` is a read-only mapping of the table's keys (without `handler`), so a handler may treat
it as plain data; its readers turn a missing or mistyped value into a `ConfigError` that names
the file, the table and the key, in the style of every other configuration message:

    pyproject.toml: tool.flowctl.channels.email.port: must be an integer from 1 to 65535, not 'x'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from flowctl.errors import ConfigError
from flowctl.language.durations import parse_duration
from flowctl.words import did_you_mean, show


class Options(Mapping[str, Any]):
    """A table's options; `where` names the table in messages
    (`pyproject.toml: tool.flowctl.channels.email`)."""

    def __init__(self, values: Mapping[str, Any] | None = None, where: str = "options") -> None:
        self._values = dict(values or {})
        self.where = where

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Options({self._values!r}, where={self.where!r})"

    def fail(self, key: str, problem: str) -> ConfigError:
        """The error for a mistake in one key's value."""
        return ConfigError(f"{self.where}.{key}: {problem}")

    def check_known(self, known: Iterable[str], handler: str, also: Iterable[str] = ()) -> None:
        """Every key must be one the handler documents; a hint names the closest of those and
        of `also` (keys of the table read elsewhere, such as a channel's limits)."""
        names = sorted(known)
        nearby = [*names, *also]
        for key in self:
            if key not in names:
                listed = f"the {handler} handler's keys are {', '.join(names)}"
                hint = did_you_mean(key, nearby) or (
                    listed if names else f"the {handler} handler takes no keys"
                )
                raise self.fail(key, f"unknown key; {hint}")

    def text(self, key: str, default: str | None = None) -> str:
        """A non-empty string; required when there is no default."""
        value = self.optional_text(key)
        if value is not None:
            return value
        if default is None:
            raise self.fail(key, "is required")
        return default

    def optional_text(self, key: str) -> str | None:
        value = self.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise self.fail(key, f"must be a non-empty string, not {show(value)}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.get(key, default)
        if value not in choices:
            hint = did_you_mean(value, choices)
            allowed = " or ".join(f'"{choice}"' for choice in choices)
            raise self.fail(
                key, f"must be {allowed}, not {show(value)}" + (f"; {hint}" if hint else "")
            )
        return str(value)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"must be an integer from {low} to {high}, not {show(value)}")
        return value

    def seconds(self, key: str, default: float) -> float:
        """A time limit: a positive number of seconds, or a duration string such as `30s`."""
        value = self.get(key, default)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # if not a duration, reported below
                value = parse_duration(value).total_seconds()
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(
                key,
                f"must be a positive number of seconds or a duration such as 30s, not "
                f"{show(self.get(key))}",
            )
        return float(value)

    def path(self, key: str, default: str, base: Path) -> Path:
        """A path, relative to `base` (the configuration file's directory) unless absolute."""
        return base / Path(self.text(key, default)).expanduser()

    def text_table(self, key: str) -> dict[str, str]:
        """A table of strings: `{Authorization = "..."}`."""
        value = self.get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(item, str) for item in value.values()
        ):
            raise self.fail(
                key, f'must be a table of strings like {{X-Team = "growth"}}, not {show(value)}'
            )
        return dict(value)

    def secret(self, key: str, environ: Mapping[str, str]) -> str | None:
        """The value of the environment variable the key names, or None without the key."""
        name = self.optional_text(key)
        return None if name is None else self._variable(key, name, environ)

    def secret_table(self, key: str, environ: Mapping[str, str]) -> dict[str, str]:
        """A table of environment variable names, as the variables' values."""
        return {
            item: self._variable(f"{key}.{item}", name, environ)
            for item, name in self.text_table(key).items()
        }

    def _variable(self, key: str, name: str, environ: Mapping[str, str]) -> str:
        value = environ.get(name)
        if value is None:
            raise self.fail(key, f"the environment variable {name} is not set")
        return value
