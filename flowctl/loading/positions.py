"""Source positions packed into ints, and error diagnostics placed at them."""

from __future__ import annotations

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
