"""The engine core: one pure transition function that both dry runs and real runs drive.

`advance(plan, state, tick)` runs a run's nodes from where it stands until it ends or must
wait, and returns the new state, the steps it took, and the effects to perform. It reads no
clock and performs nothing: the tick says what time it is and which events have arrived, and
waits end from timestamps only. Feeding the same events and times in one tick or in many gives
the same steps, effects and end state; a dry run and a real run differ only in who calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from flowctl.effects import Effect, as_effect
from flowctl.engine.plan import PreparedFlow, PreparedNode
from flowctl.engine.state import ACTIVE, LIVE, WAITING, RunState, Waiting
from flowctl.engine.trace import StepRecord
from flowctl.language.contacts import Contact, Event
from flowctl.language.operators import event_matches
from flowctl.nodes.base import COMPLETED, FAILED, STATUSES, Awaited, Outcome, RunContext

# Records, states and contexts are built per node step or per run: `tuple.__new__` skips the
# NamedTuples' Python-level `__new__`, which costs more than the tuple itself. Every field is
# then given, in order.
_new = tuple.__new__
# What `targets.get` returns for an exit the node does not have (None means "the path ends").
_NO_SUCH_EXIT = PreparedNode("", "", lambda ctx: Outcome(), ())
_PAST_9999 = "the simulated clock would pass the year 9999: the wait is too long for this start"


class Tick(NamedTuple):
    """A signal to a run: the clock has reached `now`, and `events` (each at or before `now`,
    in time order) have happened to its contact since the run last advanced."""

    now: datetime
    events: Sequence[Event] = ()


class Intent(NamedTuple):
    """An effect a step decided: performed by a handler in a real run, recorded in a dry one.
    Its key is made from the run id, `node` and `step`, so every retry sends the same key.
    `contact` is the contact as the step saw it (a handler addresses it)."""

    step: int
    node: str
    at: datetime
    effect: Effect
    contact: Contact


class Transition(NamedTuple):
    """What one `advance` did: the new state, the steps completed (in order, numbered from
    `first_step`), and the effects decided (in order)."""

    state: RunState
    steps: list[StepRecord]
    effects: list[Intent]

    @property
    def first_step(self) -> int:
        """The number of `steps[0]`."""
        waiting = self.state.waiting
        return self.state.step - len(self.steps) - (waiting is not None)


def start(plan: PreparedFlow, contact: Contact, now: datetime, seed: int | None = None) -> RunState:
    """A new run of `contact`, about to run the flow's start node at `now` (aware)."""
    return _new(RunState, (plan.start.id, now, contact, ACTIVE, 0, None, seed, None))


