"""`yaml-boolean`: YAML 1.1 words that read as booleans where text was meant.

PyYAML reads YAML 1.1, where an unquoted `yes`, `no`, `on` or `off` (any case) is a boolean: a
country list `[SE, NO, DK]` holds `false`, and a contact from Norway is silently filtered out.
Where the schema wants a string, its own error already explains the trap; where it wants a
boolean (`exists: yes`), the boolean is right. This pass covers the values that may be either
(condition operands, params, `set` values, `where` maps): it warns where the word, quoted, would
be accepted too, since `true`/`false` written out are booleans on purpose but `no` rarely is.
`x-` extension keys are flowctl's to ignore, and so are their values.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.loading.yaml_file import Document
from flowctl.validation.schema_errors import head

RULE = "yaml-boolean"
_MEANT = frozenset({"true", "false"})  # the spellings that say "boolean" on purpose


def boolean_traps(
    document: Document, skip: Container[Path], accepts: Callable[[Any], bool]
) -> Iterator[Finding]:
    """A warning per unquoted yes/no/on/off read as a boolean where the text would do as well.

    `skip`: paths the schema already reported; `accepts`: whether a document passes the schema.
    """
    for path, raw in document.plain_scalars():
        if raw.lower() in _MEANT or path in skip or _extension(path):
            continue
        value = _at(document.data, path)
        if not isinstance(value, bool):
            continue  # a number or a date: the schema or the node's checks speak of those
        if not accepts(_replaced(document.data, path, raw)):
            continue  # the field wants a boolean: `exists: yes` means what it says
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


def _extension(path: Path) -> bool:
    return bool(path) and isinstance(path[0], str) and path[0].startswith("x-")


def _replaced(data: Any, path: Path, value: Any) -> Any:
    """`data` with the value at `path` replaced, copied along the path only."""
    if not path:
        return value
    head_part, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head_part: _replaced(data[head_part], rest, value)}
    copied = list(data)
    copied[head_part] = _replaced(data[head_part], rest, value)  # type: ignore[index]
    return copied


def _at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
