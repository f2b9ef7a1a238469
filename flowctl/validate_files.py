"""`flowctl validate` as a function: a request in, a report written, an exit code back.

An entry module beside the launcher, above every stage: it builds the configuration and the
validator (`flowctl.compose`), validates and picks a reporter.

Both entry points call it: the typer command and the launcher's fast path. It imports neither
typer nor rich, so validating a file costs only what validation needs.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from flowctl.compose import compose
from flowctl.config.settings import Config
from flowctl.diagnostics.findings import FileResult
from flowctl.errors import InputError, reader_may_leave
from flowctl.loading.sources import STDIN, display_name, expand, file_error, read_input
from flowctl.reporters import Format, ReportOptions, exit_code, reporters
from flowctl.validation.suppressions import apply


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    """The options of `flowctl validate`; None and empty mean "as configured"."""

    paths: tuple[str, ...] = ()
    output_format: Format = Format.TEXT
    strict: bool | None = None
    quiet: bool = False
    output: str | None = None
    config: str | None = None


def configured_paths(config: Config) -> list[str]:
    """The configured paths, relative to the configuration's directory, as the user sees them."""
    if config.root == Path.cwd().resolve():
        return list(config.paths)
    return [os.path.relpath(config.root / path) for path in config.paths]


def validate_files(request: ValidateRequest, stdout: TextIO, stderr: TextIO) -> int:
    """Validate, report to `stdout` (or the output file), and return the exit code."""
    parts = compose(request.config, stderr)
    config, validator = parts.config, parts.validator
    inputs = expand(list(request.paths) or configured_paths(config))
    _check_output(request.output, inputs.files)
    results: list[FileResult] = []
    for path in inputs.files:
        try:
            content = read_input(path, validator.limits.max_bytes)
        except InputError as exc:
            inputs.problems.append(str(exc))
            continue
        result, document = validator.validate_loaded(content, display_name(path))
        results.append(apply(result, config, document))
    strict = config.strict if request.strict is None else request.strict
    options = ReportOptions(strict=strict, quiet=request.quiet)
    # Decided before the report is written: a reader that stops early changes nothing.
    code = exit_code(results, inputs.problems, options)
    if results or not inputs.problems or request.output_format is not Format.TEXT:
        with reader_may_leave():  # not "✓ 0 files valid" when nothing was read
            report(results, request, options, stdout, inputs.problems)
    for problem in inputs.problems:
        stderr.write(f"flowctl: error: {problem}\n")
    return code


def _check_output(output: str | None, files: list[str]) -> None:
    """Refuse an `--output` that is one of the flows being checked: it would be overwritten."""
    if output is None or output == STDIN:
        return
    target = Path(output).resolve()
    if any(path != STDIN and Path(path).resolve() == target for path in files):
        raise InputError(f"--output {output} is one of the files being validated; pick another")


def report(
    results: list[FileResult],
    request: ValidateRequest,
    options: ReportOptions,
    stdout: TextIO,
    unreadable: list[str],
) -> None:
    """Write the report to stdout, or to the output file in one piece."""
    reporter = reporters()[request.output_format]
    if request.output in (None, STDIN):  # `--output -` is stdout, as for most tools
        reporter(stdout, options, unreadable).report(results)
        return
    buffer = io.StringIO()
    reporter(buffer, options, unreadable).report(results)
    try:
        Path(request.output).write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise file_error(request.output, exc) from None
