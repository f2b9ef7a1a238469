"""The embedded run store: one SQLite file, no server (DESIGN §8, `--state`).

The journal is a write-ahead log, so readers never wait for a writer and a writer never waits
for readers; writers take turns, each batch being one `BEGIN IMMEDIATE` transaction that
waits up to the store's timeout for the lock. See docs/store.md for the tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from flowctl.engine.state import RUN_STATUSES
from flowctl.store import sqlite_schema
from flowctl.store.base import (
    EffectRecord,
    Enrolment,
    EventRecord,
    FlowRecord,
    RunRecord,
    StepRow,
    StoreError,
)
from flowctl.store.sqlite_batch import LIVE, SqliteBatch
from flowctl.store.sqlite_db import Db, chunks, connect, encode_time, marks, now_text, store_error
from flowctl.store.sqlite_rows import (
    EFFECT_COLUMNS,
    ENROLMENT_COLUMNS,
    EVENT_COLUMNS,
    FLOW_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
    effect_from,
    enrolment_from,
    event_from,
    flow_from,
    run_from,
    step_from,
)
from flowctl.store.workers import is_alive

_OLDEST_FIRST = "ORDER BY created_at, id"
_SELECT_RUNS = f"SELECT {RUN_COLUMNS} FROM runs"
_SELECT_EFFECTS = f"SELECT {EFFECT_COLUMNS} FROM effects"
_PAGE = 500  # runs decoded per query while `runs()` is iterated


class SqliteStore:
    """A `RunStore` in one SQLite file. Open it with `SqliteStore.open`."""

    def __init__(self, db: Db) -> None:
        self._db = db
        self._in_batch = False
        self._closed = False

    @classmethod
    def open(cls, path: Path, *, timeout: float = 10.0, create: bool = True) -> SqliteStore:
        """The store in the file at `path`, made first (with its folders) when it does not
        exist and `create` is true. `timeout` is how many seconds a write waits for another
        process's. StoreError, with nothing written, when the file is not a flowctl state,
        is corrupt, comes from a newer flowctl or stays locked."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no such state file")
            sqlite_schema.create(path, timeout)
        sqlite_schema.check_header(path)
        try:
            conn = connect(path, timeout)
        except sqlite3.Error as exc:
            raise store_error(exc, path, timeout) from exc
        db = Db(conn, path, timeout)
        try:
            sqlite_schema.prepare(db)
        except BaseException:
            conn.close()
            raise
        return cls(db)

    @property
    def path(self) -> Path:
        """The state file."""
        return self._db.path

    @contextmanager
    def batch(self) -> Iterator[SqliteBatch]:
        if self._in_batch:
            raise RuntimeError("a batch of this store is open already")
        self._db.execute("BEGIN IMMEDIATE")
        self._in_batch = True
        batch = SqliteBatch(self._db)
        try:
            yield batch
            self._db.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (a deferred foreign key) leaves the transaction open, too.
            if self._db.conn.in_transaction:
                with suppress(sqlite3.Error):  # the error that got us here says more
                    self._db.conn.rollback()
            raise
        finally:
            batch.end()
            self._in_batch = False

    def close(self) -> None:
        """Close the connection; closing again does nothing."""
        if not self._closed:
            self._closed = True
            self._db.conn.close()

    def flow(self, digest: str) -> FlowRecord | None:
        row = self._db.one(f"SELECT {FLOW_COLUMNS} FROM flows WHERE digest = ?", (digest,))
        return None if row is None else flow_from(row)

    def run(self, run_id: str) -> RunRecord | None:
        row = self._db.one(f"{_SELECT_RUNS} WHERE id = ?", (run_id,))
        return None if row is None else run_from(row)

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
        where = " AND ".join(f"{column} = ?" for column in given) or "1"
        params: list[object] = list(given.values())
        if limit is not None:
            params.append(limit)
        # The order is decided once, over the row numbers only; the rows are then read a page
        # at a time, so no statement stays open while the caller works (or writes) between.
        order = [
            row[0]
            for row in self._db.all(
                f"SELECT seq FROM runs WHERE {where} {_OLDEST_FIRST}"
                + (" LIMIT ?" if limit is not None else ""),
                params,
            )
        ]
        return self._runs_by_seq(order)

    def _runs_by_seq(self, order: list[int]) -> Iterator[RunRecord]:
        for page in chunks(order, _PAGE):
            rows = self._db.all(
                f"SELECT seq, {RUN_COLUMNS} FROM runs WHERE seq IN ({marks(len(page))})", page
            )
            by_seq = {row[0]: row[1:] for row in rows}
            yield from (run_from(by_seq[seq]) for seq in page if seq in by_seq)

    def live_run_of(self, flow: str, contact: str) -> RunRecord | None:
        row = self._db.one(
            f"{_SELECT_RUNS} WHERE flow = ? AND contact = ? AND {LIVE} {_OLDEST_FIRST} LIMIT 1",
            (flow, contact),
        )
        return None if row is None else run_from(row)

    def live_runs_of_contact(self, contact: str) -> list[RunRecord]:
        rows = self._db.all(
            f"{_SELECT_RUNS} WHERE contact = ? AND {LIVE} {_OLDEST_FIRST}", (contact,)
        )
        return [run_from(row) for row in rows]

    def due_runs(self, now: datetime, limit: int) -> list[RunRecord]:
        rows = self._db.all(
            f"{_SELECT_RUNS} WHERE status = 'active' ORDER BY wake_at, id LIMIT ?", (limit,)
        )
        if len(rows) < limit:
            rows += self._db.all(
                f"{_SELECT_RUNS} WHERE status = 'waiting' AND wake_at <= ? "
                "ORDER BY wake_at, id LIMIT ?",
                (encode_time(now), limit - len(rows)),
            )
        return [run_from(row) for row in rows]

    def next_wake(self) -> datetime | None:
        wake = self._db.one(
            "SELECT wake_at FROM runs WHERE status = 'waiting' AND wake_at IS NOT NULL "
            "ORDER BY wake_at LIMIT 1"
        )
        retry = self._db.one(
            "SELECT next_attempt_at FROM effects WHERE status = 'pending' "
            "AND next_attempt_at IS NOT NULL ORDER BY next_attempt_at LIMIT 1"
        )
        times = [row[0] for row in (wake, retry) if row is not None]
        return datetime.fromisoformat(min(times)) if times else None

    def steps(self, run_id: str) -> list[StepRow]:
        rows = self._db.all(
            f"SELECT {STEP_COLUMNS} FROM steps WHERE run = ? ORDER BY number", (run_id,)
        )
        return [step_from(row) for row in rows]

    def effects_of(self, run_id: str) -> list[EffectRecord]:
        rows = self._db.all(f"{_SELECT_EFFECTS} WHERE run = ? ORDER BY step", (run_id,))
        return [effect_from(row) for row in rows]

    def effect(self, key: str) -> EffectRecord | None:
        row = self._db.one(f"{_SELECT_EFFECTS} WHERE key = ?", (key,))
        return None if row is None else effect_from(row)

    def due_effects(self, now: datetime, limit: int, worker: str) -> list[EffectRecord]:
        wall = now_text()
        live = self._live_holders(worker, wall)
        held = (
            f"AND (e.claimed_by IS NULL OR e.claimed_until <= ? "
            f"OR e.claimed_by NOT IN ({marks(len(live))}))"
            if live
            else ""
        )
        rows = self._db.all(
            f"SELECT {EFFECT_COLUMNS} FROM effects AS e WHERE e.status = 'pending' "
            f"AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= ?) {held} "
            "AND NOT EXISTS (SELECT 1 FROM effects AS p WHERE p.status = 'pending' "
            "AND p.run = e.run AND p.step < e.step) "
            "AND NOT EXISTS (SELECT 1 FROM effects AS f WHERE f.status = 'failed' "
            "AND f.run = e.run AND f.step < e.step) "
            "ORDER BY e.run, e.step LIMIT ?",
            (encode_time(now), *((wall, *live) if live else ()), limit),
        )
        return [effect_from(row) for row in rows]

    def undelivered_runs(self, run_ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(run_ids))):
            rows = self._db.all(
                "SELECT DISTINCT run FROM effects WHERE status IN ('pending', 'failed') "
                f"AND run IN ({marks(len(chunk))})",
                chunk,
            )
            held.update(row[0] for row in rows)
        return held

    def _live_holders(self, worker: str, wall: str) -> list[str]:
        """The workers other than `worker` whose claims still stand: lease running, and not a
        process of this host that is gone."""
        rows = self._db.all(
            "SELECT DISTINCT claimed_by FROM effects WHERE claimed_by IS NOT NULL "
            "AND claimed_by != ? AND claimed_until > ?",
            (worker, wall),
        )
        return sorted(row[0] for row in rows if is_alive(row[0]))

    def events_of(self, contact: str) -> list[EventRecord]:
        rows = self._db.all(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE contact = ? ORDER BY at, seq", (contact,)
        )
        return [event_from(row) for row in rows]

    def events_of_contacts(self, contacts: Sequence[str]) -> dict[str, list[EventRecord]]:
        found: dict[str, list[EventRecord]] = {}
        for chunk in chunks(list(dict.fromkeys(contacts))):
            rows = self._db.all(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE contact IN ({marks(len(chunk))}) "
                "ORDER BY contact, at, seq",
                chunk,
            )
            for row in rows:
                event = event_from(row)
                found.setdefault(event.contact, []).append(event)
        return found

    def enrolment(self, enrolment_id: str) -> Enrolment | None:
        row = self._db.one(
            f"SELECT {ENROLMENT_COLUMNS} FROM enrolments WHERE id = ?", (enrolment_id,)
        )
        return None if row is None else enrolment_from(row)

    def counts(self, flow: str | None = None) -> dict[str, int]:
        where, params = ("WHERE flow = ?", (flow,)) if flow is not None else ("", ())
        rows = self._db.all(f"SELECT status, count(*) FROM runs {where} GROUP BY status", params)
        return dict.fromkeys(RUN_STATUSES, 0) | dict(rows)
