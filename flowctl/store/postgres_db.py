"""The PostgreSQL connection under a store: how it is opened, and its errors as `StoreError`
in words that name the server, so that no caller of a store sees psycopg's exceptions.

Values are written as the SQLite store writes them (times as UTC text with microseconds, JSON
as compact text, `sqlite_rows`), which PostgreSQL casts to `timestamptz` and `json`; `json`,
not `jsonb`, keeps an effect's keys in their order, as the dry run's trace has them. They come
back as aware UTC datetimes and parsed JSON (`postgres_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from flowctl.store.base import StoreError, StoreUnavailable

Row = tuple[Any, ...]


def describe(url: str) -> str:
    """The store as a message names it: `postgresql://HOST:PORT/DB`, never a password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL store"
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{host}{port}/{parts.get('dbname') or parts.get('user') or ''}"


def connect(url: str, timeout: float) -> psycopg.Connection:
    """A connection in autocommit mode (a batch opens its own transaction), in UTC, whose
    statements wait at most `timeout` seconds for another transaction's locks."""
    try:
        given = str(conninfo_to_dict(url).get("options") or "")
        return psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=max(int(timeout), 1),
            # After the URL's own options (a search_path, say), which would otherwise be lost.
            options=f"{given} -c timezone=UTC -c lock_timeout={int(timeout * 1000)}".strip(),
        )
    except psycopg.Error as exc:
        unavailable = isinstance(exc, psycopg.OperationalError) and _unreachable(exc)
        kind = StoreUnavailable if unavailable else StoreError
        raise kind(f"cannot connect to {describe(url)}: {first_line(exc)}") from exc


#: What libpq and psycopg say when the server is not there yet: down, starting or stopping,
#: out of connection slots, a name not resolved yet (a container started before its
#: database), or the network in between. Any other failure to connect (a wrong password, a
#: database or role that does not exist, a bad option) is a mistake to fix, not to wait out.
_UNREACHABLE = (
    "connection refused",
    "no such file or directory",  # no socket: the local server is not running
    "timeout expired",
    "timed out",
    "failed to resolve host",
    "could not translate host name",
    "network is unreachable",
    "no route to host",
    "connection reset",
    "server closed the connection",
    "the database system is",  # starting up, shutting down, in recovery mode
    "too many connections",
    "remaining connection slots",
)


def _unreachable(exc: psycopg.Error) -> bool:
    text = str(exc).lower()
    return any(words in text for words in _UNREACHABLE)


def store_error(exc: psycopg.Error, where: str, timeout: float) -> StoreError:
    """`exc` in words that name the store and say what to do."""
    if isinstance(exc, errors.LockNotAvailable):
        return StoreError(
            f"{where} is locked by another process (waited {timeout:g} s); "
            "try again when it has finished"
        )
    if isinstance(exc, errors.UndefinedTable):
        return StoreError(f"{where} has no flowctl tables: run 'flowctl db migrate' first")
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(f"lost the connection to {where}: {first_line(exc)}")
    return StoreError(f"cannot use the store {where}: {first_line(exc)}")


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (psycopg's run over several), else its type."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Db:
    """A connection whose errors come out as `StoreError`.

    Writes whose outcome nobody waits for (`queue`) are held and sent together, pipelined,
    before the next statement or the commit: a batch of 500 runs then costs a few round trips
    to the server instead of a few per run, and every read still sees them.
    """

    __slots__ = ("conn", "queued", "timeout", "where")

    def __init__(self, conn: psycopg.Connection, where: str, timeout: float) -> None:
        self.conn = conn
        self.where = where
        self.timeout = timeout
        self.queued: list[tuple[str, list[Sequence[Any]]]] = []

    def queue(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Hold writes until the next statement (or the commit). Held writes of one statement
        keep their order; statements go in the order they were first held. Only writes whose
        relative order across statements does not matter are held: inserts, and updates of
        rows that this transaction locked before."""
        batch = list(rows)
        if not batch:
            return
        for held_sql, held in self.queued:
            if held_sql == sql:
                held.extend(batch)
                return
        self.queued.append((sql, batch))

    def flush(self) -> None:
        """Send the held writes, in one pipeline."""
        queued, self.queued = self.queued, []
        if not queued:
            return
        try:
            with self.conn.pipeline(), self.conn.cursor() as cursor:
                for sql, rows in queued:
                    cursor.executemany(sql, rows)
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def drop(self) -> None:
        """Forget the held writes (the transaction rolls back)."""
        self.queued = []

    def error(self, exc: psycopg.Error) -> StoreError:
        return store_error(exc, self.where, self.timeout)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self.queued:
            self.flush()
        try:
            return self.conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        if self.queued:
            self.flush()
        try:
            return self.conn.execute(sql, params).fetchone()
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        if self.queued:
            self.flush()
        try:
            return self.conn.execute(sql, params).rowcount
        except psycopg.Error as exc:
            raise self.error(exc) from exc

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if self.queued:
            self.flush()
        batch = list(rows)
        if not batch:
            return
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(sql, batch)
        except psycopg.Error as exc:
            raise self.error(exc) from exc
