"""The PostgreSQL store: what only a server can do wrong (no tables, a newer flowctl, a locked
row, no server). The contract suite runs in test_contract.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from flowctl.store import postgres_schema
from flowctl.store.base import StoreError, StoreUnavailable
from flowctl.store.postgres import PostgresStore
from tests.store.builders import run_record, seed


def test_a_store_without_tables_asks_for_a_migration(pg_schema: Iterator[str]) -> None:
    url = next(pg_schema)
    with pytest.raises(StoreError, match="run 'flowctl db migrate' first") as caught:
        PostgresStore.open(url)
    assert caught.value.exit_code == 2


def test_migrate_is_idempotent_and_creates_the_queue_schema(pg_schema: Iterator[str]) -> None:
    url = next(pg_schema)
    first = PostgresStore.migrate(url)
    assert first[0] == "flowctl tables: version 2"
    assert first[1].startswith("procrastinate schema ")
    assert PostgresStore.migrate(url) == []
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    assert found == (True,)
    PostgresStore.open(url).close()


def test_a_version_1_store_is_refused_until_migrated_to_the_channels_table(
    pg_schema: Iterator[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = next(pg_schema)
    with monkeypatch.context() as old:
        old.setattr(postgres_schema, "MIGRATIONS", postgres_schema.MIGRATIONS[:1])
        assert PostgresStore.migrate(url)[0] == "flowctl tables: version 1"
    with pytest.raises(StoreError, match="at store version 1, this flowctl needs 2"):
        PostgresStore.open(url)
    assert PostgresStore.migrate(url) == ["flowctl tables: version 2"]
    store = PostgresStore.open(url)
    with store.batch() as batch:
        assert batch.channel_state("email").tokens_at is None
    store.close()


def test_a_store_from_a_newer_flowctl_is_refused(pg_schema: Iterator[str]) -> None:
    url = next(pg_schema)
    PostgresStore.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE flowctl_meta SET value = '99' WHERE key = 'schema_version'")
    for attempt in (PostgresStore.open, PostgresStore.migrate):
        with pytest.raises(StoreError, match=r"newer flowctl .*version 99"):
            attempt(url)


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    url = "postgresql://flowctl:s3cret@127.0.0.1:1/nowhere"
    expected = re.escape("cannot connect to postgresql://127.0.0.1:1/nowhere")
    with pytest.raises(StoreError, match=expected) as caught:
        PostgresStore.open(url, timeout=2)
    assert "s3cret" not in str(caught.value)
    assert isinstance(caught.value, StoreUnavailable)  # a worker waits for it to come up


def test_a_database_that_does_not_exist_is_a_mistake_not_an_outage(pg_database: str) -> None:
    """Only a server that does not answer is worth waiting for: a wrong database name is
    a plain StoreError (a worker stops at once with exit 2)."""
    url = make_conninfo(pg_database, dbname="flowctl_no_such_database")
    with pytest.raises(StoreError, match=r"flowctl_no_such_database.* does not exist") as caught:
        PostgresStore.open(url, timeout=2)
    assert not isinstance(caught.value, StoreUnavailable)


def test_a_row_locked_past_the_timeout_is_a_store_error(pg_schema: Iterator[str]) -> None:
    url = next(pg_schema)
    PostgresStore.migrate(url)
    store = PostgresStore.open(url, timeout=0.2)
    seed(store, [run_record("r-1")])
    with psycopg.connect(url) as holder:
        holder.execute("SELECT 1 FROM flowctl_runs WHERE id = 'r-1' FOR UPDATE")
        with pytest.raises(StoreError, match="locked by another process"), store.batch() as batch:
            batch.update_run(run_record("r-1"))
    assert store.run("r-1") == run_record("r-1")
    store.close()
