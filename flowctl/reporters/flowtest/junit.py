"""`flowctl test --format junit`: JUnit XML, as GitHub (test-reporter actions), GitLab (`junit`
artifacts) and Jenkins (the JUnit plugin) read it.

One `<testsuite>` per test file and one `<testcase>` per case; `classname` is the test file,
so CI groups cases by file. A failed case has one `<failure>` whose message is the first broken
expectation and whose text lists them all with their lines; a case that could not run, and a
test file or flow that is invalid, is an `<error>`. Flows under `--min-coverage` get a suite of
their own, one failing case per flow. No `time` attributes: a dry run's speed is not a result.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from flowctl.diagnostics.findings import Diagnostic, json_pointer
from flowctl.flowtests import CaseResult, FileReport, SuiteResult
from flowctl.reporters import with_hint
from flowctl.reporters.flowtest import SuiteFormat, SuiteReporter

# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("?", text)


def located(diagnostic: Diagnostic) -> str:
    """`file:line:col: message [rule]`, as in the text report."""
    where = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}"
    return f"{where}: {with_hint(diagnostic)} [{diagnostic.rule}]"


def _testcase(parent: ET.Element, report: FileReport, case: CaseResult) -> None:
    element = ET.SubElement(
        parent, "testcase", name=_clean(case.name), classname=_clean(report.path)
    )
    element.set("file", _clean(report.path))
    element.set("line", str(case.line))
    if case.run is None:
        message = "the case could not run: the test file has problems"
        error = ET.SubElement(element, "error", message=message, type="test-invalid")
        own = json_pointer(("cases", case.name))
        problems = [d for d in report.problems if d.pointer.startswith(own)] or report.problems
        error.text = _clean("\n".join(located(d) for d in problems))
        return
    if case.passed:
        return
    first = case.failures[0]
    failure = ET.SubElement(
        element, "failure", message=_clean(first.one_line().message), type="test-failed"
    )
    lines = [
        f"{located(f.diagnostic)}\n  expected: {f.expected}\n  actual:   {f.actual}"
        for f in case.failures
    ]
    lines.append(f"path: {' -> '.join(case.path)}")
    lines.extend(f"  {detail}" for detail in case.details)
    failure.text = _clean("\n".join(lines))


def _file_suite(parent: ET.Element, report: FileReport) -> ET.Element:
    suite = ET.SubElement(parent, "testsuite", name=_clean(report.path))
    suite.set("file", _clean(report.path))
    problems = [d for d in report.problems if d.is_error]
    if report.flow_result is not None:
        problems += [d for d in report.flow_result.diagnostics if d.is_error]
    if problems and not report.cases:
        # A file that could not be read into cases still shows up, as one broken case.
        element = ET.SubElement(
            suite, "testcase", name="(test file)", classname=_clean(report.path)
        )
        element.set("file", _clean(report.path))
        error = ET.SubElement(element, "error", message=_clean(problems[0].message))
        error.set("type", problems[0].rule)
        error.text = _clean("\n".join(located(d) for d in problems))
    for case in report.cases:
        _testcase(suite, report, case)
    _count(suite)
    return suite


def _count(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", "0")


class JunitSuiteReporter(SuiteReporter):
    """JUnit XML for CI test reports."""

    name = SuiteFormat.JUNIT

    def report(self, result: SuiteResult) -> None:
        root = ET.Element("testsuites", name="flowctl test")
        for report in result.files:
            _file_suite(root, report)
        low = result.coverage_failures()
        if low:
            suite = ET.SubElement(root, "testsuite", name="exit coverage")
            for diagnostic in low:
                element = ET.SubElement(
                    suite, "testcase", name=diagnostic.path, classname="exit coverage"
                )
                failure = ET.SubElement(element, "failure", message=_clean(diagnostic.message))
                failure.set("type", diagnostic.rule)
            _count(suite)
        for key in ("tests", "failures", "errors"):
            root.set(key, str(sum(int(s.get(key, "0")) for s in root.findall("testsuite"))))
        ET.indent(root)
        self.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.stream.write(ET.tostring(root, encoding="unicode") + "\n")
