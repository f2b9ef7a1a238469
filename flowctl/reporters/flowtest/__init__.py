"""Reporters for `flowctl test`: a suite's results rendered as text, JSON, JUnit XML or GitHub
annotations. Each format is a `SuiteReporter` subclass, picked by name from `suite_reporters()`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, TextIO

from flowctl.reporters import plural

if TYPE_CHECKING:  # the command line imports SuiteFormat at start-up; the results only later
    from flowctl.flowtests import SuiteResult


class SuiteFormat(StrEnum):
    """The output formats of `flowctl test`."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"


class SuiteReporter:
    """Base of the formats: renders one `SuiteResult` to a stream."""

    name: ClassVar[SuiteFormat]

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def report(self, result: SuiteResult) -> None:
        raise NotImplementedError


def summary_line(result: SuiteResult) -> str:
    """`✓ 12 cases passed in 5 files`, or what failed: cases, files, flows under the minimum."""
    files = plural(len(result.files), "file")
    if result.passed:
        return f"✓ {plural(result.cases, 'case')} passed in {files}"
    parts = []
    if result.failed:
        parts.append(f"{result.failed:,} of {plural(result.cases, 'case')} failed")
    if result.not_run:
        parts.append(f"{result.not_run:,} of {plural(result.cases, 'case')} not run")
    invalid = sum(1 for report in result.files if not report.valid)
    if invalid:
        parts.append(f"{plural(invalid, 'test file')} invalid")
    low = sum(1 for coverage in result.coverage if result.low(coverage))
    if low:
        parts.append(f"{plural(low, 'flow')} below the minimum exit coverage")
    return f"✗ {', '.join(parts)} ({files})"


def suite_reporters() -> dict[SuiteFormat, type[SuiteReporter]]:
    """Formats by name, sorted; each format stays its own module."""
    from flowctl.reporters.flowtest.github import GithubSuiteReporter
    from flowctl.reporters.flowtest.json_format import JsonSuiteReporter
    from flowctl.reporters.flowtest.junit import JunitSuiteReporter
    from flowctl.reporters.flowtest.text import TextSuiteReporter

    found: list[type[SuiteReporter]] = [
        GithubSuiteReporter,
        JsonSuiteReporter,
        JunitSuiteReporter,
        TextSuiteReporter,
    ]
    return {cls.name: cls for cls in sorted(found, key=lambda cls: cls.name)}
