"""`--format text`: actionlint-style `file:line:col: severity: message [rule]`, the source line
with a caret under the problem, the hint, and a summary.

The output stays proportional to the problems, not to the file: a long source line is clipped
to a window around the column (as rustc and actionlint do), and past the first few diagnostics
of one rule in one file the rest are counted, not shown (`--format json` lists every one). User
text (paths, messages, source) is escaped, so no file can move the cursor or forge a line.

Lines are built as styled spans. Colour goes through rich, imported only when the output gets
colour (a terminal without NO_COLOR, or FORCE_COLOR): plain output, as in CI, pre-commit and
pipes, skips rich's start-up cost and is written directly.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TextIO

from flowctl.diagnostics.findings import Diagnostic, FileResult
from flowctl.loading.positions import source_lines
from flowctl.reporters import Format, Reporter, Summary, plural, summary_line
from flowctl.words import printable

Span = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Span]

_STYLES = {"error": "bold red", "warning": "bold yellow"}
#: Source characters shown around the column of a problem on a long line.
EXCERPT_WIDTH = 100
_BEFORE = 40  # of which before the column
#: Diagnostics of one rule shown per file; the rest are counted on one line.
SHOWN_PER_RULE = 20
#: Characters of a message shown; a longer one ends in an ellipsis.
MESSAGE_WIDTH = 1000
_MORE = "…"


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


def excerpt(diagnostic: Diagnostic, lines: Sequence[str]) -> list[Line]:
    """The offending source line, clipped around the column, with a caret run under the span."""
    if not 1 <= diagnostic.line <= len(lines) or not lines[diagnostic.line - 1]:
        return []  # nothing to show (an empty line, or a file whose text is not shown)
    raw = lines[diagnostic.line - 1]
    start = min(max(diagnostic.column - 1, 0), len(raw))
    same_line = diagnostic.end_line == diagnostic.line and diagnostic.end_column
    width = (diagnostic.end_column or 0) - diagnostic.column if same_line else 1
    width = max(1, min(width, len(raw) - start))
    left = max(0, start - _BEFORE) if len(raw) > EXCERPT_WIDTH else 0
    right = min(len(raw), max(left + EXCERPT_WIDTH, start + 1))
    width = min(width, max(right - start, 1))
    before = _shown(raw[left:start], left > 0)
    marked = _shown(raw[start : start + width])
    source = (
        before + marked + _shown(raw[start + width : right]) + (_MORE if right < len(raw) else "")
    )
    gutter = f"{diagnostic.line:>5} | "
    caret = " " * len(before) + "^" + "~" * (len(marked) - 1)
    return [
        [(gutter, "dim"), (source, "")],
        [(" " * (len(gutter) - 2) + "| ", "dim"), (caret, _STYLES[str(diagnostic.severity)])],
    ]


def _shown(source: str, clipped: bool = False) -> str:
    """Source text as printed: tabs as one space (columns count them as one), escaped."""
    return (_MORE if clipped else "") + printable(source.expandtabs(1))


def diagnostic_lines(diagnostic: Diagnostic, lines: Sequence[str], quiet: bool) -> list[Line]:
    """Everything shown for one diagnostic."""
    severity = str(diagnostic.severity)
    message = diagnostic.message
    if len(message) > MESSAGE_WIDTH:
        message = message[: MESSAGE_WIDTH - 1] + _MORE
    shown: list[Line] = [
        [
            (f"{printable(diagnostic.path)}:{diagnostic.line}:{diagnostic.column}: ", "bold"),
            (f"{severity}: ", _STYLES[severity]),
            (printable(message), ""),
            (f" [{diagnostic.rule}]", "cyan"),
        ]
    ]
    if not quiet:
        shown.extend(excerpt(diagnostic, lines))
    if diagnostic.hint:
        shown.append([(f"      hint: {printable(diagnostic.hint)}", "green")])
    return shown


def capped(result: FileResult) -> Iterator[Diagnostic | tuple[str, int]]:
    """The file's diagnostics, the first `SHOWN_PER_RULE` of each rule, then (rule, count) of
    those left out, so that one mistake repeated 10,000 times does not bury the others."""
    counts = Counter(diagnostic.rule for diagnostic in result.diagnostics)
    seen: Counter[str] = Counter()
    for diagnostic in result.diagnostics:
        seen[diagnostic.rule] += 1
        if seen[diagnostic.rule] <= SHOWN_PER_RULE:
            yield diagnostic
    for rule, count in counts.items():
        if count > SHOWN_PER_RULE:
            yield rule, count - SHOWN_PER_RULE


def summary_style(summary: Summary) -> str:
    return "green" if summary.valid == summary.files else "bold red"


class TextReporter(Reporter):
    """For people at a terminal."""

    name = Format.TEXT

    def report(self, results: Sequence[FileResult]) -> None:
        shown: list[Line] = []
        for result in results:
            lines = source_lines(result.source) if result.diagnostics else []
            for item in capped(result):
                if isinstance(item, Diagnostic):
                    shown.extend(diagnostic_lines(item, lines, self.options.quiet))
                    continue
                rule, left_out = item
                more = f"{printable(result.path)}: {plural(left_out, 'more diagnostic')} [{rule}]"
                shown.append([(f"{more} not shown; --format json lists them all", "dim")])
        if not self.options.quiet:
            summary = Summary.of(results, self.options)
            shown.append([(summary_line(summary), summary_style(summary))])
        write_lines(self.stream, shown)


def write_lines(stream: TextIO, shown: list[Line]) -> None:
    """Write styled lines: through rich when the stream gets colour, else as plain text. Every
    span passes through `printable` (escaping twice changes nothing), so no line can hold a
    control character whoever built it."""
    shown = [[(printable(text), style) for text, style in line] for line in shown]
    if not wants_colour(stream):
        stream.writelines("".join(text for text, _ in line) + "\n" for line in shown)
        return
    from rich.text import Text

    from flowctl.reporters.console import console as make_console

    console = make_console(file=stream, soft_wrap=True)
    for line in shown:
        console.print(Text.assemble(*line))