def advance(plan: PreparedFlow, state: RunState, tick: Tick) -> Transition:
    """Run `state` forward to `tick.now`: until the run ends or waits past it."""
    if state.status not in LIVE:
        return _new(Transition, (state, [], []))
    contact = _with_events(state.contact, tick.events) if tick.events else state.contact
    now = tick.now
    steps: list[StepRecord] = []
    effects: list[Intent] = []
    node: PreparedNode | None = plan.by_id[state.node] if state.node is not None else None
    clock, number = state.clock, state.step
    if state.status == WAITING:
        waiting = state.waiting
        assert waiting is not None and node is not None
        ended = _wait_ends(waiting.since, waiting.until, waiting.awaits, contact.events, now)
        if ended is None:
            return _new(Transition, (state._replace(contact=contact), steps, effects))
        exit_, clock = (waiting.exit, waiting.until) if ended is _AT_DEADLINE else ended
        outcome = Outcome(exit_, waiting.effect, clock, warnings=waiting.warnings)
        steps.append(_new(StepRecord, (node, waiting.since, outcome)))
        following = node.targets.get(exit_, _NO_SUCH_EXIT)
        if following is _NO_SUCH_EXIT:
            return _failed(
                state, contact, clock, number, steps, effects, _no_exit(node, exit_), node
            )
        node = following
    zone, seed = plan.timezone, state.seed
    ctx = _new(RunContext, (contact, clock, zone, seed))
    outcome, following = _NOTHING, None
    base = number - len(steps)  # a step's number is `base` plus the steps before it
    while node is not None:
        try:
            outcome = node.run(ctx)
        except OverflowError:  # datetime arithmetic: a wait of thousands of years, or --now 9999
            outcome = Outcome(status=FAILED, error=_PAST_9999)
        except Exception as exc:  # a node type's bug fails this run, not the whole command
            outcome = Outcome(status=FAILED, error=f"crashed: {type(exc).__name__}: {exc}")
        if (
            outcome.effect is None
            and outcome.at is None
            and outcome.status is None
            and outcome.contact is None
        ):
            # The common case, kept short: a node that only picks an exit.
            steps.append(_new(StepRecord, (node, ctx.now, outcome)))
            following = node.targets.get(outcome.exit, _NO_SUCH_EXIT)
            if following is _NO_SUCH_EXIT or following is None:
                break
            node = following
            continue
        effect, at, status = outcome.effect, outcome.at, outcome.status
        number = base + len(steps)
        if effect is not None:
            if not isinstance(effect, tuple):  # every built-in kind is one; a mapping is not
                effect = as_effect(effect)
            effects.append(_new(Intent, (number, node.id, ctx.now, effect, ctx.contact)))
        if outcome.contact is not None:
            ctx = _new(RunContext, (outcome.contact, ctx.now, zone, seed))
        if at is not None:
            problem = _bad_wait(at, ctx.now)
            if problem:
                steps.append(_new(StepRecord, (node, ctx.now, outcome)))
                return _failed(
                    state, ctx.contact, ctx.now, number + 1, steps, effects, problem, node
                )
            if status is None:
                ended = _wait_ends(ctx.now, at, outcome.awaits, ctx.contact.events, now)
                if ended is None:
                    waiting = _new(
                        Waiting,
                        (
                            ctx.now,
                            at,
                            outcome.exit,
                            number,
                            outcome.awaits,
                            effect,
                            outcome.warnings,
                        ),
                    )
                    waits = (
                        node.id,
                        ctx.now,
                        ctx.contact,
                        WAITING,
                        number + 1,
                        waiting,
                        seed,
                        None,
                    )
                    return _new(Transition, (_new(RunState, waits), steps, effects))
                if ended is not _AT_DEADLINE:
                    outcome = Outcome(ended[0], outcome.effect, ended[1], warnings=outcome.warnings)
                    at = ended[1]
            steps.append(_new(StepRecord, (node, ctx.now, outcome)))
            ctx = _new(RunContext, (ctx.contact, at, zone, seed))
        else:
            steps.append(_new(StepRecord, (node, ctx.now, outcome)))
        number += 1
        if status is not None:
            if status == FAILED or status not in STATUSES:
                problem = outcome.error or f"ended with an unknown status {status!r}"
                return _failed(state, ctx.contact, ctx.now, number, steps, effects, problem, node)
            final = (node.id, ctx.now, ctx.contact, status, number, None, seed, None)
            return _new(Transition, (_new(RunState, final), steps, effects))
        following = node.targets.get(outcome.exit, _NO_SUCH_EXIT)
        if following is _NO_SUCH_EXIT or following is None:
            break
        node = following
    number = base + len(steps)
    if node is not None and following is _NO_SUCH_EXIT:
        problem = _no_exit(node, outcome.exit)
        return _failed(state, ctx.contact, ctx.now, number, steps, effects, problem, node)
    # The path ran out of nodes.
    last = steps[-1].node.id if steps else state.node
    done = (last, ctx.now, ctx.contact, COMPLETED, number, None, seed, None)
    return _new(Transition, (_new(RunState, done), steps, effects))


# What `_wait_ends` returns for a wait that ends at its deadline by its own exit.
_AT_DEADLINE: tuple[str | None, datetime] = (None, datetime.min)
_NOTHING = Outcome()


def _wait_ends(
    since: datetime,
    until: datetime,
    awaits: Awaited | None,
    events: Sequence[Event],
    now: datetime,
) -> tuple[str | None, datetime] | None:
    """How and when a wait ends, given the events so far and the time; None: not yet.

    The first awaited event after the wait began and at or before both its deadline and the
    clock wins: (its exit, its time). Failing that, `_AT_DEADLINE` once the clock has reached
    the deadline: the wait leaves by its own exit then.
    """
    if awaits is not None:
        last = until if until <= now else now
        for event in events:  # in time order
            if event.at > last:
                break
            if event.at > since and event_matches(event, awaits.event, awaits.where):
                return awaits.exit, event.at
    return _AT_DEADLINE if until <= now else None


def _no_exit(node: PreparedNode, exit_: str | None) -> str:
    expected = ", ".join(map(repr, node.exits)) or "none (one exit)"
    return f"took exit {exit_!r}; its exits are {expected}"


def _bad_wait(at: datetime, now: datetime) -> str | None:
    if at.tzinfo is None:
        return f"resumes at a time without a timezone ({at.isoformat()})"
    if at < now:
        return f"resumes at {at.isoformat()}, before it started"
    return None


def _with_events(contact: Contact, events: Sequence[Event]) -> Contact:
    history = contact.events
    if history and events[0].at < history[-1].at:  # arrived late: keep the history in time order
        merged = tuple(sorted((*history, *events), key=lambda event: event.at))
    else:
        merged = (*history, *events)
    return Contact(contact.id, contact.attributes, merged)


def _failed(
    state: RunState,
    contact: Contact,
    clock: datetime,
    number: int,
    steps: list[StepRecord],
    effects: list[Intent],
    problem: str,
    node: PreparedNode | None = None,
) -> Transition:
    error = problem if node is None else f"node '{node.id}' ({node.type}): {problem}"
    where = node.id if node is not None else state.node
    failed = RunState(where, clock, contact, FAILED, number, None, state.seed, error)
    return Transition(failed, steps, effects)
