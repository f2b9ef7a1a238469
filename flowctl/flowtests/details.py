"""More lines for a failing case: what its dry run did, step by step.

This is the one place a failing case's report grows: it gets the case and its dry run, and
returns plain lines that every format shows under the failure. Decision traces (which part of
a condition held, with the values compared) belong here too, beside the steps.
"""

from __future__ import annotations

from flowctl.engine.plan import PreparedFlow
from flowctl.engine.trace import Run, iso
from flowctl.flowtests.coverage import exit_label
from flowctl.flowtests.spec import Case


def failure_details(flow: PreparedFlow, case: Case, run: Run) -> tuple[str, ...]:
    """The failing run's steps, `AT  NODE (TYPE) -> EXIT`, and how it ended."""
    lines = []
    for step in run.steps:
        outcome = step.outcome
        left = (
            f"-> {exit_label(outcome.exit)}" if outcome.status is None else f"ends {outcome.status}"
        )
        lines.append(f"{iso(step.at)}  {step.node.id} ({step.node.type}) {left}")
    lines.append(f"{iso(run.ended_at)}  {run.status}: contact '{case.contact.id}' in '{flow.name}'")
    return tuple(lines)
