"""A real PostgreSQL for the tests: a fresh database per test session, a fresh schema per state.

`pg_schema` makes empty schemas (dropped after the test); `pg_state` hands out migrated,
empty states: a schema migrated once per session and emptied (TRUNCATE) after each test that
used it, since applying the job queue's schema costs a few tenths of a second each time.

The server is `$FLOWCTL_TEST_POSTGRES` (a libpq URL on loopback), else the local server on
127.0.0.1:5432 as the `postgres` user. `.ci/run` makes sure one runs; outside CI a machine
without one skips the PostgreSQL tests and says why, in CI (`CI=true`) they fail instead.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_schemas = itertools.count()


def server_url() -> str:
    url = os.environ.get("FLOWCTL_TEST_POSTGRES") or DEFAULT_SERVER
    host = str(conninfo_to_dict(url).get("host") or "")
    if host not in LOOPBACK:
        raise pytest.UsageError(f"FLOWCTL_TEST_POSTGRES must name a loopback server, not {host!r}")
    return url


def admin() -> psycopg.Connection:
    """A connection to the server's maintenance database; skips (or fails in CI) without one."""
    url = server_url()
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = f"no PostgreSQL server at {url}: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (.ci/run starts one; in CI it must be there)")
        pytest.skip(f"{reason}; set FLOWCTL_TEST_POSTGRES or start one to run these tests")


def in_schema(database_url: str, schema: str) -> str:
    """`database_url` with `schema` first on the search path: a state of its own."""
    return f"{database_url}?options=-csearch_path%3D{schema}"


def with_database(url: str, name: str) -> str:
    """The URL `url` with its database replaced by `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of a database made for this session (dropped at its end)."""
    name = f"flowctl_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url(), name)
    finally:
        # A connection of its own: a test may have restarted the server meanwhile.
        with admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def pg_schema(pg_database: str) -> Iterator[Iterator[str]]:
    """Makes fresh, empty schemas in the session's database; each is dropped after the test.
    `next(pg_schema)` is the URL of a new one."""
    made: list[str] = []

    def schemas() -> Iterator[str]:
        while True:
            name = f"s{next(_schemas)}_{secrets.token_hex(2)}"
            with psycopg.connect(pg_database, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            made.append(name)
            yield in_schema(pg_database, name)

    yield schemas()
    with psycopg.connect(pg_database, autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


_pool: list[str] = []  # migrated states, empty, for the next test


@pytest.fixture
def pg_state(pg_database: str) -> Iterator[Iterator[str]]:
    """`next(pg_state)`: the URL of a migrated, empty state of this test's own."""
    from flowctl.store.postgres import PostgresStore

    lent: list[str] = []

    def states() -> Iterator[str]:
        while True:
            if _pool:
                url = _pool.pop()
            else:
                name = f"m{next(_schemas)}_{secrets.token_hex(2)}"
                with psycopg.connect(pg_database, autocommit=True) as conn:
                    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
                url = in_schema(pg_database, name)
                PostgresStore.migrate(url)
            lent.append(url)
            yield url

    yield states()
    for url in lent:
        _empty(url)
        _pool.append(url)


def _empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename != 'flowctl_meta'"
            )
        ]
        listed = sql.SQL(", ").join(sql.Identifier(table) for table in tables)
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(listed))
