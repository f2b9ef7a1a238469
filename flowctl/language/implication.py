"""What can be proved about well-formed conditions without a contact: implication, conflict.

Every answer errs on one side only: `implies(a, b)` is True only when every contact and clock
for which `a` holds make `b` hold too, and `conflict` names two parts of an `all` only when no
contact can meet both. "Cannot tell" is False/None, so checks built on these never report a
problem that is not there. Leaves are compared through `operators.leaf_test`, the operators'
one definition, wherever a value is at hand, and all work is bounded by a step budget, so a
huge condition costs at most `BUDGET` comparisons and then proves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowctl.language.conditions import OPERATORS
from flowctl.language.durations import parse_duration
from flowctl.language.json_values import equal, is_number
from flowctl.language.operators import leaf_test

#: Comparisons one question may cost; past it, nothing is proved.
BUDGET = 10_000
_LOWER, _UPPER = ("gt", "gte"), ("lt", "lte")
_NEGATIVE = ("not_equals", "not_in", "not_contains")
_TWINS = {"equals": "not_equals", "in": "not_in", "contains": "not_contains"}


class _Budget:
    def __init__(self) -> None:
        self.left = BUDGET

    def spend(self, cost: int = 1) -> bool:
        self.left -= cost
        return self.left >= 0


def implies(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether `b` holds whenever `a` holds (False: not proved). Both must be well formed."""
    return _implies(a, b, _Budget())


def _implies(a: Mapping[str, Any], b: Mapping[str, Any], budget: _Budget) -> bool:
    if not budget.spend():
        return False
    if equal(a, b):
        return True
    if "all" in b:
        return all(_implies(a, child, budget) for child in b["all"])
    if "any" in a:
        return all(_implies(child, b, budget) for child in a["any"])
    if "all" in a and any(_implies(child, b, budget) for child in a["all"]):
        return True
    if "any" in b:
        return any(_implies(a, child, budget) for child in b["any"])
    if "not" in a and "not" in b and _implies(b["not"], a["not"], budget):
        return True
    if "not" in b:  # a and what b negates never hold together
        return _parts_conflict(a, b["not"], budget)
    if "event" in a and "event" in b:
        return _event_implies(a, b)
    if _is_leaf(a) and _is_leaf(b):
        x, y = _leaf(a), _leaf(b)
        return budget.spend(_cost(x, y)) and _leaf_implies(x, y)
    return False


