"""JSON values as Draft-07 sees them: the type names, and equality where `True` is not `1`.

The one definition of "a JSON number" and of JSON equality, for every stage that compares
values: the schema predicate (`validation/fast_schema.py`) and the conditions language.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Predicate = Callable[[Any], bool]


def is_number(value: Any) -> bool:
    """A JSON number: `bool` is not one, as in `jsonschema`."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


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
