"""From the engine's transitions to the store's rows: runs, steps and effect intents."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flowctl.engine.core import Intent, Transition
from flowctl.engine.plan import PreparedFlow
from flowctl.engine.state import RunState
from flowctl.store.base import EffectRecord, Enrolment, RunRecord, StepRow


def effect_key(run_id: str, node: str, step: int) -> str:
    """An effect's key: the same on every retry and resume of the run (DESIGN §8)."""
    return f"{run_id}:{node}:{step}"


def run_id_for(enrolment: Enrolment, line: int) -> str:
    """The id of the run an enrolment creates for its `line`-th input: the same command
    resumed after a crash makes the same ids (the enrolment is stored with the runs), and the
    same command on another state file makes others (its `source` holds a random part), so
    no two state files ever share an effect key."""
    seed = f"{enrolment.id}:{enrolment.source}"
    return f"{hashlib.blake2b(seed.encode(), digest_size=6).hexdigest()}-{line:09d}"


def run_record(
    run_id: str,
    plan: PreparedFlow,
    digest: str,
    state: RunState,
    now: datetime,
    enrolment: str | None = None,
) -> RunRecord:
    """A new run's row, holding `state`."""
    return RunRecord(
        id=run_id,
        flow=plan.name,
        digest=digest,
        contact=state.contact.id,
        status=state.status,
        node=state.node,
        step=state.step,
        wake_at=state.wake_at,
        awaiting=state.awaiting.event if state.awaiting else None,
        state=state.to_json(),
        created_at=now,
        updated_at=now,
        enrolment=enrolment,
        error=state.error,
    )


def updated(record: RunRecord, state: RunState, now: datetime) -> RunRecord:
    """The run's row after a transition to `state` (same version: the store checks it)."""
    return RunRecord(
        id=record.id,
        flow=record.flow,
        digest=record.digest,
        contact=record.contact,
        status=state.status,
        node=state.node,
        step=state.step,
        wake_at=state.wake_at,
        awaiting=state.awaiting.event if state.awaiting else None,
        state=state.to_json(),
        created_at=record.created_at,
        updated_at=now,
        enrolment=record.enrolment,
        attempts=record.attempts,
        error=state.error,
        version=record.version,
    )


def step_rows(run_id: str, transition: Transition) -> list[StepRow]:
    """The steps a transition completed, numbered, each with its effect's key."""
    first = transition.first_step
    rows = []
    for offset, step in enumerate(transition.steps):
        number = first + offset
        node = step.node.id
        key = effect_key(run_id, node, number) if step.outcome.effect is not None else None
        rows.append(
            StepRow(
                run_id,
                number,
                node,
                step.node.type,
                step.at,
                step.outcome.exit,
                key,
                tuple(step.outcome.warnings),
            )
        )
    return rows


def effect_records(
    record: RunRecord, plan: PreparedFlow, intents: list[Intent]
) -> list[EffectRecord]:
    """The intents of a transition as effect rows, pending, in order."""
    rows = []
    for intent in intents:
        effect = intent.effect
        node = plan.by_id[intent.node]
        rows.append(
            EffectRecord(
                key=effect_key(record.id, intent.node, intent.step),
                run=record.id,
                flow=record.flow,
                contact=record.contact,
                node=intent.node,
                step=intent.step,
                at=intent.at,
                channel=effect.channel,
                effect=effect.to_json(),
                retry=node.config.get("retry"),
                attributes=intent.contact.attributes if effect.kind == "send" else None,
            )
        )
    return rows
