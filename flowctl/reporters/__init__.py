"""Reporters render validation results; they are the only validation code that writes output.

Each format is a `Reporter` subclass, picked by name from `REPORTERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TextIO

from flowctl.diagnostics.findings import Diagnostic, FileResult

# The verdict lives below validation, which needs it too; reporters keep offering it.
from flowctl.diagnostics.verdict import ReportOptions as ReportOptions
from flowctl.diagnostics.verdict import is_valid as is_valid


class Format(StrEnum):
    """The output formats of `flowctl validate`; each has a `Reporter` in `reporters()`."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over all files, as every format reports them."""

    files: int
    valid: int
    errors: int
    warnings: int
    suppressed: int = 0

    @classmethod
    def of(cls, results: Sequence[FileResult], options: ReportOptions) -> Summary:
        return cls(
            files=len(results),
            valid=sum(1 for r in results if is_valid(r, options)),
            errors=sum(r.errors for r in results),
            warnings=sum(r.warnings for r in results),
            suppressed=sum(len(r.suppressed) for r in results),
        )


def exit_code(
    results: Sequence[FileResult], unreadable: Sequence[str], options: ReportOptions
) -> int:
    """`flowctl validate`'s exit code: 2 when a path named nothing readable, else 1 when a
    file is invalid, else 0. The machine-readable formats state it too."""
    if unreadable:
        return 2
    return 0 if all(is_valid(result, options) for result in results) else 1


def plural(count: int, word: str) -> str:
    """`1 file`, `12,000 contacts`."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary_line(summary: Summary, unreadable: int = 0) -> str:
    """`✓ 5 files valid`, or `✗ 7 errors, 0 warnings in 3 files (3 invalid)`; never a ✓ when
    `unreadable` paths named nothing readable."""
    problems = plural(summary.errors, "error") + ", " + plural(summary.warnings, "warning")
    if summary.valid == summary.files and not unreadable:
        words = f"{plural(summary.files, 'file')} valid"
        return f"✓ {words} ({problems})" if summary.warnings else f"✓ {words}"
    invalid = summary.files - summary.valid
    not_read = f", {plural(unreadable, 'path')} not read" if unreadable else ""
    return f"✗ {problems} in {plural(summary.files, 'file')} ({invalid} invalid{not_read})"


def with_hint(diagnostic: Diagnostic) -> str:
    """The message and its hint in one line, for formats that have no place for a hint."""
    if not diagnostic.hint:
        return diagnostic.message
    return f"{diagnostic.message} (hint: {diagnostic.hint})"


class Reporter:
    """Base of the output formats.

    `unreadable` holds one message per PATH argument that named nothing readable: the files
    read are still reported, and a format that has a place for it says the run did not succeed.
    """

    name: ClassVar[Format]

    def __init__(
        self, stream: TextIO, options: ReportOptions, unreadable: Sequence[str] = ()
    ) -> None:
        self.stream = stream
        self.options = options
        self.unreadable = tuple(unreadable)

    def report(self, results: Sequence[FileResult]) -> None:
        raise NotImplementedError


def reporters() -> dict[Format, type[Reporter]]:
    """Formats by name, sorted; imported here so each format stays its own module."""
    from flowctl.reporters.github import GithubReporter
    from flowctl.reporters.json_format import JsonReporter
    from flowctl.reporters.sarif import SarifReporter
    from flowctl.reporters.text import TextReporter

    found: list[type[Reporter]] = [GithubReporter, JsonReporter, SarifReporter, TextReporter]
    return {cls.name: cls for cls in sorted(found, key=lambda cls: cls.name)}
