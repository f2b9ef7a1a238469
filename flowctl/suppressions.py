"""Silencing and re-grading diagnostics: the configuration, then inline comments.

A diagnostic is dropped when its rule is in the configuration's `ignore`, in a `per-path-ignores`
entry whose pattern matches the file, or in a `# flowctl: ignore[RULE, ...]` comment on the
diagnostic's line or on the line of the id of the node it is about. Those left get the severity
the configuration gives their rule. A comment that silences nothing for certain (bare, empty, an
unknown rule, a misspelt directive) is itself reported as `invalid-suppression`, at the comment.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from flowctl.config import Config
from flowctl.diagnostics import Diagnostic, FileResult, sorted_diagnostics
from flowctl.rules import RULES, default_severity
from flowctl.sources import STDIN_NAME
from flowctl.words import did_you_mean

MARKER = "flowctl:"
# `#` starts a YAML comment at the start of a line or after whitespace.
_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*flowctl:\s*(?P<directive>[\w-]*)(?:\[(?P<ids>[^\]]*)\])?")
_NODE_POINTER = re.compile(r"^/nodes/(?P<id>[^/]+)")


def rules_for_path(config: Config, path: str) -> frozenset[str]:
    """The rules the configuration turns off for one file: `ignore` plus matching patterns."""
    off = set(config.ignore)
    if config.per_path_ignores and path != STDIN_NAME:
        try:
            relative = Path(os.path.realpath(path)).relative_to(config.root).as_posix()
        except ValueError:  # outside the configured project: no pattern applies
            return frozenset(off)
        for pattern, rules in config.per_path_ignores:
            if pattern.fullmatch(relative):
                off |= rules
    return frozenset(off)


def inline_suppressions(result: FileResult) -> tuple[dict[int, set[str]], list[Diagnostic]]:
    """Rule ids silenced per line, and the diagnostics for comments that silence nothing."""
    by_line: dict[int, set[str]] = {}
    problems: list[Diagnostic] = []
    for number, line in enumerate(result.source.splitlines(), start=1):
        if MARKER not in line:
            continue
        for match in _COMMENT.finditer(line):
            ids = [part.strip() for part in (match["ids"] or "").split(",") if part.strip()]
            if match["directive"] == "ignore":
                by_line.setdefault(number, set()).update(ids)
            for problem in _problems(match["directive"], match["ids"], ids):
                problems.append(_at(result.path, number, match, problem))
    return by_line, problems


def _problems(directive: str, listed: str | None, ids: list[str]) -> Iterator[str]:
    if directive != "ignore":
        hint = did_you_mean(directive, ["ignore"]) or "the only directive is 'ignore[RULE, ...]'"
        yield f"unknown flowctl directive '{directive}'; {hint}"
    elif listed is None or not ids:
        yield "a suppression must name its rules: '# flowctl: ignore[RULE, ...]'"
    for rule in ids:
        if rule not in RULES:
            hint = did_you_mean(rule, RULES) or "run 'flowctl rules' to list them"
            yield f"the suppression names unknown rule '{rule}'; {hint}"


def _at(path: str, line: int, match: re.Match[str], message: str) -> Diagnostic:
    return Diagnostic(
        rule="invalid-suppression",
        severity=default_severity("invalid-suppression"),
        message=message,
        path=path,
        line=line,
        column=match.start() + 1,
        end_line=line,
        end_column=match.end() + 1,
    )


def node_lines(result: FileResult) -> dict[str, int]:
    """The line of each node's id, from a fresh load of the file (only files with comments)."""
    from flowctl.loader import load

    document = load(result.source, result.path).document
    data = document.data if document is not None else None
    nodes = data.get("nodes") if isinstance(data, Mapping) else None
    if document is None or not isinstance(nodes, Mapping):
        return {}
    return {str(node_id): document.key_span(("nodes", node_id)).line for node_id in nodes}


def _node_id(pointer: str) -> str | None:
    match = _NODE_POINTER.match(pointer)
    return match["id"].replace("~1", "/").replace("~0", "~") if match else None


def apply(result: FileResult, config: Config) -> FileResult:
    """`result` with the configuration and the file's suppression comments applied."""
    off = rules_for_path(config, result.path)
    if not off and not config.severity and MARKER not in result.source:
        return result  # the common case costs one substring search
    diagnostics = list(result.diagnostics)
    by_line: dict[int, set[str]] = {}
    node_line: dict[str, int] = {}
    if MARKER in result.source:
        by_line, problems = inline_suppressions(result)
        diagnostics.extend(problems)
        node_line = node_lines(result) if by_line else {}
    kept = []
    for diagnostic in diagnostics:
        silenced = off | by_line.get(diagnostic.line, set())
        node = _node_id(diagnostic.pointer)
        if node is not None and node in node_line:
            silenced |= by_line.get(node_line[node], set())
        if diagnostic.rule not in silenced:
            severity = config.severity.get(diagnostic.rule, diagnostic.severity)
            kept.append(dataclasses.replace(diagnostic, severity=severity))
    return dataclasses.replace(result, diagnostics=sorted_diagnostics(kept))
