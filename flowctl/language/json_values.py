"""JSON values as Draft-07 sees them: the type names, and equality where `True` is not `1`.

The one definition of "a JSON number" and of JSON equality, for every stage that compares
values: the schema predicate (`validation/fast_schema.py`) and the conditions language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Any], bool]


def is_number(value: Any) -> bool:
    """A JSON number: an int or a float, and `bool` is not one (as in `jsonschema`; values
    loaded from YAML or JSON hold no other numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


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
