"""A case's expectations checked against its dry run: one `Mismatch` per expectation not met.

Each check is a small generator over one expectation kind, combined through `CHECKS` (the
shape of jsonschema's keyword checks). A mismatch points at the expectation it breaks: at the
list item or mapping entry when one is to blame, else at the expectation's value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.diagnostics.findings import Path
from flowctl.engine.trace import Run, StepRecord, iso
from flowctl.flowtests.spec import Case
from flowctl.nodes.base import FAILED


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation the run did not meet: where it is written, what was expected and seen."""

    where: Path
    what: str  # the expectation, as written: `exits.by_category`, `effects[1]`
    expected: str
    actual: str
    at_key: bool = False
    verb: str = "does not hold"  # what the message says of `what`


def arrow(nodes: list[str] | tuple[str, ...]) -> str:
    """A node path in words: `a -> b -> c`, or `(no nodes)`."""
    return " -> ".join(nodes) if nodes else "(no nodes)"


def node_path(run: Run) -> list[str]:
    """The ids of the nodes the run went through, in order."""
    return [step.node.id for step in run.steps]


def show_json(value: Any) -> str:
    """A value as compact JSON, as it reads in a test file's flow style."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _steps(run: Run) -> dict[str, StepRecord]:
    return {step.node.id: step for step in run.steps}


def _path(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    expected, actual = list(case.expect.path or ()), node_path(run)
    if expected == actual:
        return
    differs = next(
        (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None
    )
    if differs is None and len(expected) > len(actual):
        differs = len(actual)
    where = (*base, "path") if differs is None else (*base, "path", differs)
    yield Mismatch(where, "path", arrow(expected), arrow(actual))


def _visits(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    seen = set(node_path(run))
    for index, node in enumerate(case.expect.visits or ()):
        if node not in seen:
            where = (*base, "visits", index)
            yield Mismatch(where, f"visits[{index}]", f"visits '{node}'", "not visited")


def _not_visits(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    steps = _steps(run)
    for index, node in enumerate(case.expect.not_visits or ()):
        if node in steps:
            where = (*base, "not_visits", index)
            at = iso(steps[node].at)
            yield Mismatch(
                where, f"not_visits[{index}]", f"never visits '{node}'", f"visited at {at}"
            )


def _exits(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    steps = _steps(run)
    for node, exit_ in (case.expect.exits or {}).items():
        step = steps.get(node)
        if step is None:
            actual = "not visited"
        elif step.outcome.exit is None:
            actual = f"left by no exit (the run ended there: {run.status})"
        elif step.outcome.exit == exit_:
            continue
        else:
            actual = repr(step.outcome.exit)
        yield Mismatch((*base, "exits", node), f"exits.{node}", repr(exit_), actual)


def _status(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    if run.status != case.expect.status:
        actual = run.status if run.error is None else f"{run.status} ({run.error})"
        yield Mismatch((*base, "status"), "status", str(case.expect.status), actual)


def _ended_at(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    expected = case.expect.ended_at
    if expected is not None and run.ended_at != expected:
        yield Mismatch((*base, "ended_at"), "ended_at", iso(expected), iso(run.ended_at))


def _at(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    steps = _steps(run)
    for node, expected in (case.expect.at or {}).items():
        step = steps.get(node)
        if step is not None and step.at == expected:
            continue
        actual = "not visited" if step is None else iso(step.at)
        yield Mismatch((*base, "at", node), f"at.{node}", iso(expected), actual)


def subset(expected: Any, actual: Any) -> bool:
    """Whether `expected` is part of `actual`: a mapping's keys with matching values, a list
    item for item, anything else equal (`true` is not `1`)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and subset(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def effects_of(run: Run) -> list[Any]:
    """The effects the run decided, in order, in their trace JSON form."""
    return [step.to_json()["effect"] for step in run.steps if step.outcome.effect is not None]


def _effects(case: Case, run: Run, base: Path) -> Iterator[Mismatch]:
    expected, actual = list(case.expect.effects or ()), effects_of(run)
    for index, (wanted, got) in enumerate(zip(expected, actual, strict=False)):
        if not subset(wanted, got):
            where = (*base, "effects", index)
            yield Mismatch(where, f"effects[{index}]", show_json(wanted), show_json(got))
            return
    if len(expected) != len(actual):
        extra = actual[len(expected) :]
        actual_text = _effects_count(len(actual))
        if extra:
            actual_text += f"; the next: {show_json(extra[0])}"
        yield Mismatch((*base, "effects"), "effects", _effects_count(len(expected)), actual_text)


def _effects_count(count: int) -> str:
    return f"{count} effect{'' if count == 1 else 's'}"


Check = Callable[[Case, Run, Path], Iterator[Mismatch]]
#: One check per expectation kind, in the order of DESIGN §9.
CHECKS: dict[str, Check] = {
    "path": _path,
    "visits": _visits,
    "not_visits": _not_visits,
    "exits": _exits,
    "status": _status,
    "ended_at": _ended_at,
    "at": _at,
    "effects": _effects,
}


def mismatches(case: Case, run: Run) -> list[Mismatch]:
    """Every expectation of `case` that `run` breaks. A run that failed, when the case does
    not expect `status: failed`, is a mismatch of its own (at the case's name)."""
    base = (*case.where, "expect")
    found = [
        mismatch
        for key, check in CHECKS.items()
        if getattr(case.expect, key) is not None
        for mismatch in check(case, run, base)
    ]
    if run.status == FAILED and case.expect.status is None:
        actual = f"failed: {run.error}"
        expected = "a run that does not fail (or 'status: failed')"
        found.insert(0, Mismatch(case.where, "the run", expected, actual, True, "failed"))
    return found
