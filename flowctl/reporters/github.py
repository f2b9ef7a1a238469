"""`--format github`: GitHub Actions workflow commands, one annotation per diagnostic.

`::error file=F,line=L,endLine=L,col=C,endColumn=E,title=RULE::MESSAGE` puts the annotation on
the offending line of a pull request's diff. GitHub accepts columns only for a span on one line,
so a span over several lines keeps its lines and drops its columns; `endColumn` is inclusive,
where flowctl's end column points just past the span.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowctl.diagnostics.findings import Diagnostic, FileResult
from flowctl.reporters import Format, Reporter, Summary, summary_line, with_hint


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF would end or corrupt the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: also `:` and `,`, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(diagnostic: Diagnostic) -> str:
    """The workflow command for one diagnostic."""
    end_line = diagnostic.end_line or diagnostic.line
    properties = {
        "file": diagnostic.path.replace("\\", "/"),
        "line": str(diagnostic.line),
        "endLine": str(end_line),
    }
    if end_line == diagnostic.line:
        properties["col"] = str(diagnostic.column)
        end_column = (diagnostic.end_column or diagnostic.column + 1) - 1
        properties["endColumn"] = str(max(end_column, diagnostic.column))
    properties["title"] = diagnostic.rule
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{diagnostic.severity} {listed}::{escape_data(with_hint(diagnostic))}"


class GithubReporter(Reporter):
    """Annotations for GitHub Actions (warnings are `::warning`), then the summary for the log."""

    name = Format.GITHUB

    def report(self, results: Sequence[FileResult]) -> None:
        for result in results:
            for diagnostic in result.diagnostics:
                self.stream.write(command(diagnostic) + "\n")
        for problem in self.unreadable:  # no file to put it on: an annotation of the run
            self.stream.write(f"::error title=flowctl::{escape_data(problem)}\n")
        if not self.options.quiet:
            summary = Summary.of(results, self.options)
            self.stream.write(summary_line(summary, len(self.unreadable)) + "\n")
