"""The SQLite connection under a store: how it is opened, its errors as `StoreError` naming the
file, and how values are kept (times as text that sorts, JSON as compact text)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from flowctl.language.jsontext import compact_json
from flowctl.store.base import StoreError

Row = tuple[Any, ...]
T = TypeVar("T")

#: Parameters per `IN (...)` list: far below the smallest limit of any SQLite build (999).
CHUNK = 500

# Primary result codes (https://sqlite.org/rescode.html) that deserve their own words.
_BUSY, _LOCKED, _CORRUPT, _NOTADB = 5, 6, 11, 26
_CANNOT_WRITE = {3: "no permission", 8: "read-only", 10: "disk I/O error", 13: "disk full"}


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to the existing database file at `path` (never creates one), waiting up to
    `timeout` seconds for another process's write lock."""
    # mode=rw: a file that vanished after the caller saw it is an error, not a new empty file.
    # isolation_level=None: no implicit transactions; a batch says BEGIN IMMEDIATE itself.
    uri = f"{path.resolve().as_uri()}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL, not NORMAL, although the journal is a WAL: with NORMAL a commit survives a killed
    # process but not a power cut or an OS crash, which can roll back the latest commits. An
    # effect's intent is committed right before its handler sends an e-mail; forgetting it
    # after the e-mail went out breaks DESIGN §8. FULL costs one fsync of the WAL per commit,
    # and the runtime commits per batch of runs, never per row.
    conn.execute("PRAGMA synchronous = FULL")
    # 64 MiB of page cache instead of 2: a batch of many runs touches pages all over the
    # indexes, and spilling them mid-transaction doubles the writes. Taken only when used.
    conn.execute("PRAGMA cache_size = -65536")
    # A checkpoint every 10,000 WAL pages (40 MiB) instead of 1,000: a batch of 500 runs
    # writes about 1,000 pages, so the default copied the WAL into the file at nearly every
    # commit, rewriting the same index pages each time; a third of the commit time.
    conn.execute("PRAGMA wal_autocheckpoint = 10000")
    return conn


def store_error(exc: sqlite3.Error, path: Path, timeout: float) -> StoreError:
    """`exc` in words that name the state file and say what to do."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in (_BUSY, _LOCKED):
        return StoreError(
            f"{path} is locked by another process (waited {timeout:g} s); "
            "try again when it has finished"
        )
    if code == _NOTADB:
        return StoreError(f"{path} is not a flowctl state file: not an SQLite database")
    if code == _CORRUPT:
        return StoreError(f"{path} is corrupt ({exc}); restore it from a backup")
    if code in _CANNOT_WRITE:
        return StoreError(f"cannot write {path}: {_CANNOT_WRITE[code]} ({exc})")
    return StoreError(f"cannot use the state file {path}: {exc}")


class Db:
    """A connection whose errors come out as `StoreError`, so that no caller of a store sees
    `sqlite3` exceptions."""

    __slots__ = ("conn", "path", "timeout")

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self.conn = conn
        self.path = path
        self.timeout = timeout

    def error(self, exc: sqlite3.Error) -> StoreError:
        return store_error(exc, self.path, self.timeout)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            row: Row | None = self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        return row

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        try:
            return self.conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one statement for each of `rows`; the number of rows they changed in all."""
        try:
            return self.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise self.error(exc) from exc


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`, for `IN (...)` lists."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(count: int) -> str:
    """`?, ?, ?`: `count` placeholders."""
    return ", ".join("?" * count)


# Cached: the rows of one batch carry the same few times (the run's clock) over and over.
@lru_cache(maxsize=4096)
def encode_time(at: datetime) -> str:
    """`2026-11-20T10:00:00.000000Z`: UTC, always with microseconds, so that text order is
    time order."""
    offset = at.utcoffset()
    if offset is None:
        raise ValueError(f"a naive datetime cannot be stored: {at!r} (times are aware, in UTC)")
    if offset:
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def encode_time_or_none(at: datetime | None) -> str | None:
    return None if at is None else encode_time(at)


def decode_time(text: str) -> datetime:
    """An aware UTC datetime from `encode_time`'s text."""
    return datetime.fromisoformat(text)


def decode_time_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def encode_json(value: Any) -> str:
    """Compact JSON text that keeps Unicode."""
    return compact_json(value)


def encode_json_or_none(value: Any) -> str | None:
    return None if value is None else encode_json(value)


def decode_json(text: str | None) -> Any:
    """The value back; SQL NULL is None."""
    return None if text is None else json.loads(text)


def now_text() -> str:
    """The wall clock, encoded: what claims' leases are compared with."""
    return encode_time(datetime.now(UTC))
