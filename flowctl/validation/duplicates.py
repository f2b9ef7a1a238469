"""Where a repeated key was first defined, for the formats that can point there too.

The loader reports the later copies of a key (`duplicate-key`) and keeps the position of the
last one; the first copy's place is found again here from the file's events, only for files that
have such a diagnostic. SARIF shows it as a related location, JSON as `related`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from flowctl.diagnostics.findings import Diagnostic, Related

_PARSER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_MERGE = "<<"


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence: its JSON pointer (None inside a merge or a complex key)."""

    pointer: str | None
    is_map: bool
    expects_key: bool = True
    child: str | None = None  # the pointer of the value being read in a mapping
    index: int = 0
    seen: dict[str, Related] = field(default_factory=dict)  # each key's first copy


def with_first_copies(diagnostics: Sequence[Diagnostic], text: str) -> list[Diagnostic]:
    """`diagnostics`, each `duplicate-key` one with the first copy of its key as related."""
    if not any(d.rule == "duplicate-key" for d in diagnostics):
        return list(diagnostics)
    first = _repeated_keys(text)
    return [
        dataclasses.replace(d, related=(first[d.pointer, d.line, d.column],))
        if d.rule == "duplicate-key" and (d.pointer, d.line, d.column) in first
        else d
        for d in diagnostics
    ]


def _repeated_keys(text: str) -> dict[tuple[str, int, int], Related]:
    """The first copy of each repeated key, by the pointer and position of the repeat."""
    found: dict[tuple[str, int, int], Related] = {}
    stack: list[_Frame] = []
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            if isinstance(event, yaml.CollectionStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                stack.append(_Frame(_node_pointer(stack), is_map))
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                _done(stack)
            elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                top = stack[-1] if stack else None
                if top is not None and top.is_map and top.expects_key:
                    _key(top, event, found)
                else:
                    _done(stack)
    except yaml.YAMLError:
        pass  # the loader reports it; keep what was found before
    return found


def _node_pointer(stack: list[_Frame]) -> str | None:
    """The pointer of the node that starts now, under the innermost open collection."""
    if not stack:
        return ""
    top = stack[-1]
    if not top.is_map:
        return None if top.pointer is None else f"{top.pointer}/{top.index}"
    return None if top.expects_key else top.child  # a mapping as a key has no pointer


def _key(top: _Frame, event: Any, found: dict[tuple[str, int, int], Related]) -> None:
    top.expects_key = False
    value = getattr(event, "value", None)  # an alias as a key has none
    if top.pointer is None or not isinstance(value, str) or value == _MERGE:
        top.child = None
        return
    top.child = f"{top.pointer}/{value.replace('~', '~0').replace('/', '~1')}"
    start, end = event.start_mark, event.end_mark
    first = top.seen.get(value)
    if first is None:
        top.seen[value] = Related(
            f"first definition of '{value}'",
            start.line + 1,
            start.column + 1,
            end.line + 1,
            end.column + 1,
        )
    else:
        found[top.child, start.line + 1, start.column + 1] = first


def _done(stack: list[_Frame]) -> None:
    """A node under the innermost collection is complete: a key, a value or an item."""
    if not stack:
        return
    top = stack[-1]
    if not top.is_map:
        top.index += 1
    elif top.expects_key:
        top.expects_key = False  # a complex key (a mapping or a list) has ended
        top.child = None
    else:
        top.expects_key = True
