"""Reporters render validation results; they are the only validation code that writes output.

Each format is a `Reporter` subclass, picked by name from `REPORTERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TextIO

from flowctl.diagnostics import FileResult


class Format(StrEnum):
    """The output formats of `flowctl validate`; each has a `Reporter` in `reporters()`."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the user asked for: warnings fail under `strict`; `quiet` drops all but problems."""

    strict: bool = False
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over all files, as every format reports them."""

    files: int
    valid: int
    errors: int
    warnings: int

    @classmethod
    def of(cls, results: Sequence[FileResult], options: ReportOptions) -> Summary:
        return cls(
            files=len(results),
            valid=sum(1 for r in results if is_valid(r, options)),
            errors=sum(r.errors for r in results),
            warnings=sum(r.warnings for r in results),
        )


def is_valid(result: FileResult, options: ReportOptions) -> bool:
    """Whether a file passes: no errors, and no warnings either under --strict."""
    return result.valid and not (options.strict and result.warnings)


class Reporter:
    """Base of the output formats."""

    name: ClassVar[Format]

    def __init__(self, stream: TextIO, options: ReportOptions) -> None:
        self.stream = stream
        self.options = options

    def report(self, results: Sequence[FileResult]) -> None:
        raise NotImplementedError


def reporters() -> dict[Format, type[Reporter]]:
    """Formats by name, sorted; imported here so each format stays its own module."""
    from flowctl.reporters.json_format import JsonReporter
    from flowctl.reporters.text import TextReporter

    found: list[type[Reporter]] = [JsonReporter, TextReporter]
    return {cls.name: cls for cls in sorted(found, key=lambda cls: cls.name)}
