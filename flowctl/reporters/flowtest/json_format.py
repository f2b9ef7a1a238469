"""`flowctl test --format json`: one object with every file, case, failure and flow's coverage.

Failures are `validate`'s diagnostic objects (DESIGN §6) with `expected` and `actual` added;
exits are `{"node", "exit"}`, `exit` null for a node's single exit, as in a trace.
"""

from __future__ import annotations

import json
from typing import Any

from flowctl.flowtests import CaseResult, ExitCoverage, FileReport, SuiteResult
from flowctl.reporters.flowtest import SuiteFormat, SuiteReporter


def case_json(case: CaseResult) -> dict[str, Any]:
    return {
        "name": case.name,
        "line": case.line,
        "column": case.column,
        "ran": case.run is not None,
        "passed": case.passed,
        "status": None if case.run is None else case.run.status,
        "path": list(case.path),
        "failures": [
            {**failure.one_line().to_dict(), "expected": failure.expected, "actual": failure.actual}
            for failure in case.failures
        ],
        "details": list(case.details),
    }


def file_json(report: FileReport) -> dict[str, Any]:
    flow_diagnostics = report.flow_result.diagnostics if report.flow_result else ()
    return {
        "path": report.path,
        "flow": report.flow,
        "valid": report.valid,
        "passed": report.passed,
        "diagnostics": [d.to_dict() for d in report.problems],
        "flow_diagnostics": [d.to_dict() for d in flow_diagnostics],
        "cases": [case_json(case) for case in report.cases],
    }


def coverage_json(coverage: ExitCoverage, result: SuiteResult) -> dict[str, Any]:
    return {
        "flow": coverage.flow,
        "exits": len(coverage.exits),
        "covered": coverage.covered,
        "percent": round(coverage.percent, 2),
        "below_minimum": result.low(coverage),
        "missing": [{"node": node, "exit": exit_} for node, exit_ in coverage.missing],
    }


class JsonSuiteReporter(SuiteReporter):
    """Machine-readable output for scripts and CI."""

    name = SuiteFormat.JSON

    def report(self, result: SuiteResult) -> None:
        document = {
            "files": [file_json(report) for report in result.files],
            "coverage": [coverage_json(coverage, result) for coverage in result.coverage],
            "summary": {
                "files": len(result.files),
                "invalid_files": sum(1 for report in result.files if not report.valid),
                "cases": result.cases,
                "passed": result.cases - result.failed - result.not_run,
                "failed": result.failed,
                "not_run": result.not_run,
                "min_coverage": result.min_coverage,
                "passed_all": result.passed,
            },
        }
        self.stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
