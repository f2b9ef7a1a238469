"""`--format sarif`: SARIF 2.1.0 for code scanning (GitHub's upload-sarif, GitLab, IDEs).

The run's driver lists every rule of the catalogue as a `reportingDescriptor`, with the same
summary, explanation and example `flowctl rules` prints. Each diagnostic is a result pointing at
its rule by id and index, at its file by a relative URI with forward slashes, and at its region.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flowctl import __version__
from flowctl.diagnostics.findings import Diagnostic, FileResult
from flowctl.diagnostics.rules import RULES, Rule
from flowctl.reporters import Format, Reporter, with_hint

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def artifact_uri(path: str) -> str:
    """A relative URI for a path as the user gave it; absolute only outside the working dir."""
    location = Path(path)
    if location.is_absolute():
        try:
            location = location.relative_to(Path.cwd())
        except ValueError:
            return location.as_uri()
    return quote(os.path.normpath(location).replace(os.sep, "/"))


def descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as SARIF `reportingDescriptor`: what it checks, why, and an example."""
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.explanation}\n\nExample:\n{rule.example}",
            "markdown": f"{rule.explanation}\n\nExample:\n\n```yaml\n{rule.example}\n```",
        },
        "defaultConfiguration": {"level": str(rule.severity)},
    }


def region(diagnostic: Diagnostic) -> dict[str, int]:
    found = {"startLine": diagnostic.line, "startColumn": diagnostic.column}
    if diagnostic.end_line is not None and diagnostic.end_column is not None:
        found["endLine"] = diagnostic.end_line
        found["endColumn"] = diagnostic.end_column
    return found


class SarifReporter(Reporter):
    """One SARIF log with one run; results in file and reading order."""

    name = Format.SARIF

    def report(self, results: Sequence[FileResult]) -> None:
        diagnostics = [d for result in results for d in result.diagnostics]
        rule_ids = list(RULES)
        # A plugin may report a rule id of its own: it gets a bare descriptor, so that every
        # result's ruleIndex points at a descriptor.
        rule_ids += sorted({d.rule for d in diagnostics} - set(RULES))
        index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
        rules = [descriptor(RULES[r]) if r in RULES else {"id": r} for r in rule_ids]
        log = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "flowctl", "version": __version__, "rules": rules}},
                    "columnKind": "unicodeCodePoints",
                    "results": [self._result(d, index[d.rule]) for d in diagnostics],
                }
            ],
        }
        self.stream.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")

    @staticmethod
    def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
        location = {
            "artifactLocation": {"uri": artifact_uri(diagnostic.path)},
            "region": region(diagnostic),
        }
        return {
            "ruleId": diagnostic.rule,
            "ruleIndex": rule_index,
            "level": str(diagnostic.severity),
            "message": {"text": with_hint(diagnostic)},
            "locations": [{"physicalLocation": location}],
        }
