"""The run-store contract suite, once per implementation: a real SQLite file in tmp_path, and
a real PostgreSQL (tests/pgserver.py) with each state a migrated schema of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flowctl.store.base import RunStore
from flowctl.store.sqlite import SqliteStore
from tests.store.builders import StoreFactory
from tests.store.contract import StoreContract


@pytest.fixture(params=["sqlite", "postgresql"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    opened: list[RunStore] = []
    if request.param == "sqlite":

        def open_state(name: str) -> RunStore:
            return SqliteStore.open(tmp_path / f"{name}.db")

    else:
        from flowctl.store.postgres import PostgresStore

        states: Iterator[str] = request.getfixturevalue("pg_state")
        urls: dict[str, str] = {}

        def open_state(name: str) -> RunStore:
            if name not in urls:
                urls[name] = next(states)
            return PostgresStore.open(urls[name])

    def factory(name: str = "main") -> RunStore:
        store = open_state(name)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


class TestContract(StoreContract):
    """Every contract test, on each store."""
