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
from typing import TYPE_CHECKING

from flowctl.config.settings import Config
from flowctl.diagnostics.findings import (
    Diagnostic,
    FileResult,
    Suppressed,
    SuppressionKind,
    sorted_diagnostics,
)
from flowctl.diagnostics.rules import RULES, default_severity
from flowctl.loading.sources import STDIN_NAME
from flowctl.words import did_you_mean

if TYPE_CHECKING:
    from flowctl.loading.yaml_file import Document

# `#` starts a YAML comment at the start of a line or after a space or tab (no other whitespace:
# after a no-break space it is text). The pattern also takes near misses (no colon, capitals, a
# space before `[`, no `]`), to report them rather than silently ignore a comment its writer
# meant to suppress something.
_COMMENT = re.compile(
    r"(?:^|(?<=[ \t]))#\s*(?P<word>flowctl)(?P<colon>\s*:)?\s*(?P<directive>[\w-]*)"
    r"(?P<gap>\s*)(?:\[(?P<ids>[^\]]*)(?P<close>\])?)?",
    re.IGNORECASE,
)
_SEEN = re.compile(r"#\s*flowctl", re.IGNORECASE)  # the cheap test: any such comment at all?
_FORM = "'# flowctl: ignore[RULE, ...]'"
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
    in_scalars: _Scalars | None = None
    for number, line in enumerate(result.source.splitlines(), start=1):
        if not _SEEN.search(line):
            continue
        for match in _COMMENT.finditer(line):
            if match["colon"] is None and match["directive"].lower() != "ignore":
                continue  # prose that mentions flowctl, such as "# flowctl is run in CI"
            in_scalars = in_scalars or _Scalars(result.source)
            if in_scalars.holds(number, match.start()):
                continue  # inside a quoted or block string: text, not a comment
            ids = [part.strip() for part in (match["ids"] or "").split(",") if part.strip()]
            found = list(_problems(match, ids))
            if not found or all(problem.startswith(_UNKNOWN_RULE) for problem in found):
                by_line.setdefault(number, set()).update(ids)  # a known id still silences
            problems.extend(_at(result.path, number, match, problem) for problem in found)
    return by_line, problems


_UNKNOWN_RULE = "the suppression names unknown rule"


def _problems(match: re.Match[str], ids: list[str]) -> Iterator[str]:
    directive = match["directive"]
    if match["word"] != "flowctl":
        yield f"write 'flowctl' in lower case: {_FORM}"
    elif match["colon"] is None:
        yield f"a suppression needs a colon after 'flowctl': {_FORM}"
    elif directive != "ignore":
        hint = did_you_mean(directive, ["ignore"]) or f"the only directive is {_FORM}"
        yield f"unknown flowctl directive '{directive}'; {hint}"
    elif match["ids"] is not None and match["gap"]:
        yield f"no space may stand between 'ignore' and '[': {_FORM}"
    elif match["ids"] is not None and match["close"] is None:
        yield f"the rule list is not closed with ']': {_FORM}"
    elif match["ids"] is None or not ids:
        yield f"a suppression must name its rules: {_FORM}"
    else:
        for rule in ids:
            if rule not in RULES:
                hint = did_you_mean(rule, RULES) or "run 'flowctl rules' to list them"
                yield f"{_UNKNOWN_RULE} '{rule}'; {hint}"


class _Scalars:
    """Where the file's string values are, to tell a `#` in a comment from one in a string.

    PyYAML's scanner drops comments but reports every scalar's start and end; a file it cannot
    scan (a syntax error) has no known strings, and every `#` match counts as a comment.
    """

    def __init__(self, source: str) -> None:
        import yaml

        self._spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
        try:
            # libyaml's scanner where there is one: it reads what the loader read (tabs included).
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            for token in yaml.scan(source, Loader=loader):
                if isinstance(token, yaml.ScalarToken) and not token.plain:
                    start, end = token.start_mark, token.end_mark
                    # A block string's text starts below its `|` or `>`, whose line may end
                    # in a real comment.
                    first = (
                        (start.line + 1, 0)
                        if token.style in ("|", ">")
                        else (start.line, start.column)
                    )
                    self._spans.append((first, (end.line, end.column)))
        except yaml.YAMLError:
            pass  # keep the strings found before the error

    def holds(self, line: int, column: int) -> bool:
        """Whether 1-based `line`, 0-based `column` lies inside a quoted or block string."""
        at = (line - 1, column)
        return any(start <= at < end for start, end in self._spans)


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


def node_lines(document: Document | None) -> dict[str, int]:
    """The line of each node's id in the loaded file (None: the YAML did not load)."""
    data = document.data if document is not None else None
    nodes = data.get("nodes") if isinstance(data, Mapping) else None
    if document is None or not isinstance(nodes, Mapping):
        return {}
    return {str(node_id): document.key_span(("nodes", node_id)).line for node_id in nodes}


def _node_id(pointer: str) -> str | None:
    match = _NODE_POINTER.match(pointer)
    return match["id"].replace("~1", "/").replace("~0", "~") if match else None


def apply(result: FileResult, config: Config, document: Document | None) -> FileResult:
    """`result` with the configuration and the file's suppression comments applied; what they
    silence moves to `result.suppressed`, with the suppression that silenced it. `document` is
    the file as the validator loaded it (None when its YAML did not load)."""
    off = rules_for_path(config, result.path)
    commented = _SEEN.search(result.source) is not None
    if not off and not config.severity and not commented:
        return result  # the common case costs one substring search
    diagnostics = list(result.diagnostics)
    by_line: dict[int, set[str]] = {}
    node_line: dict[str, int] = {}
    if commented:
        by_line, problems = inline_suppressions(result)
        diagnostics.extend(problems)
        node_line = node_lines(document) if by_line else {}
    kept: list[Diagnostic] = []
    suppressed: list[Suppressed] = []
    for found in diagnostics:
        severity = config.severity.get(found.rule, found.severity)
        graded = dataclasses.replace(found, severity=severity)
        silenced_by = _suppression(graded, config, off, by_line, node_line)
        if silenced_by is None:
            kept.append(graded)
        else:
            suppressed.append(Suppressed(graded, *silenced_by))
    return dataclasses.replace(
        result,
        diagnostics=sorted_diagnostics(kept),
        suppressed=tuple(sorted(suppressed, key=lambda s: s.diagnostic.sort_key())),
    )


def _suppression(
    diagnostic: Diagnostic,
    config: Config,
    off: frozenset[str],
    by_line: dict[int, set[str]],
    node_line: dict[str, int],
) -> tuple[SuppressionKind, str] | None:
    """What silences `diagnostic`, if anything: a comment first, as the more specific."""
    rule = diagnostic.rule
    # A comment never silences the report about a suppression comment, its own included.
    if rule != "invalid-suppression":
        lines = [diagnostic.line]
        node = _node_id(diagnostic.pointer)
        if node is not None and node in node_line:
            lines.append(node_line[node])
        for line in lines:
            if rule in by_line.get(line, ()):
                return SuppressionKind.IN_SOURCE, f"'# flowctl: ignore[{rule}]' on line {line}"
    if rule not in off:
        return None
    where = f" of {config.source.name}" if config.source else ""
    setting = "ignore" if rule in config.ignore else "per-path-ignores"
    return SuppressionKind.EXTERNAL, f"'{setting}' in the configuration{where}"
