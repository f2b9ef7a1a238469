"""The writes of one transaction of the SQLite store: each list goes in one `executemany`,
each lookup of many keys in a few `IN (...)` queries, never a statement per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flowctl.store.base import (
    ChannelState,
    EffectRecord,
    Enrolment,
    EventRecord,
    FlowRecord,
    RunRecord,
    StepRow,
    evolve,
)
from flowctl.store.sqlite_db import (
    Db,
    Row,
    chunks,
    encode_json_or_none,
    encode_time,
    encode_time_or_none,
    marks,
    now_text,
)
from flowctl.store.sqlite_rows import (
    CHANNEL_COLUMNS,
    EFFECT_ATTEMPTS,
    EFFECT_COLUMNS,
    ENROLMENT_COLUMNS,
    EVENT_COLUMNS,
    FLOW_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
    channel_from,
    channel_row,
    effect_from,
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
_INSERT_RUN = f"INSERT INTO runs ({RUN_COLUMNS}) VALUES ({marks(16)})"
# Only the columns that change as a run moves on: SQLite rewrites the index entries of every
# column a SET names, so naming the fixed ones (flow, contact, enrolment) would cost for nothing.
_UPDATE_RUN = (
    "UPDATE runs SET status = ?, node = ?, step = ?, wake_at = ?, awaiting = ?, state = ?, "
    "updated_at = ?, attempts = ?, error = ?, version = ? WHERE id = ? AND version = ?"
)
_INSERT_STEP = f"INSERT INTO steps ({STEP_COLUMNS}) VALUES ({marks(8)})"
_INSERT_EFFECT = (
    f"INSERT INTO effects ({EFFECT_COLUMNS}) VALUES ({marks(16)}) ON CONFLICT (key) DO NOTHING"
)
_INSERT_CLAIMED_EFFECT = (
    f"INSERT INTO effects ({EFFECT_COLUMNS}, claimed_by, claimed_until) VALUES ({marks(18)})"
)
_UPDATE_EFFECT = (
    "UPDATE effects SET status = ?, attempts = ?, next_attempt_at = ?, reply = ?, error = ?, "
    "claimed_by = NULL, claimed_until = NULL WHERE key = ?"
)
_UPDATE_CLAIMED_EFFECT = f"{_UPDATE_EFFECT} AND claimed_by = ?"
_CLAIM = (
    "UPDATE effects SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 WHERE key = ?"
)
_INSERT_EVENT = (
    f"INSERT INTO events ({EVENT_COLUMNS}) VALUES ({marks(5)}) ON CONFLICT (id) DO NOTHING"
)
_PUT_ENROLMENT = (
    f"INSERT INTO enrolments ({ENROLMENT_COLUMNS}) VALUES ({marks(5)}) ON CONFLICT (id) DO "
    "UPDATE SET digest = excluded.digest, source = excluded.source, "
    "position = excluded.position, done = excluded.done"
)


class SqliteBatch:
    """The writes of one transaction of a `SqliteStore` (the `Batch` protocol)."""

    __slots__ = ("_db", "_open")

    def __init__(self, db: Db) -> None:
        self._db = db
        self._open = True

    def end(self) -> None:
        """Refuse writes from now on: the transaction is over (a write would commit alone)."""
        self._open = False

    @property
    def db(self) -> Db:
        if not self._open:
            raise RuntimeError("this batch has ended; open a new one with store.batch()")
        return self._db

    def add_flow(self, flow: FlowRecord) -> None:
        self.db.execute(
            f"INSERT INTO flows ({FLOW_COLUMNS}) VALUES ({marks(5)}) "
            "ON CONFLICT (digest) DO NOTHING",
            flow_row(flow),
        )

    def add_runs(self, runs: Sequence[RunRecord]) -> None:
        self.db.many(_INSERT_RUN, map(run_row, runs))

    def update_run(self, run: RunRecord) -> RunRecord | None:
        updated = evolve(run, version=run.version + 1)
        return updated if self.db.execute(_UPDATE_RUN, _moved(run, updated)) == 1 else None

    def update_runs(self, runs: Sequence[RunRecord]) -> list[RunRecord | None]:
        updated = [evolve(run, version=run.version + 1) for run in runs]
        # One statement for all, the common case; when a run moved on meanwhile, undo it and
        # go one by one, to tell which.
        self.db.execute("SAVEPOINT update_runs")
        changed = self.db.many(_UPDATE_RUN, map(_moved, runs, updated))
        if changed == len(runs):
            self.db.execute("RELEASE update_runs")
            return list(updated)
        self.db.execute("ROLLBACK TO update_runs")
        self.db.execute("RELEASE update_runs")
        return [self.update_run(run) for run in runs]

    def add_steps(self, steps: Sequence[StepRow]) -> None:
        self.db.many(_INSERT_STEP, map(step_row, steps))

    def add_effects(self, effects: Sequence[EffectRecord]) -> None:
        self.db.many(_INSERT_EFFECT, map(effect_row, effects))

    def add_claimed_effects(
        self, effects: Sequence[EffectRecord], worker: str, until: datetime
    ) -> list[EffectRecord]:
        claimed = [evolve(effect, attempts=effect.attempts + 1) for effect in effects]
        lease = encode_time(until)
        self.db.many(
            _INSERT_CLAIMED_EFFECT, ((*effect_row(effect), worker, lease) for effect in claimed)
        )
        return claimed

    def update_effect(self, effect: EffectRecord, worker: str | None = None) -> bool:
        if worker is None:
            return self.db.execute(_UPDATE_EFFECT, _result_of(effect)) == 1
        return self.db.execute(_UPDATE_CLAIMED_EFFECT, (*_result_of(effect), worker)) == 1

    def update_effects(self, effects: Sequence[EffectRecord], worker: str) -> None:
        self.db.many(_UPDATE_CLAIMED_EFFECT, ((*_result_of(effect), worker) for effect in effects))

    def claim_effects(
        self, keys: Sequence[str], worker: str, until: datetime
    ) -> list[EffectRecord]:
        wall = now_text()
        rows: list[Row] = []
        for chunk in chunks(list(dict.fromkeys(keys))):
            rows += self.db.all(
                f"SELECT {EFFECT_COLUMNS}, claimed_by, claimed_until FROM effects "
                f"WHERE status = 'pending' AND key IN ({marks(len(chunk))})",
                chunk,
            )
        holders = {row[-2] for row in rows if row[-2] not in (None, worker) and row[-1] > wall}
        live = {holder for holder in holders if is_alive(holder)}
        free = [row for row in rows if row[-2] not in live or row[-1] <= wall]
        lease = encode_time(until)
        self.db.many(_CLAIM, ((worker, lease, row[0]) for row in free))
        order = {key: index for index, key in enumerate(keys)}
        free.sort(key=lambda row: order[row[0]])
        return [effect_from(row, attempts=row[EFFECT_ATTEMPTS] + 1) for row in free]

    def release_claims(self, worker: str) -> None:
        self.db.execute(
            "UPDATE effects SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?",
            (worker,),
        )

    def add_event(self, event: EventRecord) -> bool:
        return self.db.execute(_INSERT_EVENT, event_row(event)) == 1

    def add_events(self, events: Sequence[EventRecord]) -> list[EventRecord]:
        fresh = {event.id: event for event in reversed(events)}  # the first of each id wins
        for chunk in chunks(list(fresh)):
            found = self.db.all(f"SELECT id FROM events WHERE id IN ({marks(len(chunk))})", chunk)
            for (event_id,) in found:
                del fresh[event_id]
        new = [event for event in events if fresh.get(event.id) is event]
        self.db.many(_INSERT_EVENT, map(event_row, new))
        return new

    def put_enrolment(self, enrolment: Enrolment) -> None:
        self.db.execute(_PUT_ENROLMENT, enrolment_row(enrolment))

    def channel_state(self, channel: str) -> ChannelState:
        # The batch holds SQLite's write lock (BEGIN IMMEDIATE): no other batch reads it now.
        row = self.db.one(f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE channel = ?", (channel,))
        return ChannelState(channel) if row is None else channel_from(row)

    def put_channel_state(self, state: ChannelState) -> None:
        self.db.execute(
            f"INSERT INTO channels ({CHANNEL_COLUMNS}) VALUES ({marks(6)}) ON CONFLICT (channel) "
            "DO UPDATE SET tokens = excluded.tokens, tokens_at = excluded.tokens_at, "
            "failures = excluded.failures, window_start = excluded.window_start, "
            "paused_until = excluded.paused_until",
            channel_row(state),
        )

    def live_contacts(self, flow: str, contacts: Iterable[str]) -> set[str]:
        live: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(contacts))):
            live.update(
                row[0]
                for row in self.db.all(
                    f"SELECT DISTINCT contact FROM runs WHERE flow = ? AND {LIVE} "
                    f"AND contact IN ({marks(len(chunk))})",
                    (flow, *chunk),
                )
            )
        return live


def _result_of(effect: EffectRecord) -> Row:
    """The parameters of `_UPDATE_EFFECT`: an effect's delivery state, and its key."""
    return (
        effect.status,
        effect.attempts,
        encode_time_or_none(effect.next_attempt_at),
        encode_json_or_none(effect.reply),
        effect.error,
        effect.key,
    )


def _moved(run: RunRecord, updated: RunRecord) -> Row:
    """The parameters of `_UPDATE_RUN` that write `updated` over `run`."""
    row = run_row(updated)
    return (*row[4:10], row[11], *row[13:], run.id, run.version)
