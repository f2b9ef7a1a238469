"""The writes of one transaction of the PostgreSQL store, and what they leave to dispatch.

Each list goes in one `executemany` (psycopg pipelines it), each lookup of many keys in one
`= ANY(%s)` query. A batch also notes which runs and effects it left due now or at a later
time (`Changes`): the store hands them to its dispatcher inside the same transaction, so that
the jobs that will move them on are committed with them, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from flowctl.store.base import (
    PENDING,
    ChannelState,
    EffectRecord,
    Enrolment,
    EventRecord,
    FlowRecord,
    RunRecord,
    StepRow,
    evolve,
)
from flowctl.store.postgres_db import Db
from flowctl.store.postgres_rows import channel_from, effect_from
from flowctl.store.sqlite_db import encode_time
from flowctl.store.sqlite_rows import (
    CHANNEL_COLUMNS,
    EFFECT_ATTEMPTS,
    EFFECT_COLUMNS,
    ENROLMENT_COLUMNS,
    EVENT_COLUMNS,
    FLOW_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
    channel_row,
    effect_row,
    enrolment_row,
    event_row,
    flow_row,
    run_row,
    step_row,
)
from flowctl.store.workers import is_alive

#: Live runs, in SQL.
LIVE = "status IN ('active', 'waiting')"


def marks(count: int) -> str:
    return ", ".join(["%s"] * count)


_INSERT_RUN = f"INSERT INTO flowctl_runs ({RUN_COLUMNS}) VALUES ({marks(16)})"
_UPDATE_RUN = (
    "UPDATE flowctl_runs SET status = %s, node = %s, step = %s, wake_at = %s, awaiting = %s, "
    "state = %s, updated_at = %s, attempts = %s, error = %s, version = %s "
    "WHERE id = %s AND version = %s"
)
_INSERT_STEP = f"INSERT INTO flowctl_steps ({STEP_COLUMNS}) VALUES ({marks(8)})"
_INSERT_EFFECT = (
    f"INSERT INTO flowctl_effects ({EFFECT_COLUMNS}) VALUES ({marks(16)}) "
    "ON CONFLICT (key) DO NOTHING"
)
_INSERT_CLAIMED_EFFECT = (
    f"INSERT INTO flowctl_effects ({EFFECT_COLUMNS}, claimed_by, claimed_until) "
    f"VALUES ({marks(18)})"
)
_UPDATE_EFFECT = (
    "UPDATE flowctl_effects SET status = %s, attempts = %s, next_attempt_at = %s, reply = %s, "
    "error = %s, claimed_by = NULL, claimed_until = NULL WHERE key = %s"
)
_INSERT_EVENT = (
    f"INSERT INTO flowctl_events ({EVENT_COLUMNS}) VALUES ({marks(5)}) ON CONFLICT (id) DO NOTHING"
)
_PUT_ENROLMENT = (
    f"INSERT INTO flowctl_enrolments ({ENROLMENT_COLUMNS}) VALUES ({marks(5)}) "
    "ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, source = excluded.source, "
    "position = excluded.position, done = excluded.done"
)


@dataclass(frozen=True, slots=True)
class DueRun:
    """A run a batch left to be advanced: at once (`at` None) or at its wake time."""

    id: str
    version: int  # the version the batch wrote: a job for an older one is stale
    at: datetime | None


@dataclass(frozen=True, slots=True)
class DueEffect:
    """An effect a batch left to be delivered: at once (`at` None) or at its next attempt."""

    key: str
    channel: str
    at: datetime | None


@dataclass(slots=True)
class Changes:
    """What one batch left due, for the store's dispatcher."""

    runs: dict[str, DueRun] = field(default_factory=dict)
    effects: dict[str, DueEffect] = field(default_factory=dict)
    settled: set[str] = field(default_factory=set)  # runs of which an effect stopped pending

    def note_run(self, run: RunRecord) -> None:
        if run.status == "active":
            self.runs[run.id] = DueRun(run.id, run.version, None)
        elif run.status == "waiting" and run.wake_at is not None:
            self.runs[run.id] = DueRun(run.id, run.version, run.wake_at)
        else:  # ended, or waiting for an event only: nothing to schedule
            self.runs.pop(run.id, None)

    def __bool__(self) -> bool:
        return bool(self.runs or self.effects or self.settled)


@dataclass(frozen=True, slots=True)
class Expected:
    """What the next batches will update (`PostgresStore.expecting`)."""

    runs: tuple[tuple[str, int], ...] = ()
    claims_of: str | None = None


