"""Records to rows and back: one pair of functions per table, with the column lists that their
SQL shares, so that a query and its decoder cannot disagree on the order."""

from __future__ import annotations

from flowctl.store.base import (
    ChannelState,
    EffectRecord,
    Enrolment,
    EventRecord,
    FlowRecord,
    RunRecord,
    StepRow,
)
from flowctl.store.sqlite_db import (
    Row,
    decode_json,
    decode_time,
    decode_time_or_none,
    encode_json,
    encode_json_or_none,
    encode_time,
    encode_time_or_none,
)

FLOW_COLUMNS = "digest, name, path, source, created_at"
RUN_COLUMNS = (
    "id, flow, digest, contact, status, node, step, wake_at, awaiting, state, created_at, "
    "updated_at, enrolment, attempts, error, version"
)
STEP_COLUMNS = "run, number, node, type, at, exit, effect_key, warnings"
EFFECT_COLUMNS = (
    "key, run, flow, contact, node, step, at, channel, effect, status, attempts, "
    "next_attempt_at, reply, error, retry, attributes"
)
#: The position of `attempts` in EFFECT_COLUMNS.
EFFECT_ATTEMPTS = 10
EVENT_COLUMNS = "id, contact, name, at, properties"
ENROLMENT_COLUMNS = "id, digest, source, position, done"
CHANNEL_COLUMNS = "channel, tokens, tokens_at, failures, window_start, paused_until"


def flow_row(flow: FlowRecord) -> Row:
    return (flow.digest, flow.name, flow.path, flow.source, encode_time(flow.created_at))


def flow_from(row: Row) -> FlowRecord:
    return FlowRecord(row[0], row[1], row[2], row[3], decode_time(row[4]))


def run_row(run: RunRecord) -> Row:
    """The run's columns in RUN_COLUMNS order."""
    return (
        run.id,
        run.flow,
        run.digest,
        run.contact,
        run.status,
        run.node,
        run.step,
        encode_time_or_none(run.wake_at),
        run.awaiting,
        encode_json(run.state),
        encode_time(run.created_at),
        encode_time(run.updated_at),
        run.enrolment,
        run.attempts,
        run.error,
        run.version,
    )


def run_from(row: Row) -> RunRecord:
    return RunRecord(
        id=row[0],
        flow=row[1],
        digest=row[2],
        contact=row[3],
        status=row[4],
        node=row[5],
        step=row[6],
        wake_at=decode_time_or_none(row[7]),
        awaiting=row[8],
        state=decode_json(row[9]),
        created_at=decode_time(row[10]),
        updated_at=decode_time(row[11]),
        enrolment=row[12],
        attempts=row[13],
        error=row[14],
        version=row[15],
    )


def step_row(step: StepRow) -> Row:
    return (
        step.run,
        step.number,
        step.node,
        step.type,
        encode_time(step.at),
        step.exit,
        step.effect_key,
        encode_json(list(step.warnings)) if step.warnings else "[]",  # most steps have none
    )


def step_from(row: Row) -> StepRow:
    return StepRow(
        row[0],
        row[1],
        row[2],
        row[3],
        decode_time(row[4]),
        row[5],
        row[6],
        tuple(decode_json(row[7])),
    )


def effect_row(effect: EffectRecord) -> Row:
    """The effect's columns in EFFECT_COLUMNS order."""
    return (
        effect.key,
        effect.run,
        effect.flow,
        effect.contact,
        effect.node,
        effect.step,
        encode_time(effect.at),
        effect.channel,
        encode_json(effect.effect),
        effect.status,
        effect.attempts,
        encode_time_or_none(effect.next_attempt_at),
        encode_json_or_none(effect.reply),
        effect.error,
        encode_json_or_none(effect.retry),
        encode_json_or_none(effect.attributes),
    )


def effect_from(row: Row, attempts: int | None = None) -> EffectRecord:
    """The effect of `row` (which may carry more columns after EFFECT_COLUMNS); `attempts`
    replaces the stored count (a claim bumps it)."""
    return EffectRecord(
        key=row[0],
        run=row[1],
        flow=row[2],
        contact=row[3],
        node=row[4],
        step=row[5],
        at=decode_time(row[6]),
        channel=row[7],
        effect=decode_json(row[8]),
        status=row[9],
        attempts=row[EFFECT_ATTEMPTS] if attempts is None else attempts,
        next_attempt_at=decode_time_or_none(row[11]),
        reply=decode_json(row[12]),
        error=row[13],
        retry=decode_json(row[14]),
        attributes=decode_json(row[15]),
    )


def event_row(event: EventRecord) -> Row:
    return (
        event.id,
        event.contact,
        event.name,
        encode_time(event.at),
        encode_json(event.properties),
    )


def event_from(row: Row) -> EventRecord:
    return EventRecord(row[0], row[1], row[2], decode_time(row[3]), decode_json(row[4]))


def enrolment_row(enrolment: Enrolment) -> Row:
    return (
        enrolment.id,
        enrolment.digest,
        enrolment.source,
        enrolment.position,
        int(enrolment.done),
    )


def enrolment_from(row: Row) -> Enrolment:
    return Enrolment(row[0], row[1], row[2], row[3], bool(row[4]))


def channel_row(state: ChannelState) -> Row:
    return (
        state.channel,
        state.tokens,
        encode_time_or_none(state.tokens_at),
        state.failures,
        encode_time_or_none(state.window_start),
        encode_time_or_none(state.paused_until),
    )


def channel_from(row: Row) -> ChannelState:
    return ChannelState(
        row[0],
        row[1],
        decode_time_or_none(row[2]),
        row[3],
        decode_time_or_none(row[4]),
        decode_time_or_none(row[5]),
    )
