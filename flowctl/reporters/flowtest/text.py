"""`flowctl test --format text`: a line per case with ✓ or ✗, each failure in `validate`'s style
(`file:line:col: error: message [rule]`, the line with a caret) with the expected and actual
values side by side and the contact's path, the exit coverage table, and a summary.
"""

from __future__ import annotations

from flowctl.flowtests import CaseResult, FileReport, SuiteResult
from flowctl.flowtests.coverage import exit_label
from flowctl.flowtests.results import percent
from flowctl.reporters.flowtest import SuiteFormat, SuiteReporter, summary_line
from flowctl.reporters.text import Line, diagnostic_lines, write_lines

_PASS, _FAIL, _SKIP = ("✓", "green"), ("✗", "bold red"), ("-", "yellow")
_INDENT = "      "


def case_lines(case: CaseResult, lines: list[str]) -> list[Line]:
    """A case's line and, when it failed, each failure with expected, actual and path."""
    if case.run is None:
        mark, style = _SKIP
        return [
            [("  ", ""), (mark, style), (f" {case.name} (not run: see the problems above)", "")]
        ]
    mark, style = _PASS if case.passed else _FAIL
    shown: list[Line] = [[("  ", ""), (mark, style), (f" {case.name}", "")]]
    for failure in case.failures:
        shown.extend(diagnostic_lines(failure.diagnostic, lines, quiet=False))
        shown.append([(f"{_INDENT}expected: ", "dim"), (failure.expected, "green")])
        shown.append([(f"{_INDENT}actual:   ", "dim"), (failure.actual, "red")])
    if case.failures:
        shown.append([(f"{_INDENT}path:     ", "dim"), (" -> ".join(case.path) or "(none)", "")])
        if case.details:
            shown.append([(f"{_INDENT}run:", "dim")])
            shown.extend([[(f"{_INDENT}  {detail}", "dim")] for detail in case.details])
    return shown


def file_lines(report: FileReport) -> list[Line]:
    """A test file: its name and flow, its problems, its flow's diagnostics, its cases."""
    lines = report.source.splitlines()
    flow = f" (flow {report.flow})" if report.flow else ""
    shown: list[Line] = [[(report.path, "bold"), (flow, "dim")]]
    for diagnostic in report.problems:
        shown.extend(diagnostic_lines(diagnostic, lines, quiet=False))
    if report.flow_result is not None:
        flow_lines = report.flow_result.source.splitlines()
        for diagnostic in report.flow_result.diagnostics:
            shown.extend(diagnostic_lines(diagnostic, flow_lines, quiet=False))
    for case in report.cases:
        shown.extend(case_lines(case, lines))
    return shown


def coverage_lines(result: SuiteResult) -> list[Line]:
    """The table: per flow, exits covered, the percentage and the exits no case took."""
    if not result.coverage:
        return []
    width = max(len("flow"), *(len(coverage.flow) for coverage in result.coverage))
    shown: list[Line] = [
        [("exit coverage", "bold")],
        [(f"  {'flow':<{width}}  {'exits':>9}  {'covered':>7}  not taken", "dim")],
    ]
    for coverage in result.coverage:
        style = "bold red" if result.low(coverage) else "green" if not coverage.missing else ""
        exits = f"{coverage.covered}/{len(coverage.exits)}"
        missing = ", ".join(f"{node} -> {exit_label(exit_)}" for node, exit_ in coverage.missing)
        row = f"  {coverage.flow:<{width}}  {exits:>9}  "
        shown.append(
            [(row, ""), (f"{percent(coverage.percent):>7}", style), (f"  {missing or '-'}", "")]
        )
    return shown


class TextSuiteReporter(SuiteReporter):
    """For people at a terminal."""

    name = SuiteFormat.TEXT

    def report(self, result: SuiteResult) -> None:
        shown: list[Line] = []
        for report in result.files:
            shown.extend(file_lines(report))
        shown.extend(coverage_lines(result))
        for diagnostic in result.coverage_failures():
            shown.extend(diagnostic_lines(diagnostic, [], quiet=True))
        shown.append([(summary_line(result), "green" if result.passed else "bold red")])
        write_lines(self.stream, shown)
