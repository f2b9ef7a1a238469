"""`flowctl validate`: check flow files, report every problem, exit 0/1/2."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowctl.cli._errors import error_handler, fail
from flowctl.diagnostics import FileResult
from flowctl.reporters import Format
from flowctl.sources import STDIN, display_name, expand

DEFAULT_PATHS = ["flows/"]


def read_input(path: str, max_bytes: int) -> bytes:
    """Read a file (or stdin for '-'), at most one byte past the limit so the loader can say so."""
    if path == STDIN:
        return sys.stdin.buffer.read(max_bytes + 1)
    with Path(path).open("rb") as handle:
        return handle.read(max_bytes + 1)


def validate(
    paths: list[str] = typer.Argument(
        None,
        help="Files, directories (searched recursively), globs, or '-' for stdin.",
        show_default="flows/",
    ),
    output_format: Format = typer.Option(Format.TEXT, "--format", "-f", help="Output format."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail validation too."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Only the diagnostic lines: no source excerpts, no summary."
    ),
) -> None:
    """Check flow files: YAML, the merged schema and the graph. Exit 1 if any is invalid."""
    from flowctl.reporters import ReportOptions, is_valid, reporters
    from flowctl.validation import get_validator

    with error_handler():
        validator = get_validator()
        inputs = expand(paths or DEFAULT_PATHS)
        results: list[FileResult] = []
        for path in inputs.files:
            try:
                content = read_input(path, validator.limits.max_bytes)
            except OSError as exc:
                inputs.problems.append(f"{path}: {exc.strerror or exc}")
                continue
            results.append(validator.validate_source(content, display_name(path)))
        options = ReportOptions(strict=strict, quiet=quiet)
        reporters()[output_format](sys.stdout, options).report(results)
        for problem in inputs.problems:
            fail(problem)
        if inputs.problems:
            raise typer.Exit(2)
        if not all(is_valid(result, options) for result in results):
            raise typer.Exit(1)
