"""JSON values as Draft-07 sees them: the type names, equality where `True` is not `1`, and
the two places where flowctl is stricter than `jsonschema` on Python values, so that a valid
document is valid JSON with the meaning editors give it:

- **Numbers are finite.** YAML reads `.nan` and `.inf` as floats, which `jsonschema` takes for
  numbers; JSON has no such numbers (a trace holding one prints `NaN`, which no JSON parser
  reads), so they are not numbers here.
- **`$` ends the string.** Schema patterns are ECMA-262 regexes, whose `$` matches only at the
  very end; Python's `re` also matches it before a final newline, so `"a\n"` passed as a node
  id. The schema keeps the portable `^...$` (editors, check-jsonschema's ECMA engine and other
  tools honour it exactly), and flowctl compiles a final `$` as `\\Z` (`python_pattern`).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Predicate = Callable[[Any], bool]


def is_number(value: Any) -> bool:
    """A JSON number: `bool` is not one, as in `jsonschema`, and neither are NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return False
    return not isinstance(value, float) or math.isfinite(value)


@functools.cache
def python_pattern(pattern: str) -> re.Pattern[str]:
    """A schema pattern compiled for Python with ECMA-262's end anchor: a final unescaped `$`
    matches at the end of the string only, not before a final newline."""
    body = pattern.removesuffix("$")
    escapes = len(body) - len(body.rstrip("\\"))
    if body != pattern and escapes % 2 == 0:  # `\$` is a literal dollar, `\\$` an anchor
        return re.compile(body + r"\Z")
    return re.compile(pattern)


def is_integer(value: Any) -> bool:
    """A JSON integer: `1.0` is one, `True` is not."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


#: Draft-07's type names and what each accepts.
TYPES: dict[str, Predicate] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": is_integer,
    "null": lambda value: value is None,
    "number": is_number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def equal(one: Any, two: Any) -> bool:
    """JSON equality as `jsonschema` has it: `True` is not `1`, `1` is `1.0`, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(map(equal, one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)
