"""Walk one contact through a prepared flow, one node at a time, on a simulated clock.

The walk runs each node's real logic and records its outcome; it performs no effect and never
sleeps: a waiting node returns when the contact would resume, and the clock jumps there.
"""

from __future__ import annotations

from datetime import datetime

from flowctl.engine.plan import PreparedFlow, PreparedNode
from flowctl.engine.trace import Run, StepRecord
from flowctl.language.contacts import Contact
from flowctl.nodes.base import COMPLETED, FAILED, STATUSES, Outcome, RunContext

# A step record is built per node step: `tuple.__new__` skips the NamedTuple's Python-level
# `__new__`, which costs more than the tuple itself.
_record = tuple.__new__
# What `targets.get` returns for an exit the node does not have (None means "the path ends").
_NO_SUCH_EXIT = PreparedNode("", "", lambda ctx: Outcome(), ())
_PAST_9999 = "the simulated clock would pass the year 9999: the wait is too long for this start"


def walk(flow: PreparedFlow, contact: Contact, now: datetime, seed: int | None = None) -> Run:
    """Run `contact` through `flow` from `start`, the clock starting at `now` (aware)."""
    ctx = RunContext(contact, now, flow.timezone, seed)
    steps: list[StepRecord] = []
    node: PreparedNode | None = flow.start
    while node is not None:
        try:
            outcome = node.run(ctx)
        except OverflowError:  # datetime arithmetic: a wait of thousands of years, or --now 9999
            outcome = Outcome(status=FAILED, error=_PAST_9999)
        except Exception as exc:  # a node type's bug fails this contact, not the whole run
            outcome = Outcome(status=FAILED, error=f"crashed: {type(exc).__name__}: {exc}")
        steps.append(_record(StepRecord, (node, ctx.now, outcome)))
        if outcome.at is not None or outcome.contact is not None:
            ctx, problem = _advance(ctx, outcome)
            if problem:
                return _failed(flow, ctx, steps, node, problem)
        if outcome.status is not None:
            if outcome.status == FAILED or outcome.status not in STATUSES:
                problem = outcome.error or f"ended with an unknown status {outcome.status!r}"
                return _failed(flow, ctx, steps, node, problem)
            return Run(flow.name, ctx.contact.id, outcome.status, steps, ctx.now)
        target = node.targets.get(outcome.exit, _NO_SUCH_EXIT)
        if target is _NO_SUCH_EXIT:
            expected = ", ".join(map(repr, node.exits)) or "none (one exit)"
            problem = f"took exit {outcome.exit!r}; its exits are {expected}"
            return _failed(flow, ctx, steps, node, problem)
        node = target
    return Run(flow.name, ctx.contact.id, COMPLETED, steps, ctx.now)


def _advance(ctx: RunContext, outcome: Outcome) -> tuple[RunContext, str | None]:
    """The context after a node that moved the clock or changed the contact."""
    now = ctx.now
    if outcome.at is not None:
        if outcome.at.tzinfo is None:
            return ctx, f"resumes at a time without a timezone ({outcome.at.isoformat()})"
        if outcome.at < now:
            return ctx, f"resumes at {outcome.at.isoformat()}, before it started"
        now = outcome.at
    return RunContext(outcome.contact or ctx.contact, now, ctx.timezone, ctx.seed), None


def _failed(
    flow: PreparedFlow, ctx: RunContext, steps: list[StepRecord], node: PreparedNode, problem: str
) -> Run:
    error = f"node '{node.id}' ({node.type}): {problem}"
    return Run(flow.name, ctx.contact.id, FAILED, steps, ctx.now, error)
