"""`--explain`: why a dry run went the way it did, decision by decision.

For each step whose node decides by conditions (as its type declares them), the conditions it
tested, in its order, explained for the contact as that step saw it and at that step's time:
what each compared, and which part decided. The first that holds decides; later ones were not
tested, as the node did not test them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flowctl.engine.trace import Run, StepRecord
from flowctl.language.contacts import Contact
from flowctl.language.explain import Explanation, explain, not_evaluated


@dataclass(frozen=True, slots=True)
class Tested:
    """One decision of a step: its label, the exit it leads to, and its explanation."""

    label: str
    exit: str | None
    explanation: Explanation

    def lines(self) -> list[str]:
        """`case 'bags': last_order.category = "wallets"; in [bags, wallets] -> true`, and
        the parts of a combinator indented below."""
        first, *rest = self.explanation.lines()
        return [f"{self.label}: {first}", *rest]

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.label,
            "exit": self.exit,
            "result": self.explanation.result,
            "condition": self.explanation.to_json(),
        }


def explain_steps(run: Run, contact: Contact) -> Iterator[tuple[StepRecord, tuple[Tested, ...]]]:
    """Each step of `run` (a dry run of `contact`, as given to `walk`) with its decisions;
    steps of nodes that decide by no condition come with none."""
    seen = contact
    for step in run.steps:
        yield step, tuple(_test(step, seen))
        if step.outcome.contact is not None:  # later nodes see the updated contact
            seen = step.outcome.contact


def _test(step: StepRecord, contact: Contact) -> Iterator[Tested]:
    decided = False
    for decision in step.node.decisions:
        if decided:
            yield Tested(decision.label, decision.exit, not_evaluated(decision.condition))
            continue
        explained = explain(decision.condition, contact, step.at)
        decided = bool(explained.result)
        yield Tested(decision.label, decision.exit, explained)


def step_lines(run: Run, contact: Contact) -> list[list[str]]:
    """Per step of `run`, the lines of its decisions (none for a step that decided nothing)."""
    return [
        [line for decision in tested for line in decision.lines()]
        for _, tested in explain_steps(run, contact)
    ]


def explanation_lines(run: Run, contact: Contact) -> list[str]:
    """The explanation of a dry run as text: per deciding step a heading, then its decisions.

    `contact` is the contact the run started with (after any overrides). Reports of failing
    flow tests show these lines under the case.
    """
    out: list[str] = []
    for step, lines in zip(run.steps, step_lines(run, contact), strict=True):
        if lines:
            taken = f" -> {step.outcome.exit}" if step.outcome.exit is not None else ""
            status = f" ({step.outcome.status})" if step.outcome.status else ""
            out.append(f"{step.node.id} ({step.node.type}){taken}{status}")
            out += ["  " + line for line in lines]
    return out


def explained_json(run: Run, contact: Contact) -> dict[str, Any]:
    """The run's trace (`Run.to_json`) with an `explain` list on each step that decided."""
    trace = run.to_json()
    for entry, (_, tested) in zip(trace["steps"], explain_steps(run, contact), strict=True):
        if tested:
            entry["explain"] = [decision.to_json() for decision in tested]
    return trace