def _event_implies(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """An event matching `a` matches `b`: same name, `b`'s properties among `a`'s, and `a`'s
    window inside `b`'s (both end now)."""
    if a["event"] != b["event"]:
        return False
    mine = a.get("where", {})
    if not all(
        key in mine and equal(mine[key], value) for key, value in b.get("where", {}).items()
    ):
        return False
    if "within" not in b:
        return True
    return "within" in a and parse_duration(a["within"]) <= parse_duration(b["within"])


Leaf = tuple[str, str, Any]  # (attribute, operator, operand), equals/not_equals as in/not_in


def _is_leaf(condition: Mapping[str, Any]) -> bool:
    return "attribute" in condition


def _leaf(condition: Mapping[str, Any]) -> Leaf:
    op = next(key for key in condition if key in OPERATORS)
    operand = condition[op]
    if op in ("equals", "not_equals"):
        return condition["attribute"], op.replace("equals", "in"), [operand]
    return condition["attribute"], op, operand


def _cost(a: Leaf, b: Leaf) -> int:
    """Comparisons two leaves may take: one per pair of their listed values."""
    return (len(a[2]) if isinstance(a[2], list) else 1) * (
        len(b[2]) if isinstance(b[2], list) else 1
    )


def _holds_for(leaf: Leaf, value: Any) -> bool:
    """Whether `leaf` holds for an attribute that is present with `value`."""
    return leaf_test(leaf[1], leaf[2])(True, value)


def _positive(leaf: Leaf) -> bool:
    """Whether the leaf can hold only when the attribute is present."""
    return leaf[1] not in _NEGATIVE and leaf[1:] != ("exists", False)


def _leaf_implies(a: Leaf, b: Leaf) -> bool:
    if a[0] != b[0]:
        return False
    (_, op_a, x), (_, op_b, y) = a, b
    if op_a == "in":  # the attribute equals one of x: b must hold for each of them
        return all(_holds_for(b, value) for value in x)
    if op_b == "not_in" and _positive(a):  # no value a accepts is one of y
        return not any(_holds_for(a, value) for value in y)
    if op_b == "exists":
        return _positive(a) if y else op_a == "exists" and not x
    if a[1:] == ("exists", False):  # missing: every not_* holds
        return op_b in _NEGATIVE
    if op_a == op_b == "not_in":
        return all(any(equal(value, mine) for mine in x) for value in y)
    if op_a == op_b == "starts_with":
        return bool(x.startswith(y))
    return _bound_implies(a, b)


def _kind(operand: Any) -> str | None:
    return "number" if is_number(operand) else "string" if isinstance(operand, str) else None


def _bound_implies(a: Leaf, b: Leaf) -> bool:
    """`gt 10` implies `gt 5` (and `gte 10`); `lt 5` implies `lte 5`; only with one kind."""
    (_, op_a, x), (_, op_b, y) = a, b
    if _kind(x) is None or _kind(x) != _kind(y):
        return False
    for side in (_LOWER, _UPPER):
        if op_a in side and op_b in side:
            beyond = x > y if side is _LOWER else x < y
            return bool(beyond or (x == y and (op_a == side[0] or op_b == side[1])))
    return False


def _excludes(a: Leaf, b: Leaf) -> bool:
    """Whether no contact meets both leaves (False: not proved)."""
    if a[0] != b[0]:
        return False
    for one, other in ((a, b), (b, a)):
        if one[1] == "in" and not any(_holds_for(other, value) for value in one[2]):
            return True
        if one[1:] == ("exists", False) and _positive(other):
            return True
        if _TWINS.get(one[1]) == other[1] and equal(one[2], other[2]):
            return True
    kinds = {_value_kind(a), _value_kind(b)} - {None}
    if len(kinds) > 1:  # one needs a number, the other a string
        return True
    if a[1] in _UPPER and b[1] in _LOWER:
        a, b = b, a
    if a[1] in _LOWER and b[1] in _UPPER and _kind(a[2]) == _kind(b[2]):
        low, high = a[2], b[2]
        return bool(low > high or (low == high and (a[1] == "gt" or b[1] == "lt")))
    return False


def _value_kind(leaf: Leaf) -> str | None:
    """The type a present attribute must have for the leaf to hold, when it has one."""
    if leaf[1] in (*_LOWER, *_UPPER):
        return _kind(leaf[2])
    return "string" if leaf[1] == "starts_with" else None


Conflict = tuple[int, Mapping[str, Any], int, Mapping[str, Any]]


def conflict(condition: Mapping[str, Any]) -> Conflict | None:
    """For an `all`: two of its parts that no contact meets together, each with the index of
    the child it is (or is in), or None when none is proved. The parts of a nested `all` count
    as parts of this one, but a pair inside one nested `all` is that `all`'s own conflict."""
    parts = [
        (index, part)
        for index, child in enumerate(condition["all"])
        for part in child.get("all", [child])
    ]
    budget = _Budget()
    for later, (j, b) in enumerate(parts):
        for i, a in parts[:later]:
            if i != j and _parts_conflict(a, b, budget):
                return i, a, j, b
            if budget.left <= 0:
                return None
    return None


def _parts_conflict(a: Mapping[str, Any], b: Mapping[str, Any], budget: _Budget) -> bool:
    if not budget.spend():
        return False
    if _is_leaf(a) and _is_leaf(b):
        x, y = _leaf(a), _leaf(b)
        return budget.spend(_cost(x, y)) and _excludes(x, y)
    if "not" in b and _implies(a, b["not"], budget):
        return True
    return "not" in a and _implies(b, a["not"], budget)


def never_holds(condition: Mapping[str, Any]) -> bool:
    """Whether no contact can ever meet `condition` (False: not proved)."""
    if "all" in condition:
        return conflict(condition) is not None or any(map(never_holds, condition["all"]))
    if "any" in condition:
        return all(map(never_holds, condition["any"]))
    return False
