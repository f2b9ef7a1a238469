"""`flowctl schema`: print, write or check the merged flow schema."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import typer

from flowctl.cli._errors import error_handler
from flowctl.errors import FlowFailed

_DIFF_LINES = 40


def stale_report(committed: str, current: str, name: str) -> str:
    """A short unified diff between the committed schema and the one flowctl builds now."""
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            current.splitlines(),
            f"{name} (committed)",
            "merged schema",
            n=1,
            lineterm="",
        )
    )
    shown = diff[:_DIFF_LINES]
    if len(diff) > _DIFF_LINES:
        shown.append(f"... {len(diff) - _DIFF_LINES} more diff lines")
    return "\n".join(shown)


def schema(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the schema to FILE instead of printing it."
    ),
    check: Path | None = typer.Option(
        None, "--check", help="Exit 1 with a diff summary when FILE differs from the schema."
    ),
) -> None:
    """The JSON Schema of flow files, merged from every installed node type."""
    from flowctl.loading.sources import file_error
    from flowctl.plugins.registry import Registry
    from flowctl.schema.merged import build_schema, dumps

    with error_handler():
        text = dumps(build_schema(Registry.from_entry_points()))
        if check is not None:
            try:
                # Not UTF-8 is not an error of its own: such a file is simply not the schema.
                committed = check.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                raise file_error(check, exc) from exc
            if _normalized(committed) != _normalized(text):
                sys.stderr.write(stale_report(committed, text, str(check)) + "\n")
                raise FlowFailed(f"{check} is stale: run 'flowctl schema --output {check}'")
            typer.echo(f"{check} is up to date")
        elif output is not None:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise file_error(output, exc) from exc
        else:
            sys.stdout.write(text)


def _normalized(text: str) -> object:
    """Compare schemas as JSON values, so formatting alone never makes a file stale."""
    try:
        return json.loads(text)
    except ValueError:
        return text
