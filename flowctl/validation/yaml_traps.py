"""`yaml-boolean`: YAML 1.1 words that read as booleans where text was meant.

PyYAML reads YAML 1.1, where an unquoted `yes`, `no`, `on` or `off` (any case) is a boolean: a
country list `[SE, NO, DK]` holds `false`, and a contact from Norway is silently filtered out.
Where the schema wants a string, its own error already explains the trap; this pass covers the
values that may be anything (condition operands, params, `set` values, `where` maps) and warns,
since `true`/`false` written out are booleans on purpose but `no` rarely is.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

from flowctl.diagnostics import Finding, Path
from flowctl.loader import Document
from flowctl.validation.schema_errors import head

RULE = "yaml-boolean"
_MEANT = frozenset({"true", "false"})  # the spellings that say "boolean" on purpose


def boolean_traps(document: Document, skip: Container[Path]) -> Iterator[Finding]:
    """A warning per unquoted yes/no/on/off read as a boolean, except at the paths in `skip`."""
    for path, raw in document.plain_scalars():
        if raw.lower() in _MEANT or path in skip:
            continue
        value = _at(document.data, path)
        if not isinstance(value, bool):
            continue  # a number or a date: the schema or the node's checks speak of those
        word = "true" if value else "false"
        key = path[-1] if path else None
        fix = f'{key}: "{raw}"' if isinstance(key, str) else f'"{raw}"'
        yield Finding(
            RULE,
            f"{head(document.data, path)} is the boolean {word}: YAML 1.1 reads the unquoted "
            f"{raw} as {word}",
            path,
            hint=f"quote it if you mean the text: {fix}; write {word} if you mean the boolean",
        )


def _at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
