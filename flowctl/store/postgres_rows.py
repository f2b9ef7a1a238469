"""PostgreSQL rows back to records. Rows are written with `sqlite_rows` (the same columns, in
the same order); PostgreSQL hands back `timestamptz` as aware datetimes and `json` parsed."""

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
from flowctl.store.postgres_db import Row
from flowctl.store.sqlite_rows import EFFECT_ATTEMPTS


def flow_from(row: Row) -> FlowRecord:
    return FlowRecord(row[0], row[1], row[2], row[3], row[4])


def run_from(row: Row) -> RunRecord:
    return RunRecord(*row[:16])


def step_from(row: Row) -> StepRow:
    return StepRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(row[7]))


def effect_from(row: Row, attempts: int | None = None) -> EffectRecord:
    """The effect of `row` (which may carry more columns after the effect's); `attempts`
    replaces the stored count (a claim bumps it)."""
    return EffectRecord(
        key=row[0],
        run=row[1],
        flow=row[2],
        contact=row[3],
        node=row[4],
        step=row[5],
        at=row[6],
        channel=row[7],
        effect=row[8],
        status=row[9],
        attempts=row[EFFECT_ATTEMPTS] if attempts is None else attempts,
        next_attempt_at=row[11],
        reply=row[12],
        error=row[13],
        retry=row[14],
        attributes=row[15],
    )


def event_from(row: Row) -> EventRecord:
    return EventRecord(row[0], row[1], row[2], row[3], row[4])


def enrolment_from(row: Row) -> Enrolment:
    return Enrolment(row[0], row[1], row[2], row[3], bool(row[4]))


def channel_from(row: Row) -> ChannelState:
    return ChannelState(*row[:6])
