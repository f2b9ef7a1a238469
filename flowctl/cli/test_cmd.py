"""`flowctl test [PATH...]`: run flow test files (DESIGN §9) and report cases and exit coverage.

This module parses options and picks the reporter; `flowctl.flowtests` does the work.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import typer

from flowctl.cli._errors import error_handler
from flowctl.errors import UsageError, error, reader_may_leave
from flowctl.loading.sources import STDIN, TEST_SUFFIXES
from flowctl.reporters.flowtest import SuiteFormat


def test(
    paths: list[str] = typer.Argument(
        None,
        help="Test files, directories (searched for *.flowtest.yaml), globs, or '-' for stdin.",
        show_default="the configured paths, else flows/",
    ),
    output_format: SuiteFormat = typer.Option(
        SuiteFormat.TEXT, "--format", "-f", help="Output format."
    ),
    min_coverage: float | None = typer.Option(
        None,
        "--min-coverage",
        min=0,
        max=100,
        metavar="PERCENT",
        help="Fail each flow whose exit coverage is below PERCENT.",
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the report to FILE ('-': stdout)."
    ),
) -> None:
    """Run flow tests: dry-run each case of the *.flowtest.yaml files; report exit coverage.

    Each case's expectations (path, visits, exits, status, times, effects) are checked; a
    broken one is reported at its line. Exit 1 if a case fails, a test file or its flow is
    invalid, or a flow's exit coverage is below --min-coverage.
    """
    from flowctl.compose import compose
    from flowctl.flowtests import run_suite
    from flowctl.loading.sources import file_error
    from flowctl.reporters.flowtest import suite_reporters
    from flowctl.validate_files import configured_paths

    with error_handler():
        parts = compose()
        config = parts.config
        chosen = list(paths or ()) or configured_paths(config)
        if output not in (None, STDIN) and output.endswith(TEST_SUFFIXES):
            raise UsageError(f"--output {output} looks like a flow test file; pick another name")
        result = run_suite(chosen, config, parts.validator, min_coverage)
        reporter = suite_reporters()[output_format]
        # Not "✓ 0 cases passed" beside the error when nothing could be read (as validate).
        nothing_read = not result.files and bool(result.problems)
        if nothing_read and output_format is SuiteFormat.TEXT:
            pass
        elif output in (None, STDIN):
            with reader_may_leave():
                reporter(sys.stdout).report(result)
        else:
            buffer = io.StringIO()
            reporter(buffer).report(result)
            try:
                Path(output).write_text(buffer.getvalue(), encoding="utf-8")
            except OSError as exc:
                raise file_error(output, exc) from None
        for problem in result.problems:
            error(problem)
    raise typer.Exit(result.exit_code)
