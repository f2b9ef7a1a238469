"""More lines for a failing case: what its dry run did, step by step, and why.

This is the one place a failing case's report grows: it gets the case and its dry run, and
returns plain lines that every format shows under the failure. Under each step that decided by
conditions (a branch's cases, a filter's condition) come the conditions it tested, with the
values they compared and which part decided (`simulate.explain`, as `run --dry-run --explain`).
"""

from __future__ import annotations

from flowctl.engine.plan import PreparedFlow
from flowctl.engine.trace import Run, iso
from flowctl.flowtests.coverage import exit_label
from flowctl.flowtests.spec import Case
from flowctl.simulate.explain import step_lines


def failure_details(flow: PreparedFlow, case: Case, run: Run) -> tuple[str, ...]:
    """The failing run's steps, `AT  NODE (TYPE) -> EXIT`, each with its decisions, and how it
    ended."""
    lines = []
    for step, decisions in zip(run.steps, step_lines(run, case.contact), strict=True):
        outcome = step.outcome
        left = (
            f"-> {exit_label(outcome.exit)}" if outcome.status is None else f"ends {outcome.status}"
        )
        lines.append(f"{iso(step.at)}  {step.node.id} ({step.node.type}) {left}")
        lines.extend(f"    {decision}" for decision in decisions)
    lines.append(f"{iso(run.ended_at)}  {run.status}: contact '{case.contact.id}' in '{flow.name}'")
    return tuple(lines)
