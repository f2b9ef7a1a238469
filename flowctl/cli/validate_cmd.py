"""`flowctl validate`: check flow files, report every problem, exit 0/1/2.

The options become a `ValidateRequest` for `validate_files`, which the launcher's fast path also
calls for plain command lines; keep the two option lists in step (tests compare them).
"""

from __future__ import annotations

import sys

import typer

from flowctl.reporters import Format


def validate(
    paths: list[str] = typer.Argument(
        None,
        help="Files, directories (searched recursively), globs, or '-' for stdin.",
        show_default="the configured paths, else flows/",
    ),
    output_format: Format = typer.Option(Format.TEXT, "--format", "-f", help="Output format."),
    strict: bool | None = typer.Option(
        None,
        "--strict/--no-strict",
        help="Warnings fail validation too.",
        show_default="as configured, else --no-strict",
    ),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="Only the diagnostic lines and hints: no source excerpts, no summary.",
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout."
    ),
    config: str | None = typer.Option(
        None,
        "--config",
        metavar="FILE",
        help="Read this .flowctl.toml or pyproject.toml instead of searching for one.",
    ),
) -> None:
    """Check flow files: YAML, the merged schema and the graph. Exit 1 if any is invalid."""
    from flowctl.launcher import exit_code_of
    from flowctl.validate_files import ValidateRequest, validate_files

    request = ValidateRequest(
        paths=tuple(paths or ()),
        output_format=output_format,
        strict=strict,
        quiet=quiet,
        output=output,
        config=config,
    )
    code = exit_code_of(lambda: validate_files(request, sys.stdout, sys.stderr))
    if code:
        raise typer.Exit(code)
