"""Whether a file passes: the verdict every command shares, whatever the output format."""

from __future__ import annotations

from dataclasses import dataclass

from flowctl.diagnostics.findings import FileResult


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the user asked for: warnings fail under `strict`; `quiet` drops all but problems."""

    strict: bool = False
    quiet: bool = False


def is_valid(result: FileResult, options: ReportOptions) -> bool:
    """Whether a file passes: no errors, and no warnings either under --strict."""
    return result.valid and not (options.strict and result.warnings)
