"""Source positions packed into ints, error diagnostics placed at them, and the lines of a file
as YAML counts them, so that every reported position lies inside the file."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from flowctl.diagnostics.findings import Diagnostic, Path, Severity, json_pointer

# A position is the 0-based (line, column, end_line, end_column) of a source range packed into one
# int: a flow file has tens of thousands of them, and an int is a third of the size of a tuple.
_BITS = 32
_MASK = (1 << _BITS) - 1


def pack(line: int, column: int, end_line: int, end_column: int) -> int:
    """One int for a 0-based source range."""
    return (((line << _BITS | column) << _BITS | end_line) << _BITS) | end_column


def unpack(pos: int) -> tuple[int, int, int, int]:
    """The 0-based (line, column, end_line, end_column) of a packed position."""
    return (pos >> 3 * _BITS, pos >> 2 * _BITS & _MASK, pos >> _BITS & _MASK, pos & _MASK)


def event_pos(event: Any) -> int:
    """The packed position of a PyYAML event."""
    start, end = event.start_mark, event.end_mark
    pos: int = (((start.line << _BITS | start.column) << _BITS | end.line) << _BITS) | end.column
    return pos


def make_diagnostic(
    rule: str, message: str, file: str, pos: int, at: Path | None = None, hint: str | None = None
) -> Diagnostic:
    """An error diagnostic at a packed position, with a JSON pointer when the path is known."""
    line, column, end_line, end_column = unpack(pos)
    pointer = "" if at is None else json_pointer(at)
    return Diagnostic(
        rule, Severity.ERROR, message, file, line + 1, column + 1, end_line + 1, end_column + 1,
        pointer, hint,
    )  # fmt: skip


# The line breaks YAML counts (YAML 1.1 and libyaml alike): `str.splitlines` also breaks at form
# feeds, vertical tabs and file separators, which would shift every line below them.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def source_lines(text: str) -> list[str]:
    """The lines of a file as the YAML parser numbers them (CR-only, CRLF and LF alike)."""
    if not text:
        return [""]
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # a final line break ends the last line; it does not start one
    return lines


def end_of(text: str) -> int:
    """The packed position just after `text`, with YAML's line breaks."""
    breaks = list(_LINE_BREAK.finditer(text))
    line, column = len(breaks), len(text) - (breaks[-1].end() if breaks else 0)
    return pack(line, column, line, column)


def within(diagnostic: Diagnostic, lines: Sequence[str]) -> Diagnostic:
    """The diagnostic with its line and column inside the file: a parser that points at the end
    of the stream (past a final line break, or after a last line without one) is moved to the
    end of the last line, where an editor and a GitHub annotation can show it."""
    start = _inside(diagnostic.line, diagnostic.column, lines)
    end = start
    if diagnostic.end_line is not None:
        end = max(start, _inside(diagnostic.end_line, diagnostic.end_column or 1, lines))
    if (*start, *end) == (
        diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column,
    ):  # fmt: skip
        return diagnostic
    return dataclasses.replace(
        diagnostic, line=start[0], column=start[1], end_line=end[0], end_column=end[1]
    )


def _inside(line: int, column: int, lines: Sequence[str]) -> tuple[int, int]:
    count = max(len(lines), 1)
    if line > count:
        return count, len(lines[-1]) + 1 if lines else 1
    line = max(line, 1)
    width = len(lines[line - 1]) if lines else 0
    return line, min(max(column, 1), width + 1)
