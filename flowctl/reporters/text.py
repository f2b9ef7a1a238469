"""`--format text`: actionlint-style `file:line:col: severity: message [rule]`, the source line
with a caret under the problem, the hint, and a summary.

Lines are built as styled spans. Colour goes through rich, imported only when the output gets
colour (a terminal without NO_COLOR, or FORCE_COLOR): plain output, as in CI, pre-commit and
pipes, skips rich's start-up cost and is written directly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

from flowctl.diagnostics.findings import Diagnostic, FileResult
from flowctl.reporters import Format, Reporter, Summary, summary_line

Span = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Span]

_STYLES = {"error": "bold red", "warning": "bold yellow"}
# The control codes rich strips from text, stripped the same way on the plain path.
_CONTROL = dict.fromkeys((7, 8, 11, 12, 13))


def wants_colour(stream: TextIO) -> bool:
    """Whether output to `stream` gets colour: NO_COLOR and non-terminals give plain text."""
    environ = os.environ
    if environ.get("NO_COLOR") or environ.get("TERM") in ("dumb", "unknown"):
        return False
    if environ.get("FORCE_COLOR") or environ.get("TTY_COMPATIBLE") == "1":
        return True
    if environ.get("TTY_COMPATIBLE") == "0":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def excerpt(diagnostic: Diagnostic, lines: list[str]) -> list[Line]:
    """The offending source line with a caret run under the span."""
    if not 1 <= diagnostic.line <= len(lines):
        return []
    source = lines[diagnostic.line - 1].expandtabs(1)
    gutter = f"{diagnostic.line:>5} | "
    start = max(diagnostic.column - 1, 0)
    same_line = diagnostic.end_line == diagnostic.line and diagnostic.end_column
    width = (diagnostic.end_column or 0) - diagnostic.column if same_line else 1
    width = max(1, min(width, len(source) - start)) if start < len(source) else 1
    caret = " " * start + "^" + "~" * (width - 1)
    return [
        [(gutter, "dim"), (source, "")],
        [(" " * (len(gutter) - 2) + "| ", "dim"), (caret, _STYLES[str(diagnostic.severity)])],
    ]


def diagnostic_lines(diagnostic: Diagnostic, lines: list[str], quiet: bool) -> list[Line]:
    """Everything shown for one diagnostic."""
    severity = str(diagnostic.severity)
    shown: list[Line] = [
        [
            (f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: ", "bold"),
            (f"{severity}: ", _STYLES[severity]),
            (diagnostic.message, ""),
            (f" [{diagnostic.rule}]", "cyan"),
        ]
    ]
    if not quiet:
        shown.extend(excerpt(diagnostic, lines))
    if diagnostic.hint:
        shown.append([(f"      hint: {diagnostic.hint}", "green")])
    return shown


def summary_style(summary: Summary) -> str:
    return "green" if summary.valid == summary.files else "bold red"


class TextReporter(Reporter):
    """For people at a terminal."""

    name = Format.TEXT

    def report(self, results: Sequence[FileResult]) -> None:
        shown: list[Line] = []
        for result in results:
            lines = result.source.splitlines()
            for diagnostic in result.diagnostics:
                shown.extend(diagnostic_lines(diagnostic, lines, self.options.quiet))
        if not self.options.quiet:
            summary = Summary.of(results, self.options)
            shown.append([(summary_line(summary), summary_style(summary))])
        write_lines(self.stream, shown)


def write_lines(stream: TextIO, shown: list[Line]) -> None:
    """Write styled lines: through rich when the stream gets colour, else as plain text."""
    if not wants_colour(stream):
        stream.writelines(
            "".join(text for text, _ in line).translate(_CONTROL) + "\n" for line in shown
        )
        return
    from rich.text import Text

    from flowctl.reporters.console import console as make_console

    console = make_console(file=stream, soft_wrap=True)
    for line in shown:
        console.print(Text.assemble(*line))
