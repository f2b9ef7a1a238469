"""`--format sarif`: SARIF 2.1.0 for code scanning (GitHub's upload-sarif, GitLab, IDEs).

The run's driver lists every rule of the catalogue as a `reportingDescriptor`: the summary,
explanation and example `flowctl rules` prints, a readable `name`, a `helpUri` into
docs/validation.md, and the `tags`, `precision` and `problem.severity` code scanning sorts by.
Each diagnostic is a result pointing at its rule by id and index, at its file by a relative URI
with forward slashes, and at its region; a duplicate key's first copy is a related location.
Diagnostics that a suppression silenced stay in the log with a SARIF `suppressions` entry, so a
dashboard shows them as suppressed rather than fixed. The invocation says whether the run
succeeded: a PATH that named nothing readable makes it fail, with a notification.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flowctl import HOMEPAGE, RULES_DOC, __version__
from flowctl.diagnostics.findings import Diagnostic, FileResult, Related, Suppressed
from flowctl.diagnostics.rules import RULES, Rule
from flowctl.reporters import Format, Reporter, exit_code, with_hint

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: The key of the fingerprint that stays put when lines move (GitHub adds its own line hash).
FINGERPRINT = "flowctlRulePointer/v1"

# What each rule is about, for filtering in code scanning; every rule is in exactly one group.
_TAGS: dict[str, tuple[str, ...]] = {
    "yaml": ("yaml-syntax", "duplicate-key", "yaml-limits", "yaml-boolean"),
    "schema": ("schema", "unknown-node-type"),
    "graph": (
        "missing-start",
        "dangling-edge",
        "missing-exit",
        "unknown-exit",
        "cycle",
        "unreachable-node",
    ),
    "config": (
        "split-percentages",
        "invalid-condition",
        "invalid-duration",
        "invalid-reference",
        "invalid-timezone",
    ),
    "decision": ("shadowed-case", "contradiction", "unreachable-goal", "useless-delay"),
    "test": ("test-failed", "test-invalid", "test-coverage"),
    "suppression": ("invalid-suppression",),
    "plugin": ("plugin-check-failed",),
}
RULE_TAGS = {rule: tag for tag, rules in _TAGS.items() for rule in rules}
# Every rule is exact (no heuristics) except the YAML 1.1 boolean warning: the word may be a
# boolean on purpose.
_PRECISION = {"yaml-boolean": "high"}


def artifact_uri(path: str) -> str:
    """A relative URI for a path as the user gave it; absolute only outside the working dir."""
    location = Path(path)
    if location.is_absolute():
        try:
            location = location.relative_to(Path.cwd())
        except ValueError:
            return location.as_uri()
    return quote(os.path.normpath(location).replace(os.sep, "/"))


def rule_name(rule_id: str) -> str:
    """SARIF's readable rule name: `duplicate-key` is `DuplicateKey`."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as SARIF `reportingDescriptor`: what it checks, why, an example, where to read."""
    return {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.explanation}\n\nExample:\n{rule.example}",
            "markdown": f"{rule.explanation}\n\nExample:\n\n```yaml\n{rule.example}\n```",
        },
        "helpUri": f"{RULES_DOC}#{rule.id}",
        "defaultConfiguration": {"level": str(rule.severity)},
        "properties": {
            "tags": ["flowctl", RULE_TAGS[rule.id]],
            "precision": _PRECISION.get(rule.id, "very-high"),
            "problem.severity": str(rule.severity),
        },
    }


def plugin_descriptor(rule_id: str) -> dict[str, Any]:
    """A rule id only a plugin knows: no documentation, but a name and tags all the same."""
    return {"id": rule_id, "name": rule_name(rule_id), "properties": {"tags": ["plugin"]}}


def region(place: Diagnostic | Related) -> dict[str, int]:
    found = {"startLine": place.line, "startColumn": place.column}
    if place.end_line is not None and place.end_column is not None:
        found["endLine"] = place.end_line
        found["endColumn"] = place.end_column
    return found


def fingerprints(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """One stable digest per diagnostic: its rule, file and JSON pointer, and how many of the
    same came before it, so an alert keeps its identity when lines above it move."""
    seen: dict[tuple[str, str, str], int] = {}
    found = []
    for diagnostic in diagnostics:
        key = (diagnostic.rule, diagnostic.path.replace("\\", "/"), diagnostic.pointer)
        seen[key] = seen.get(key, 0) + 1
        text = "\0".join((*key, str(seen[key])))
        found.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])
    return found


class SarifReporter(Reporter):
    """One SARIF log with one run; results in file and reading order, suppressed ones last."""

    name = Format.SARIF

    def report(self, results: Sequence[FileResult]) -> None:
        entries: list[tuple[Diagnostic, Suppressed | None]] = [
            (d, None) for result in results for d in result.diagnostics
        ]
        entries += [(s.diagnostic, s) for result in results for s in result.suppressed]
        rule_ids = list(RULES)
        # A plugin may report a rule id of its own: it gets a bare descriptor, so that every
        # result's ruleIndex points at a descriptor.
        rule_ids += sorted({d.rule for d, _ in entries} - set(RULES))
        index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
        rules = [descriptor(RULES[r]) if r in RULES else plugin_descriptor(r) for r in rule_ids]
        prints = fingerprints([d for d, _ in entries])
        driver = {
            "name": "flowctl",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": HOMEPAGE,
            "rules": rules,
        }
        log = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": driver},
                    "invocations": [self._invocation(results)],
                    "columnKind": "unicodeCodePoints",
                    "results": [
                        self._result(d, index[d.rule], fingerprint, suppressed)
                        for (d, suppressed), fingerprint in zip(entries, prints, strict=True)
                    ],
                }
            ],
        }
        self.stream.write(json.dumps(log, indent=2, ensure_ascii=False) + "\n")

    def _invocation(self, results: Sequence[FileResult]) -> dict[str, Any]:
        """Whether flowctl could check everything it was given; invalid flows are a success."""
        code = exit_code(results, self.unreadable, self.options)
        return {
            "executionSuccessful": not self.unreadable,
            "exitCode": code,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": problem}} for problem in self.unreadable
            ],
        }

    @staticmethod
    def _result(
        diagnostic: Diagnostic, rule_index: int, fingerprint: str, suppressed: Suppressed | None
    ) -> dict[str, Any]:
        uri = {"uri": artifact_uri(diagnostic.path)}
        location = {"artifactLocation": uri, "region": region(diagnostic)}
        found: dict[str, Any] = {
            "ruleId": diagnostic.rule,
            "ruleIndex": rule_index,
            "level": str(diagnostic.severity),
            "message": {"text": with_hint(diagnostic)},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {FINGERPRINT: fingerprint},
        }
        if diagnostic.related:
            found["relatedLocations"] = [
                {
                    "id": number,
                    "physicalLocation": {"artifactLocation": uri, "region": region(place)},
                    "message": {"text": place.message},
                }
                for number, place in enumerate(diagnostic.related, start=1)
            ]
        if suppressed is not None:
            found["suppressions"] = [
                {
                    "kind": str(suppressed.kind),
                    "status": "accepted",
                    "justification": suppressed.justification,
                }
            ]
        return found
