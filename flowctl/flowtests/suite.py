"""Run flow test files: read each, validate its flow, dry-run its cases, check, count exits.

Each flow is read and validated once however many test files name it, with the project's
configuration, as `flowctl validate` would; a flow that does not pass fails every test file
that names it. Nothing here raises for a bad test file: its problems are diagnostics.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from flowctl.config.settings import Config
from flowctl.diagnostics.findings import FileResult, Finding, sorted_diagnostics
from flowctl.engine.plan import LoadedFlow, PreparedFlow, load_flow
from flowctl.engine.trace import Run
from flowctl.errors import InputError
from flowctl.flowtests.checks import Mismatch, mismatches
from flowctl.flowtests.coverage import ExitCoverage, flow_exits, taken_exits
from flowctl.flowtests.details import failure_details
from flowctl.flowtests.references import unknown_references
from flowctl.flowtests.results import CaseResult, Failure, FileReport, SuiteResult
from flowctl.flowtests.spec import RULE, Case, read_spec
from flowctl.loading.sources import STDIN, TEST_FILES, display_name, expand, read_input
from flowctl.loading.yaml_file import Document, load
from flowctl.simulate import walk
from flowctl.validation import Validator, locate
from flowctl.validation.flow_file import read_flow

FAILED_RULE = "test-failed"


@dataclass
class Flows:
    """The flows the test files name, each read and validated once, and the runs of each.

    One per suite: test files that name the same flow share its verdict and its coverage."""

    config: Config
    validator: Validator
    loaded: dict[str, LoadedFlow | InputError] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # real path -> the first name used
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def get(self, name: str) -> LoadedFlow | InputError:
        key = os.path.realpath(name)
        if key not in self.loaded:
            self.names[key] = name
            try:
                source = read_flow(name, self.validator.limits)
                self.loaded[key] = load_flow(source, name, self.config, self.validator)
            except InputError as exc:
                self.loaded[key] = exc
        return self.loaded[key]

    def record(self, name: str, runs: list[Run]) -> None:
        """Count a test file's runs (maybe none) towards its flow's coverage."""
        self.runs.setdefault(os.path.realpath(name), []).extend(runs)

    def coverage(self) -> tuple[ExitCoverage, ...]:
        found = []
        for key, runs in self.runs.items():
            loaded = self.loaded[key]
            if isinstance(loaded, LoadedFlow) and loaded.checked.data is not None:
                exits = flow_exits(loaded.checked.data, loaded.checked.registry)
                found.append(ExitCoverage(self.names[key], exits, taken_exits(runs)))
        return tuple(found)


def run_suite(
    paths: Sequence[str],
    config: Config,
    validator: Validator,
    min_coverage: float | None = None,
) -> SuiteResult:
    """Run every case of the test files `paths` name (files, directories, globs, `-`), their
    flows checked by `validator` with `config`."""
    inputs = expand(paths, TEST_FILES)
    flows = Flows(config, validator)
    reports = []
    for path in inputs.files:
        try:
            source = read_input(path, validator.limits.max_bytes)
        except InputError as exc:
            inputs.problems.append(str(exc))
            continue
        reports.append(run_file(source, display_name(path), flows))
    return SuiteResult(tuple(reports), flows.coverage(), min_coverage, tuple(inputs.problems))


def run_file(source: str | bytes, name: str, flows: Flows) -> FileReport:
    """One test file's report; `name` is the path shown (and the base of relative paths)."""
    loaded = load(source, name, flows.validator.limits)
    document = loaded.document
    if document is None:
        text = source if isinstance(source, str) else source.decode("utf-8", "replace")
        return FileReport(name, text, None, sorted_diagnostics(loaded.diagnostics))
    base = PurePath() if name == display_name(STDIN) else PurePath(name).parent
    spec = read_spec(document.data, base)
    findings = list(spec.findings)
    runs: dict[str, tuple[Case, Run]] = {}
    flow_name = flow_result = prepared = None
    if spec.flow is not None:
        flow_name = os.path.normpath(base / spec.flow)
        flow_result, prepared = _usable(flows.get(flow_name), flow_name, findings)
        if prepared is not None:
            for case in spec.cases:
                wrong = list(unknown_references(case, prepared))
                findings.extend(wrong)
                if not wrong:
                    runs[case.name] = (case, walk(prepared, case.contact, case.now, case.seed))
            flows.record(flow_name, [run for _, run in runs.values()])
    problems = sorted_diagnostics(locate(document, finding) for finding in findings)
    cases = tuple(_results(document, runs, prepared))
    return FileReport(name, document.text, flow_name, problems, flow_result, cases)


def _usable(
    loaded: LoadedFlow | InputError, name: str, findings: list[Finding]
) -> tuple[FileResult | None, PreparedFlow | None]:
    """The flow's diagnostics to show, and the flow when its cases can run; else a finding."""
    if isinstance(loaded, InputError):
        findings.append(Finding(RULE, f"cannot read the flow: {loaded}", ("flow",)))
        return None, None
    shown = loaded.checked.shown()
    if loaded.flow is None:
        errors = shown.errors
        why = (
            f"{errors} error{'' if errors == 1 else 's'}" if errors else "strict: warnings fail it"
        )
        message = f"the flow {name} is invalid ({why}); its cases cannot run"
        findings.append(Finding(RULE, message, ("flow",), f"run 'flowctl validate {name}'"))
    return (shown if shown.diagnostics else None), loaded.flow


def _results(
    document: Document, runs: dict[str, tuple[Case, Run]], flow: PreparedFlow | None
) -> Iterator[CaseResult]:
    """Every case of the file, in file order; those that could not run have no run."""
    cases = document.data.get("cases") if isinstance(document.data, Mapping) else None
    for name in cases if isinstance(cases, Mapping) else ():
        span = document.key_span(("cases", name))
        if name not in runs:
            yield CaseResult(name, span.line, span.column, None)
            continue
        case, run = runs[name]
        found = (_failure(document, case, m) for m in mismatches(case, run))
        failures = tuple(sorted(found, key=lambda failure: failure.diagnostic.sort_key()))
        details: tuple[str, ...] = ()
        if failures and flow is not None:
            details = failure_details(flow, case, run)
        yield CaseResult(name, span.line, span.column, run, failures, details)


def _failure(document: Document, case: Case, mismatch: Mismatch) -> Failure:
    """A mismatch as a `test-failed` diagnostic at its expectation."""
    message = f"case '{case.name}': {mismatch.what} {mismatch.verb}"
    finding = Finding(FAILED_RULE, message, mismatch.where, at_key=mismatch.at_key)
    return Failure(locate(document, finding), mismatch.expected, mismatch.actual)
