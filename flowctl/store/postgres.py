"""The run store on PostgreSQL (`--store postgresql://...`): for several workers on several
machines (docs/scale.md). The same interface and contract as the SQLite store.

Reads run in autocommit mode and see committed data; a batch is one transaction, whose
statements wait up to the store's timeout for another's row locks (`lock_timeout`). Runs are
updated only at the version they were read at, so of two workers that race for one run the
second finds no row to update and drops its transition. A batch hands what it left due to the
store's dispatcher (`Dispatcher`) before it commits, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

import psycopg

from flowctl.engine.state import RUN_STATUSES
from flowctl.store import postgres_schema
from flowctl.store.base import (
    EffectRecord,
    Enrolment,
    EventRecord,
    FlowRecord,
    RunRecord,
    StepRow,
    StoreError,
)
from flowctl.store.postgres_batch import LIVE, Changes, Expected, PostgresBatch
from flowctl.store.postgres_db import Db, connect, describe
from flowctl.store.postgres_rows import (
    effect_from,
    enrolment_from,
    event_from,
    flow_from,
    run_from,
    step_from,
)
from flowctl.store.postgres_url import is_url
from flowctl.store.sqlite_rows import (
    EFFECT_COLUMNS,
    ENROLMENT_COLUMNS,
    EVENT_COLUMNS,
    FLOW_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
)
from flowctl.store.workers import is_alive

#: Called inside a batch's transaction, before it commits, with the batch: its `changes` say
#: what it left due, its `connection` is the transaction's.
Dispatcher = Callable[[PostgresBatch], None]

_OLDEST_FIRST = "ORDER BY created_at, id"
_SELECT_RUNS = f"SELECT {RUN_COLUMNS} FROM flowctl_runs"
_SELECT_EFFECTS = f"SELECT {EFFECT_COLUMNS} FROM flowctl_effects"
_PAGE = 500


class PostgresStore:
    """A `RunStore` in a PostgreSQL database. Open it with `PostgresStore.open`."""

    def __init__(self, db: Db, url: str) -> None:
        self._db = db
        self.url = url
        self._in_batch: PostgresBatch | None = None
        self._expected = Expected()
        self.dispatcher: Dispatcher | None = None

    @classmethod
    def open(cls, url: str, *, timeout: float = 10.0) -> PostgresStore:
        """The store at `url` (a libpq URL). StoreError when the server cannot be reached or
        its flowctl tables are missing, older or from a newer flowctl."""
        conn = connect(url, timeout)
        db = Db(conn, describe(url), timeout)
        try:
            postgres_schema.check(conn, db.where)
        except psycopg.Error as exc:
            conn.close()
            raise db.error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(db, url)

    @staticmethod
    def migrate(url: str, *, timeout: float = 10.0) -> list[str]:
        """Create or upgrade the store's tables and the job queue's schema; what was done."""
        conn = connect(url, timeout)
        try:
            return postgres_schema.migrate(conn, describe(url))
        except psycopg.Error as exc:
            raise Db(conn, describe(url), timeout).error(exc) from exc
        finally:
            conn.close()

    @staticmethod
    def describe(url: str) -> str:
        """The store as messages name it, without its password."""
        return describe(url)

    @property
    def connection(self) -> psycopg.Connection:
        """The connection, for what must share a batch's transaction (deferring jobs)."""
        return self._db.conn

    @property
    def usable(self) -> bool:
        """False once the connection is closed or broken: the store must be opened again."""
        conn = self._db.conn
        return not (conn.closed or conn.broken)

    @property
    def where(self) -> str:
        return self._db.where

    @contextmanager
    def expecting(
        self, runs: Sequence[tuple[str, int]] = (), claims_of: str | None = None
    ) -> Iterator[None]:
        """While the block runs, each batch first locks `runs` (at the versions they have)
        and the effects `claims_of` holds, in one query each, so that updating them needs no
        round trip of its own: a locked row cannot move on before the batch commits. Batches
        of queue jobs know up front what they will write; this is what makes them cheap."""
        previous = self._expected
        self._expected = Expected(tuple(runs), claims_of)
        try:
            yield
        finally:
            self._expected = previous

    @contextmanager
    def batch(self) -> Iterator[PostgresBatch]:
        if self._in_batch is not None:
            raise RuntimeError("a batch of this store is open already")
        batch = self._in_batch = PostgresBatch(self._db)
        conn = self._db.conn
        try:
            conn.execute("BEGIN")
            batch.take_expected(self._expected)
            yield batch
            self._db.flush()
            if self.dispatcher is not None and batch.changes:
                self.dispatcher(batch)
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            self._rollback()
            raise self._db.error(exc) from exc
        except BaseException:
            self._rollback()
            raise
        finally:
            batch.end()
            self._in_batch = None

    def _rollback(self) -> None:
        self._db.drop()
        with suppress(psycopg.Error):
            self._db.conn.rollback()

    def close(self) -> None:
        self._db.conn.close()

    def flow(self, digest: str) -> FlowRecord | None:
        row = self._db.one(f"SELECT {FLOW_COLUMNS} FROM flowctl_flows WHERE digest = %s", (digest,))
        return None if row is None else flow_from(row)

    def run(self, run_id: str) -> RunRecord | None:
        row = self._db.one(f"{_SELECT_RUNS} WHERE id = %s", (run_id,))
        return None if row is None else run_from(row)

    def runs_at(self, wanted: list[tuple[str, int]]) -> list[RunRecord]:
        """The runs of `wanted` that are still at the given version, in the given order."""
        if not wanted:
            return []
        rows = self._db.all(f"{_SELECT_RUNS} WHERE id = ANY(%s)", ([w[0] for w in wanted],))
        by_id = {row[0]: run_from(row) for row in rows}
        return [
            by_id[run_id]
            for run_id, version in wanted
            if run_id in by_id and by_id[run_id].version == version
        ]

    def runs(
        self,
        *,
        flow: str | None = None,
        status: str | None = None,
        contact: str | None = None,
        enrolment: str | None = None,
        limit: int | None = None,
    ) -> Iterator[RunRecord]:
        filters = {"flow": flow, "status": status, "contact": contact, "enrolment": enrolment}
        given = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} = %s" for column in given) or "true"
        params: list[object] = list(given.values())
        if limit is not None:
            params.append(limit)
        # As in the SQLite store: the order is decided once, over the row numbers, and the
        # rows read a page at a time, so no cursor stays open while the caller writes.
        order = [
            row[0]
            for row in self._db.all(
                f"SELECT seq FROM flowctl_runs WHERE {where} {_OLDEST_FIRST}"
                + (" LIMIT %s" if limit is not None else ""),
                params,
            )
        ]
        return self._runs_by_seq(order)

    def _runs_by_seq(self, order: list[int]) -> Iterator[RunRecord]:
        for start in range(0, len(order), _PAGE):
            page = order[start : start + _PAGE]
            rows = self._db.all(
                f"SELECT seq, {RUN_COLUMNS} FROM flowctl_runs WHERE seq = ANY(%s)", (page,)
            )
            by_seq = {row[0]: row[1:] for row in rows}
            yield from (run_from(by_seq[seq]) for seq in page if seq in by_seq)

    def live_run_of(self, flow: str, contact: str) -> RunRecord | None:
        if self._in_batch is not None:  # a check before enrolling: take the flow's turn
            self._in_batch.lock_flow(flow)
        # Sorted here, not in SQL: with ORDER BY ... LIMIT 1 the planner may walk the whole
        # table in time order instead of looking the contact up in (flow, contact, status).
        rows = self._db.all(
            f"{_SELECT_RUNS} WHERE flow = %s AND contact = %s AND {LIVE}", (flow, contact)
        )
        live = sorted((run_from(row) for row in rows), key=lambda run: (run.created_at, run.id))
        return live[0] if live else None

    def live_runs_of_contact(self, contact: str) -> list[RunRecord]:
        rows = self._db.all(
            f"{_SELECT_RUNS} WHERE contact = %s AND {LIVE} {_OLDEST_FIRST}", (contact,)
        )
        return [run_from(row) for row in rows]

    def due_runs(self, now: datetime, limit: int) -> list[RunRecord]:
        rows = self._db.all(
            f"{_SELECT_RUNS} WHERE status = 'active' ORDER BY wake_at NULLS FIRST, id LIMIT %s",
            (limit,),
        )
        if len(rows) < limit:
            rows += self._db.all(
                f"{_SELECT_RUNS} WHERE status = 'waiting' AND wake_at <= %s "
                "ORDER BY wake_at, id LIMIT %s",
                (_aware(now), limit - len(rows)),
            )
        return [run_from(row) for row in rows]

    def next_wake(self) -> datetime | None:
        row = self._db.one(
            "SELECT least((SELECT min(wake_at) FROM flowctl_runs WHERE status = 'waiting'), "
            "(SELECT min(next_attempt_at) FROM flowctl_effects WHERE status = 'pending'))"
        )
        return None if row is None else row[0]

    def steps(self, run_id: str) -> list[StepRow]:
        rows = self._db.all(
            f"SELECT {STEP_COLUMNS} FROM flowctl_steps WHERE run = %s ORDER BY number", (run_id,)
        )
        return [step_from(row) for row in rows]

    def effects_of(self, run_id: str) -> list[EffectRecord]:
        rows = self._db.all(f"{_SELECT_EFFECTS} WHERE run = %s ORDER BY step", (run_id,))
        return [effect_from(row) for row in rows]

    def pending_effects_with(self, keys: list[str]) -> list[EffectRecord]:
        """The pending effects of the runs of the effects `keys`, in (run, step) order."""
        rows = self._db.all(
            f"{_SELECT_EFFECTS} WHERE status = 'pending' AND run IN "
            "(SELECT run FROM flowctl_effects WHERE key = ANY(%s)) ORDER BY run, step",
            (keys,),
        )
        return [effect_from(row) for row in rows]

    def effect(self, key: str) -> EffectRecord | None:
        row = self._db.one(f"{_SELECT_EFFECTS} WHERE key = %s", (key,))
        return None if row is None else effect_from(row)

    def undelivered_runs(self, run_ids: Sequence[str]) -> set[str]:
        rows = self._db.all(
            "SELECT DISTINCT run FROM flowctl_effects WHERE status IN ('pending', 'failed') "
            "AND run = ANY(%s)",
            (list(dict.fromkeys(run_ids)),),
        )
        return {row[0] for row in rows}

    def due_effects(self, now: datetime, limit: int, worker: str) -> list[EffectRecord]:
        wall = datetime.now(UTC)
        live = self._live_holders(worker, wall)
        rows = self._db.all(
            f"SELECT {EFFECT_COLUMNS} FROM flowctl_effects AS e WHERE e.status = 'pending' "
            "AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= %s) "
            "AND (e.claimed_by IS NULL OR e.claimed_until <= %s "
            "OR NOT (e.claimed_by = ANY(%s))) "
            "AND NOT EXISTS (SELECT 1 FROM flowctl_effects AS p WHERE p.status = 'pending' "
            "AND p.run = e.run AND p.step < e.step) "
            "AND NOT EXISTS (SELECT 1 FROM flowctl_effects AS f WHERE f.status = 'failed' "
            "AND f.run = e.run AND f.step < e.step) "
            "ORDER BY e.run, e.step LIMIT %s",
            (_aware(now), wall, live, limit),
        )
        return [effect_from(row) for row in rows]

    def _live_holders(self, worker: str, wall: datetime) -> list[str]:
        rows = self._db.all(
            "SELECT DISTINCT claimed_by FROM flowctl_effects WHERE claimed_by IS NOT NULL "
            "AND claimed_by != %s AND claimed_until > %s",
            (worker, wall),
        )
        return sorted(row[0] for row in rows if is_alive(row[0]))

    def events_of(self, contact: str) -> list[EventRecord]:
        rows = self._db.all(
            f"SELECT {EVENT_COLUMNS} FROM flowctl_events WHERE contact = %s ORDER BY at, seq",
            (contact,),
        )
        return [event_from(row) for row in rows]

    def events_of_contacts(self, contacts: Sequence[str]) -> dict[str, list[EventRecord]]:
        found: dict[str, list[EventRecord]] = {}
        if not contacts:
            return found
        rows = self._db.all(
            f"SELECT {EVENT_COLUMNS} FROM flowctl_events WHERE contact = ANY(%s) "
            "ORDER BY contact, at, seq",
            (list(dict.fromkeys(contacts)),),
        )
        for row in rows:
            event = event_from(row)
            found.setdefault(event.contact, []).append(event)
        return found

    def enrolment(self, enrolment_id: str) -> Enrolment | None:
        row = self._db.one(
            f"SELECT {ENROLMENT_COLUMNS} FROM flowctl_enrolments WHERE id = %s", (enrolment_id,)
        )
        return None if row is None else enrolment_from(row)

    def counts(self, flow: str | None = None) -> dict[str, int]:
        where, params = ("WHERE flow = %s", (flow,)) if flow is not None else ("", ())
        rows = self._db.all(
            f"SELECT status, count(*) FROM flowctl_runs {where} GROUP BY status", params
        )
        return dict.fromkeys(RUN_STATUSES, 0) | {status: int(n) for status, n in rows}


def _aware(at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be compared: {at!r} (times are aware, in UTC)")
    return at


__all__ = ["Changes", "Dispatcher", "PostgresBatch", "PostgresStore", "StoreError", "is_url"]
