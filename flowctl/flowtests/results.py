"""What `flowctl test` found: per case, per test file, per flow, and the verdict over them all.

Plain data for the reporters: failures are `test-failed` diagnostics (placed at the
expectation in the test file) with the expected and actual values beside them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from flowctl.diagnostics.findings import Diagnostic, FileResult, Severity
from flowctl.engine.trace import Run
from flowctl.errors import ExitCode
from flowctl.flowtests.coverage import ExitCoverage, exit_label

COVERAGE_RULE = "test-coverage"


def percent(value: float) -> str:
    """`100%`, `87.5%`, `66.6%`: rounded down to one decimal (99.96 is not 100%), without a
    trailing `.0`."""
    return f"{math.floor(value * 10) / 10:.1f}".removesuffix(".0") + "%"


@dataclass(frozen=True, slots=True)
class Failure:
    """One expectation a case's run broke."""

    diagnostic: Diagnostic  # rule `test-failed`, at the expectation
    expected: str
    actual: str

    def one_line(self) -> Diagnostic:
        """The diagnostic with expected and actual in its message, for one-line formats."""
        message = f"{self.diagnostic.message}: expected {self.expected}, got {self.actual}"
        return dataclasses.replace(self.diagnostic, message=message)


@dataclass(frozen=True)
class CaseResult:
    """One case: its run (None when the case could not run) and what it broke."""

    name: str
    line: int  # of the case's name in the test file
    column: int
    run: Run | None
    failures: tuple[Failure, ...] = ()
    details: tuple[str, ...] = ()  # more lines about a failing run (see `details.py`)

    @property
    def passed(self) -> bool:
        return self.run is not None and not self.failures

    @property
    def path(self) -> tuple[str, ...]:
        """The nodes the contact went through."""
        return () if self.run is None else tuple(step.node.id for step in self.run.steps)


@dataclass(frozen=True)
class FileReport:
    """One test file: its problems, its flow's verdict, its cases.

    `problems` holds the test file's own diagnostics (YAML, `test-invalid`); `flow_result` the
    flow's diagnostics as `flowctl validate` reports them, when there are some to show.
    Cases spoilt by a problem are listed as not run (`run` None).
    """

    path: str
    source: str
    flow: str | None  # the flow file, relative to the working directory
    problems: tuple[Diagnostic, ...] = ()
    flow_result: FileResult | None = None
    cases: tuple[CaseResult, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the test file and its flow could be used: no error stands in the way."""
        return not any(d.is_error for d in self.problems)

    @property
    def failed(self) -> int:
        """Cases that ran and broke an expectation."""
        return sum(1 for case in self.cases if case.run is not None and case.failures)

    @property
    def not_run(self) -> int:
        """Cases a problem of the test file or its flow kept from running."""
        return sum(1 for case in self.cases if case.run is None)

    @property
    def passed(self) -> bool:
        return self.valid and not self.failed and not self.not_run

    def as_file_result(self) -> FileResult:
        """The test file's problems and failures, as `validate`'s reporters take them."""
        failures = [f.diagnostic for case in self.cases for f in case.failures]
        return FileResult(self.path, (*self.problems, *failures), self.source)


@dataclass(frozen=True)
class SuiteResult:
    """Everything `flowctl test` ran, the coverage of each flow, and the input problems."""

    files: tuple[FileReport, ...]
    coverage: tuple[ExitCoverage, ...]
    min_coverage: float | None = None
    problems: tuple[str, ...] = ()  # unreadable inputs, paths that name nothing: exit 2

    @property
    def cases(self) -> int:
        return sum(len(report.cases) for report in self.files)

    @property
    def failed(self) -> int:
        return sum(report.failed for report in self.files)

    @property
    def not_run(self) -> int:
        return sum(report.not_run for report in self.files)

    def low(self, coverage: ExitCoverage) -> bool:
        """Whether a flow's coverage is below `--min-coverage`."""
        return self.min_coverage is not None and coverage.percent < self.min_coverage

    def coverage_failures(self) -> tuple[Diagnostic, ...]:
        """A `test-coverage` diagnostic for each flow below `--min-coverage`, at its file."""
        return tuple(
            Diagnostic(
                COVERAGE_RULE,
                Severity.ERROR,
                f"exit coverage of {coverage.flow} is {percent(coverage.percent)}, below "
                f"--min-coverage {percent(self.min_coverage or 0)}; no case took "
                + ", ".join(f"{node} -> {exit_label(exit_)}" for node, exit_ in coverage.missing),
                coverage.flow,
                1,
                1,
            )
            for coverage in self.coverage
            if self.low(coverage)
        )

    @property
    def passed(self) -> bool:
        files_pass = all(report.passed for report in self.files)
        return files_pass and not any(self.low(coverage) for coverage in self.coverage)

    @property
    def exit_code(self) -> int:
        """DESIGN §9: 2 an input could not be read; 1 a case, a file or coverage failed."""
        if self.problems:
            return ExitCode.ERROR
        return ExitCode.OK if self.passed else ExitCode.FAILED
