"""`flowctl test --format github`: GitHub Actions annotations on each broken expectation's line
(expected and actual in the message), on each problem of a test file or its flow, and on each
flow under `--min-coverage`; then the summary for the log.
"""

from __future__ import annotations

from flowctl.flowtests import SuiteResult
from flowctl.reporters.flowtest import SuiteFormat, SuiteReporter, summary_line
from flowctl.reporters.github import command


class GithubSuiteReporter(SuiteReporter):
    """Annotations for a pull request's diff."""

    name = SuiteFormat.GITHUB

    def report(self, result: SuiteResult) -> None:
        for report in result.files:
            diagnostics = [*report.problems]
            if report.flow_result is not None:
                diagnostics.extend(report.flow_result.diagnostics)
            diagnostics.extend(f.one_line() for case in report.cases for f in case.failures)
            for diagnostic in diagnostics:
                self.stream.write(command(diagnostic) + "\n")
        for diagnostic in result.coverage_failures():
            self.stream.write(command(diagnostic) + "\n")
        self.stream.write(summary_line(result) + "\n")
