"""Flow tests (`flowctl test`, DESIGN §9): cases dry-run against their expectations.

`run_suite` reads `*.flowtest.yaml` files (`spec`), validates the flow each names, dry-runs its
cases with the simulate driver, checks every expectation (`checks`) and counts the exits the
runs took (`coverage`); the result is data (`results`) for the reporters.
"""

from __future__ import annotations

from flowctl.flowtests.coverage import ExitCoverage
from flowctl.flowtests.results import CaseResult, Failure, FileReport, SuiteResult
from flowctl.flowtests.suite import run_suite

__all__ = ["CaseResult", "ExitCoverage", "Failure", "FileReport", "SuiteResult", "run_suite"]
