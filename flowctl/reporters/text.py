"""`--format text`: actionlint-style `file:line:col: severity: message [rule]`, the source line
with a caret under the problem, the hint, and a summary. Colour only on a terminal without
NO_COLOR (rich decides)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from flowctl.diagnostics import Diagnostic, FileResult
from flowctl.reporters import Format, Reporter, Summary

_STYLES = {"error": "bold red", "warning": "bold yellow"}


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def excerpt(diagnostic: Diagnostic, lines: list[str]) -> Text | None:
    """The offending source line with a caret run under the span."""
    if not 1 <= diagnostic.line <= len(lines):
        return None
    source = lines[diagnostic.line - 1].expandtabs(1)
    gutter = f"{diagnostic.line:>5} | "
    start = max(diagnostic.column - 1, 0)
    same_line = diagnostic.end_line == diagnostic.line and diagnostic.end_column
    width = (diagnostic.end_column or 0) - diagnostic.column if same_line else 1
    width = max(1, min(width, len(source) - start)) if start < len(source) else 1
    text = Text(gutter, style="dim")
    text.append(source)
    text.append("\n" + " " * (len(gutter) - 2) + "| ", style="dim")
    text.append(" " * start + "^" + "~" * (width - 1), style=_STYLES[str(diagnostic.severity)])
    return text


class TextReporter(Reporter):
    """For people at a terminal."""

    name = Format.TEXT

    def report(self, results: Sequence[FileResult]) -> None:
        console = Console(file=self.stream, highlight=False, soft_wrap=True, emoji=False)
        for result in results:
            lines = result.source.splitlines()
            for diagnostic in result.diagnostics:
                self._diagnostic(console, diagnostic, lines)
        if not self.options.quiet:
            console.print(self._summary(Summary.of(results, self.options)))

    def _diagnostic(self, console: Console, diagnostic: Diagnostic, lines: list[str]) -> None:
        severity = str(diagnostic.severity)
        line = Text(f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: ", style="bold")
        line.append(f"{severity}: ", style=_STYLES[severity])
        line.append(diagnostic.message)
        line.append(f" [{diagnostic.rule}]", style="cyan")
        console.print(line)
        if not self.options.quiet:
            shown = excerpt(diagnostic, lines)
            if shown is not None:
                console.print(shown)
        if diagnostic.hint:
            console.print(Text(f"      hint: {diagnostic.hint}", style="green"))

    def _summary(self, summary: Summary) -> Text:
        problems = plural(summary.errors, "error") + ", " + plural(summary.warnings, "warning")
        if summary.valid == summary.files:
            words = f"{plural(summary.files, 'file')} valid"
            return Text(f"✓ {words} ({problems})" if summary.warnings else f"✓ {words}", "green")
        invalid = summary.files - summary.valid
        return Text(
            f"✗ {problems} in {plural(summary.files, 'file')} ({invalid} invalid)", "bold red"
        )
