"""Why a condition held or not for one contact: the explaining twin of `conditions.evaluate`.

`explain` walks a condition as the compiled evaluator runs it, in the same order and with the
same short circuits, and asks `operators` (the one definition of what each operator means) for
every verdict, recording what it compared. So `explain(c, contact, now).result` is
`evaluate(c, contact, now)` by construction, and `tests/language/test_explain.py` checks it over
random conditions and contacts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowctl.language.conditions import OPERATORS, check_condition
from flowctl.language.contacts import Contact, event_to_json, get_attribute
from flowctl.language.durations import parse_duration
from flowctl.language.operators import first_event, leaf_test

#: Longest quotation of a value or an operand in a line; the JSON form keeps them whole.
MAX_SHOWN = 80
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.@/-]*")
_NOT_PLAIN = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


@dataclass(frozen=True, slots=True)
class Explanation:
    """How one part of a condition came out for one contact.

    `result` is None for a part that was not evaluated because an earlier sibling already
    decided its combinator. `decides` marks the sibling that did: the first false child of an
    `all`, the first true child of an `any`. `data` is the part's JSON form without its
    children: the operator and operand, and what the contact had.
    """

    text: str  # the condition part as a line, with what was compared when it was evaluated
    result: bool | None
    data: Mapping[str, Any]
    children: tuple[Explanation, ...] = ()
    decides: bool = False

    def lines(self, indent: str = "  ") -> list[str]:
        """The tree as text, one part per line, children indented under their combinator."""
        mark = " (decides)" if self.decides else ""
        verdict = "not evaluated" if self.result is None else _word(self.result)
        out = [f"{self.text} -> {verdict}{mark}"]
        for child in self.children:
            out += [indent + line for line in child.lines(indent)]
        return out

    def to_json(self) -> dict[str, Any]:
        """`{..data, "result", "decides"}`, and `children` for a combinator."""
        node: dict[str, Any] = {**self.data, "result": self.result, "decides": self.decides}
        if self.children:
            node["children"] = [child.to_json() for child in self.children]
        return node


def explain(condition: Any, contact: Contact, now: datetime) -> Explanation:
    """Evaluate `condition` for `contact` at `now` (naive is UTC), saying why at every part."""
    if next(check_condition(condition, ()), None) is not None:
        # The evaluator's rule: a malformed condition is false as a whole.
        return Explanation("malformed condition (see flowctl validate)", False, {"invalid": True})
    return _explain(condition, contact, now if now.tzinfo else now.replace(tzinfo=UTC))


def _explain(condition: Mapping[str, Any], contact: Contact, now: datetime) -> Explanation:
    if "not" in condition:
        inner = _explain(condition["not"], contact, now)
        return Explanation("not", not inner.result, {"combinator": "not"}, (inner,))
    for key, stops_on in (("all", False), ("any", True)):
        if key in condition:
            return _combine(key, stops_on, condition[key], contact, now)
    if "event" in condition:
        return _event(condition, contact, now)
    return _leaf(condition, contact)


def _combine(
    key: str, stops_on: bool, children: list[Any], contact: Contact, now: datetime
) -> Explanation:
    """`all` stops at its first false child, `any` at its first true one: that child decides."""
    done: list[Explanation] = []
    for index, child in enumerate(children):
        explained = _explain(child, contact, now)
        if explained.result is stops_on:
            done.append(_decided(explained))
            done += [not_evaluated(later) for later in children[index + 1 :]]
            return Explanation(key, stops_on, {"combinator": key}, tuple(done))
        done.append(explained)
    return Explanation(key, not stops_on, {"combinator": key}, tuple(done))


def _decided(explained: Explanation) -> Explanation:
    return Explanation(explained.text, explained.result, explained.data, explained.children, True)


def not_evaluated(condition: Mapping[str, Any]) -> Explanation:
    """A condition left untested (an earlier one decided): as written, without the contact."""
    return Explanation(describe(condition), None, {"condition": dict(condition)})


def _leaf(condition: Mapping[str, Any], contact: Contact) -> Explanation:
    op = next(key for key in condition if key in OPERATORS)
    path, operand = condition["attribute"], condition[op]
    found, value = get_attribute(contact.attributes, path)
    result = leaf_test(op, operand)(found, value)
    had = f"{path} = {_quote(value)}" if found else f"{path} is missing"
    data: dict[str, Any] = {"attribute": path, "operator": op, "operand": operand, "found": found}
    if found:
        data["value"] = value
    return Explanation(f"{had}; {op} {_cut(flow_style(operand))}", result, data)


def _event(condition: Mapping[str, Any], contact: Contact, now: datetime) -> Explanation:
    name, where = condition["event"], condition.get("where", {})
    within = parse_duration(condition["within"]) if "within" in condition else None
    match = first_event(name, where, within, contact, now)
    at = event_to_json(match)["at"] if match is not None else None
    seen = f"first match at {at}" if at else "no matching event by now"
    data = {"event": name, "where": dict(where), "within": condition.get("within"), "at": at}
    return Explanation(f"{describe(condition)}: {seen}", match is not None, data)


def describe(condition: Mapping[str, Any]) -> str:
    """A condition on one line, close to how it is written: `plan in [pro, team]`."""
    if "not" in condition:
        return f"not ({describe(condition['not'])})"
    for key in ("all", "any"):
        if key in condition:
            return f"{key} ({', '.join(describe(child) for child in condition[key])})"
    if "event" in condition:
        text = f"event {flow_style(condition['event'])}"
        if condition.get("where"):
            text += f" where {flow_style(condition['where'])}"
        if "within" in condition:
            text += f" within {condition['within']}"
        return text
    op = next(key for key in condition if key in OPERATORS)
    return f"{condition['attribute']} {op} {flow_style(condition[op])}"


def flow_style(value: Any) -> str:
    """A value as YAML flow style writes it: `[bags, wallets]`, `{category: shoes}`, `"1"`."""
    if isinstance(value, list):
        return f"[{', '.join(map(flow_style, value))}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {flow_style(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _NOT_PLAIN:
        return value
    return json.dumps(value, ensure_ascii=False)


def _quote(value: Any) -> str:
    """An attribute value as JSON, cut to `MAX_SHOWN` characters."""
    return _cut(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _word(result: bool) -> str:
    return "true" if result else "false"