class PostgresBatch:
    """The writes of one transaction of a `PostgresStore` (the `Batch` protocol)."""

    __slots__ = ("_claimed", "_db", "_locked", "_open", "_runs", "changes")

    def __init__(self, db: Db) -> None:
        self._db = db
        self._open = True
        self._locked: set[str] = set()
        self._runs: dict[str, int] = {}  # runs this transaction locked: id -> version
        self._claimed: set[str] = set()  # effects of `Expected.claims_of`, locked
        self.changes = Changes()

    def take_expected(self, expected: Expected) -> None:
        """Lock what the batch is expected to update (rows another transaction holds are
        skipped: their updates take the ordinary path, and wait)."""
        if expected.runs:
            rows = self.db.all(
                "SELECT id, version FROM flowctl_runs WHERE id = ANY(%s) "
                "ORDER BY id FOR UPDATE SKIP LOCKED",
                ([run_id for run_id, _ in expected.runs],),
            )
            self._runs = {row[0]: row[1] for row in rows}
        if expected.claims_of is not None:
            rows = self.db.all(
                "SELECT key FROM flowctl_effects WHERE claimed_by = %s "
                "ORDER BY key FOR UPDATE SKIP LOCKED",
                (expected.claims_of,),
            )
            self._claimed = {row[0] for row in rows}

    def end(self) -> None:
        """Refuse writes from now on: the transaction is over."""
        self._open = False

    @property
    def db(self) -> Db:
        if not self._open:
            raise RuntimeError("this batch has ended; open a new one with store.batch()")
        return self._db

    def lock_flow(self, flow: str) -> None:
        """Take this transaction's turn at enrolling contacts in `flow`: what SQLite's single
        writer gives for free, so that two commands never both enrol one contact."""
        if flow not in self._locked:
            self.db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (flow,))
            self._locked.add(flow)

    def add_flow(self, flow: FlowRecord) -> None:
        self.db.execute(
            f"INSERT INTO flowctl_flows ({FLOW_COLUMNS}) VALUES ({marks(5)}) "
            "ON CONFLICT (digest) DO NOTHING",
            flow_row(flow),
        )

    def add_runs(self, runs: Sequence[RunRecord]) -> None:
        self.db.queue(_INSERT_RUN, map(run_row, runs))
        for run in runs:
            self.changes.note_run(run)

    def update_run(self, run: RunRecord) -> RunRecord | None:
        updated = evolve(run, version=run.version + 1)
        row = run_row(updated)
        params = (*row[4:10], row[11], *row[13:], run.id, run.version)
        if self._runs.get(run.id) == run.version:  # locked at this version: it will match
            self.db.queue(_UPDATE_RUN, [params])
            self._runs[run.id] = updated.version
        else:
            self._runs.pop(run.id, None)
            if self.db.execute(_UPDATE_RUN, params) != 1:
                return None
        self.changes.note_run(updated)
        return updated

    def update_runs(self, runs: Sequence[RunRecord]) -> list[RunRecord | None]:
        # Those this transaction locked are held and sent in one pipeline; the others each
        # need their answer.
        return [self.update_run(run) for run in runs]

    def add_steps(self, steps: Sequence[StepRow]) -> None:
        self.db.queue(_INSERT_STEP, map(step_row, steps))

    def add_effects(self, effects: Sequence[EffectRecord]) -> None:
        self.db.queue(_INSERT_EFFECT, map(effect_row, effects))
        for effect in effects:
            if effect.status == PENDING:
                self._note_effect(effect)

    def add_claimed_effects(
        self, effects: Sequence[EffectRecord], worker: str, until: datetime
    ) -> list[EffectRecord]:
        claimed = [evolve(effect, attempts=effect.attempts + 1) for effect in effects]
        lease = encode_time(until)
        self.db.queue(
            _INSERT_CLAIMED_EFFECT, [(*effect_row(effect), worker, lease) for effect in claimed]
        )
        for effect in claimed:
            # Its delivery job finds it claimed while this worker lives; it is there for
            # the case that the worker dies before it delivers.
            self._note_effect(effect)
        return claimed

    def _note_effect(self, effect: EffectRecord) -> None:
        due = DueEffect(effect.key, effect.channel, effect.next_attempt_at)
        self.changes.effects[effect.key] = due

    def update_effect(self, effect: EffectRecord, worker: str | None = None) -> bool:
        row = effect_row(effect)
        params = (row[9], row[10], row[11], row[12], row[13], effect.key)
        sql = _UPDATE_EFFECT if worker is None else f"{_UPDATE_EFFECT} AND claimed_by = %s"
        if effect.key in self._claimed:  # held by this worker and locked: it will match
            self._claimed.discard(effect.key)  # the update ends the claim
            self.db.queue(_UPDATE_EFFECT, [params])
            written = True
        else:
            written = self.db.execute(sql, params if worker is None else (*params, worker)) == 1
        # A retry at a later time needs a job then; one put back untried waits for the
        # earlier effect of its run, whose delivery job takes the run's later ones along.
        if written and effect.status == PENDING and effect.next_attempt_at is not None:
            self._note_effect(effect)
        elif written and effect.status != PENDING:
            self.changes.settled.add(effect.run)
        return written

    def update_effects(self, effects: Sequence[EffectRecord], worker: str) -> None:
        for effect in effects:
            self.update_effect(effect, worker)

    def next_pending(self, runs: Iterable[str]) -> list[EffectRecord]:
        """The first pending effect of each of `runs` that has one: what a run delivers next."""
        rows = self.db.all(
            f"SELECT DISTINCT ON (run) {EFFECT_COLUMNS} FROM flowctl_effects "
            "WHERE status = 'pending' AND run = ANY(%s) ORDER BY run, step",
            (list(runs),),
        )
        return [effect_from(row) for row in rows]

    @property
    def connection(self) -> psycopg.Connection:
        """The transaction's connection: jobs deferred on it commit with the batch."""
        return self.db.conn

    def claim_effects(
        self, keys: Sequence[str], worker: str, until: datetime
    ) -> list[EffectRecord]:
        wall = datetime.now(UTC)
        unique = list(dict.fromkeys(keys))
        # SKIP LOCKED: an effect that another transaction is claiming right now is theirs.
        rows = self.db.all(
            f"SELECT {EFFECT_COLUMNS}, claimed_by, claimed_until FROM flowctl_effects "
            "WHERE status = 'pending' AND key = ANY(%s) FOR UPDATE SKIP LOCKED",
            (unique,),
        )
        holders = {row[-2] for row in rows if row[-2] not in (None, worker) and row[-1] > wall}
        live = {holder for holder in holders if is_alive(holder)}
        free = [row for row in rows if row[-2] not in live or row[-1] <= wall]
        if free:
            self.db.execute(
                "UPDATE flowctl_effects SET claimed_by = %s, claimed_until = %s, "
                "attempts = attempts + 1 WHERE key = ANY(%s)",
                (worker, encode_time(until), [row[0] for row in free]),
            )
        order = {key: index for index, key in enumerate(keys)}
        free.sort(key=lambda row: order[row[0]])
        return [effect_from(row, attempts=row[EFFECT_ATTEMPTS] + 1) for row in free]

    def release_claims(self, worker: str) -> None:
        self.db.execute(
            "UPDATE flowctl_effects SET claimed_by = NULL, claimed_until = NULL "
            "WHERE claimed_by = %s",
            (worker,),
        )

    def add_event(self, event: EventRecord) -> bool:
        return self.db.execute(_INSERT_EVENT, event_row(event)) == 1

    def add_events(self, events: Sequence[EventRecord]) -> list[EventRecord]:
        fresh = {event.id: event for event in reversed(events)}  # the first of each id wins
        if fresh:
            found = self.db.all("SELECT id FROM flowctl_events WHERE id = ANY(%s)", (list(fresh),))
            for (event_id,) in found:
                del fresh[event_id]
        new = [event for event in events if fresh.get(event.id) is event]
        self.db.many(_INSERT_EVENT, map(event_row, new))
        return new

    def put_enrolment(self, enrolment: Enrolment) -> None:
        self.db.execute(_PUT_ENROLMENT, (*enrolment_row(enrolment)[:4], enrolment.done))

    def channel_state(self, channel: str) -> ChannelState:
        # The row exists before it is locked, so that the first two workers also take turns.
        self.db.execute(
            "INSERT INTO flowctl_channels (channel, tokens, failures) VALUES (%s, 0, 0) "
            "ON CONFLICT (channel) DO NOTHING",
            (channel,),
        )
        row = self.db.one(
            f"SELECT {CHANNEL_COLUMNS} FROM flowctl_channels WHERE channel = %s FOR UPDATE",
            (channel,),
        )
        assert row is not None
        return channel_from(row)

    def put_channel_state(self, state: ChannelState) -> None:
        self.db.execute(
            f"INSERT INTO flowctl_channels ({CHANNEL_COLUMNS}) VALUES ({marks(6)}) "
            "ON CONFLICT (channel) DO UPDATE SET tokens = excluded.tokens, "
            "tokens_at = excluded.tokens_at, failures = excluded.failures, "
            "window_start = excluded.window_start, paused_until = excluded.paused_until",
            channel_row(state),
        )

    def live_contacts(self, flow: str, contacts: Iterable[str]) -> set[str]:
        self.lock_flow(flow)
        rows = self.db.all(
            f"SELECT DISTINCT contact FROM flowctl_runs WHERE flow = %s AND {LIVE} "
            "AND contact = ANY(%s)",
            (flow, list(dict.fromkeys(contacts))),
        )
        return {row[0] for row in rows}
