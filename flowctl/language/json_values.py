"""JSON values as Draft-07 sees them: the type names, and equality where `True` is not `1`.

The one definition of "a JSON number" and of JSON equality, for every stage that compares
values: the schema checks (`validation/`) and the conditions language. Two places are stricter
than `jsonschema` on Python values, so that a valid document is valid JSON with the meaning
editors give it:

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
import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Any], bool]


def is_number(value: Any) -> bool:
    """A JSON number: an int or a finite float. `bool` is not one (as in `jsonschema`), and
    neither are NaN and the infinities, which YAML reads as floats but JSON has not; values
    loaded from YAML or JSON hold no other numbers."""
    if type(value) is int:  # the common case first
        return True
    return (isinstance(value, float) and math.isfinite(value)) or (
        isinstance(value, int) and not isinstance(value, bool)
    )


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


def equal(a: Any, b: Any) -> bool:
    """JSON equality as `jsonschema` has it: `True` is not `1`, `1` is `1.0`, recursively.
    (On the hot path of every condition: the common case, two strings, goes first.)"""
    if type(a) is str or type(b) is str:
        return type(a) is type(b) and bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(equal(a[key], b[key]) for key in a)
    return type(a) is type(b) and bool(a == b)
