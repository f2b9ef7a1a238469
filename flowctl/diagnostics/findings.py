"""Problems found in user files: data, never exceptions.

A check yields `Finding`s, located by their path inside the document; the validator turns each
one into a `Diagnostic` by looking the path up in the document's position map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PathPart = str | int
Path = tuple[PathPart, ...]


class Severity(StrEnum):
    """How much a diagnostic matters: errors make a flow invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


def json_pointer(path: Sequence[PathPart]) -> str:
    """RFC 6901 pointer for a path: ``("nodes", "a/b", 0)`` -> ``/nodes/a~1b/0``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem located by its path in the document; the validator adds file and position.

    `at_key` points the position at the mapping key of `path` instead of its value (an unknown
    field is best shown at its name).
    """

    rule: str
    message: str
    path: Path = ()
    hint: str | None = None
    at_key: bool = False
    severity: Severity | None = None  # None: the rule's default severity


@dataclass(frozen=True, slots=True)
class Related:
    """Another place in the same file that explains a diagnostic (a duplicate key's first copy)."""

    message: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file, ready for a reporter."""

    rule: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    pointer: str = ""
    hint: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[int, int, str, str, str, str]:
        return (self.line, self.column, self.rule, self.message, self.pointer, self.hint or "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of DESIGN §6."""
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "pointer": self.pointer,
            "hint": self.hint,
            "related": [place.to_dict() for place in self.related],
        }


class SuppressionKind(StrEnum):
    """Where a diagnostic was silenced, in SARIF's words."""

    IN_SOURCE = "inSource"  # a `# flowctl: ignore[RULE]` comment in the file
    EXTERNAL = "external"  # the configuration: `ignore` or `per-path-ignores`


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A diagnostic that a suppression silenced: kept for the formats that show it as such."""

    diagnostic: Diagnostic
    kind: SuppressionKind
    justification: str

    def to_dict(self) -> dict[str, Any]:
        suppression = {"kind": str(self.kind), "justification": self.justification}
        return {**self.diagnostic.to_dict(), "suppression": suppression}


@dataclass(frozen=True)
class FileResult:
    """Everything validation found in one file."""

    path: str
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    source: str = field(default="", repr=False, compare=False)  # for showing offending lines
    suppressed: tuple[Suppressed, ...] = field(default=())  # silenced; not part of the verdict

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors

    @property
    def valid(self) -> bool:
        return self.errors == 0


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Diagnostics in reading order, without exact repeats."""
    return tuple(sorted(set(diagnostics), key=Diagnostic.sort_key))
