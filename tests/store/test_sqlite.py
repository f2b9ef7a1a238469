"""The SQLite store: what only a file can do wrong (corrupt, foreign, newer, locked, old) and
two real processes racing on one state. The contract suite runs in test_contract.py."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from flowctl.store import sqlite_schema
from flowctl.store.base import StoreError
from flowctl.store.sqlite import SqliteStore
from tests.store.builders import T0, effect_record, minutes, run_record, seed

LATEST = len(sqlite_schema.MIGRATIONS)

HERE = Path(__file__).resolve().parent


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state file with one run, closed again."""
    path = tmp_path / "state.db"
    store = SqliteStore.open(path)
    seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
    store.close()
    return path


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def refused(path: Path, match: str) -> None:
    """Opening `path` is a StoreError naming it, and changes nothing on disk."""
    before = {entry.name: entry.read_bytes() for entry in path.parent.iterdir()}
    with pytest.raises(StoreError, match=match) as caught:
        SqliteStore.open(path)
    assert str(path) in str(caught.value)
    assert caught.value.exit_code == 2
    after = {entry.name: entry.read_bytes() for entry in path.parent.iterdir()}
    assert after == before


# -- the file ------------------------------------------------------------------------------


def test_a_new_file_is_a_marked_versioned_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    store = SqliteStore.open(path)
    assert store.path == path
    assert sorted(entry.name for entry in path.parent.iterdir())[0] == "state.db"
    assert not [entry for entry in path.parent.iterdir() if entry.name.startswith(".")]
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    store.close()
    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA application_id").fetchone() == (sqlite_schema.APPLICATION_ID,)
        assert conn.execute("PRAGMA user_version").fetchone() == (len(sqlite_schema.MIGRATIONS),)


def test_a_missing_file_is_refused_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such state file"):
        SqliteStore.open(tmp_path / "state.db", create=False)
    assert list(tmp_path.iterdir()) == []


def test_creating_over_an_existing_file_keeps_it(state: Path) -> None:
    """Two processes creating one state at once: the later one opens the first one's."""
    before = state.read_bytes()
    sqlite_schema.create(state, 1.0)
    assert state.read_bytes() == before
    assert [entry.name for entry in state.parent.iterdir()] == ["state.db"]
    store = SqliteStore.open(state, create=False)
    assert store.run("r-1") == run_record("r-1")
    store.close()


def test_a_file_system_without_hard_links_gets_the_file_by_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "state.db"
    SqliteStore.open(path).close()
    assert [entry.name for entry in tmp_path.iterdir()] == ["state.db"]
    SqliteStore.open(path).close()


def test_a_file_switched_out_of_wal_gets_it_back(state: Path) -> None:
    with raw(state) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    conn.close()
    SqliteStore.open(state).close()
    with raw(state) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_a_file_from_a_newer_flowctl_is_refused(state: Path) -> None:
    with raw(state) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    refused(state, "newer flowctl .*version 99")


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda data: os.urandom(len(data)), "not an SQLite database"),
        (lambda data: data[: len(data) // 2], "corrupt .*cut short"),
        (lambda data: data[:60], "not an SQLite database"),
        (lambda data: b"", "empty"),
        # A page in the middle overwritten: the header is sound, quick_check is not.
        (lambda data: data[:8192] + os.urandom(4096) + data[12288:], "corrupt"),
    ],
    ids=["random bytes", "truncated", "header cut", "empty", "damaged page"],
)
def test_a_corrupt_file_is_refused_and_left_as_it_is(
    tmp_path: Path, damage: Callable[[bytes], bytes], match: str
) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore.open(path)
    runs = [run_record(f"r-{index}", state={"pad": "x" * 500}) for index in range(200)]
    seed(store, runs)
    store.close()
    path.write_bytes(damage(path.read_bytes()))
    try:
        refused(path, match)
    finally:
        for side in path.parent.glob("state.db-*"):
            side.unlink()


def test_a_checkpoint_cut_short_by_a_crash_is_finished_not_refused(tmp_path: Path) -> None:
    """A crash mid-checkpoint leaves the file shorter than its header says (page 1 went first),
    with every page still in the WAL: SQLite finishes the checkpoint; it is not corruption."""
    live = tmp_path / "live" / "state.db"
    live.parent.mkdir()
    store = SqliteStore.open(live)
    seed(store, [run_record("r-0")])
    store.close()
    writer = raw(live)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the new pages stay in the WAL
    writer.execute("CREATE TABLE padding (text TEXT)")
    writer.executemany("INSERT INTO padding VALUES (?)", [("x" * 1000,) for _ in range(300)])
    crashed = tmp_path / "crashed" / "state.db"  # the files as a kill -9 leaves them
    crashed.parent.mkdir()
    crashed.write_bytes(live.read_bytes())
    wal = Path(f"{live}-wal").read_bytes()
    Path(f"{crashed}-wal").write_bytes(wal)
    writer.close()
    page_size = int.from_bytes(wal[8:12], "big")
    frames = range(32, len(wal), 24 + page_size)
    first = [at for at in frames if int.from_bytes(wal[at : at + 4], "big") == 1][-1]
    with crashed.open("r+b") as file:  # the checkpoint's first write: page 1, new page count
        file.write(wal[first + 24 : first + 24 + page_size])
    pages = int.from_bytes(wal[first + 24 + 28 : first + 24 + 32], "big")
    assert crashed.stat().st_size < pages * page_size
    reopened = SqliteStore.open(crashed)
    try:
        assert [run.id for run in reopened.runs()] == ["r-0"]
    finally:
        reopened.close()
    with raw(crashed) as conn:
        assert conn.execute("SELECT count(*) FROM padding").fetchone() == (300,)
    conn.close()


def test_a_file_cut_short_is_refused_even_beside_a_wal_too_small_to_hold_the_rest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore.open(path)
    seed(store, [run_record(f"r-{index}", state={"pad": "x" * 500}) for index in range(200)])
    store.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    Path(f"{path}-wal").write_bytes(b"\0" * (32 + 24 + 4096))  # one frame: not the missing half
    try:
        refused(path, "corrupt .*cut short")
    finally:
        for side in path.parent.glob("state.db-*"):
            side.unlink()


def test_another_program_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with raw(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    refused(path, "not a flowctl state file")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        SqliteStore.open(tmp_path)


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_lock_held_past_the_timeout_is_a_store_error(state: Path) -> None:
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        store = SqliteStore.open(state, timeout=0.2)
        assert store.run("r-1") is not None  # readers never wait
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"{state} is locked .*0.2 s"), store.batch() as b:
            b.add_runs([run_record("r-2")])
        assert 0.15 < time.monotonic() - started < 5
    finally:
        locker.communicate("", timeout=10)
    assert store.run("r-2") is None
    seed(store, [run_record("r-2")])  # free again
    assert store.run("r-2") is not None
    store.close()


# -- migrations ----------------------------------------------------------------------------

ADD_NOTES = ("ALTER TABLE runs ADD COLUMN note TEXT", "CREATE INDEX runs_note ON runs (note)")


def columns(path: Path) -> list[str]:
    with raw(path) as conn:
        names = [row[1] for row in conn.execute("PRAGMA table_info(runs)")]
    conn.close()
    return names


def version(path: Path) -> int:
    with raw(path) as conn:
        (number,) = conn.execute("PRAGMA user_version").fetchone()
    conn.close()
    return int(number)


def test_an_older_file_is_migrated_forward(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", (*sqlite_schema.MIGRATIONS, ADD_NOTES))
    store = SqliteStore.open(state)
    assert store.run("r-1") == run_record("r-1")
    store.close()
    assert version(state) == LATEST + 1
    assert "note" in columns(state)
    SqliteStore.open(state).close()  # once is enough
    assert version(state) == LATEST + 1


def test_a_failing_migration_changes_nothing(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = (*ADD_NOTES, "CREATE INDEX runs_note ON runs (note)")  # twice: fails
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", (*sqlite_schema.MIGRATIONS, broken))
    with pytest.raises(StoreError, match=f"cannot update {state} to state version {LATEST + 1}"):
        SqliteStore.open(state)
    assert version(state) == LATEST
    assert "note" not in columns(state)


def test_a_fresh_file_runs_every_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", (*sqlite_schema.MIGRATIONS, ADD_NOTES))
    path = tmp_path / "state.db"
    SqliteStore.open(path).close()
    assert version(path) == LATEST + 1
    assert "note" in columns(path)


def test_a_version_1_file_gains_the_channels_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    with monkeypatch.context() as old:
        old.setattr(sqlite_schema, "MIGRATIONS", sqlite_schema.MIGRATIONS[:1])
        SqliteStore.open(path).close()
    assert version(path) == 1
    store = SqliteStore.open(path)
    with store.batch() as batch:
        assert batch.channel_state("email").tokens_at is None
    store.close()
    assert version(path) == LATEST


# -- speed ---------------------------------------------------------------------------------


def test_the_store_queries_never_scan_a_whole_table(state: Path) -> None:
    """Each query the runtime repeats runs off an index, without sorting, however long the
    history grows: checked on SQLite's own query plans."""
    store = SqliteStore.open(state)
    queries: list[str] = []
    store._db.conn.set_trace_callback(queries.append)
    worker = "host:1:x"
    store.due_runs(T0, 10)
    store.next_wake()
    store.due_effects(T0, 10, worker)
    store.live_run_of("f", "c")
    store.live_runs_of_contact("c")
    store.steps("r-1")
    store.effects_of("r-1")
    store.events_of("c")
    store.counts("f")
    list(store.runs(status="failed"))
    list(store.runs(enrolment="e"))
    with store.batch() as batch:
        batch.live_contacts("f", ["a", "b"])
        batch.claim_effects(["r-1:send:0"], worker, T0)
        batch.release_claims(worker)
    store._db.conn.set_trace_callback(None)
    selects = [
        query for query in queries if query.lstrip().upper().startswith(("SELECT", "UPDATE"))
    ]
    assert len(selects) >= 15
    for query in selects:
        plan = " | ".join(row[3] for row in store._db.conn.execute(f"EXPLAIN QUERY PLAN {query}"))
        scans = [
            part for part in plan.split(" | ") if part.startswith("SCAN") and "INDEX" not in part
        ]
        assert not scans, (query, plan)
        # Sorting is fine for one contact's rows, for counts and for runs() (once per call).
        if "TEMP B-TREE FOR ORDER BY" in plan:
            assert "contact=?" in plan or "SELECT seq FROM runs" in query, (query, plan)
    store.close()


# -- two processes -------------------------------------------------------------------------


def test_two_processes_claim_each_effect_once_and_win_each_version_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore.open(path)
    runs = [run_record(f"r-{index:02}") for index in range(20)]
    effects = [effect_record(run.id, step) for run in runs for step in range(10)]
    seed(store, runs, effects)
    racers = [
        subprocess.Popen(
            [sys.executable, str(HERE / "racer.py"), str(path), ",".join(r.id for r in runs), end],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for end in ("FORWARD", "BACKWARD")
    ]
    for racer in racers:
        assert racer.stdout is not None and racer.stdout.readline() == "ready\n"
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    results = [json.loads(racer.communicate(timeout=60)[0]) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)

    claimed = Counter(key for result in results for key in result["claimed"])
    assert sorted(claimed) == sorted(effect.key for effect in effects)
    assert set(claimed.values()) == {1}
    assert {(e.status, e.attempts) for e in store.due_effects(T0, 1, "x")} == set()
    assert {(e.status, e.attempts) for run in runs for e in store.effects_of(run.id)} == {
        ("delivered", 1)
    }

    wins = Counter((run_id, version) for result in results for run_id, version in result["wins"])
    assert set(wins.values()) == {1}
    for run in store.runs():
        assert {version for run_id, version in wins if run_id == run.id} == set(
            range(1, run.version)
        )
    assert sum(run.version - 1 for run in store.runs()) == len(wins) >= 40
    store.close()


def test_a_dead_racer_effects_are_delivered_at_once(tmp_path: Path) -> None:
    """A worker killed mid-delivery: the next worker takes its effects without waiting."""
    path = tmp_path / "state.db"
    store = SqliteStore.open(path)
    seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
    claim = (
        "import sys; from datetime import *; from flowctl.store.sqlite import SqliteStore\n"
        "from flowctl.store.workers import worker_id\n"
        "s = SqliteStore.open(sys.argv[1])\n"
        "with s.batch() as b: print(len(b.claim_effects(['r-1:send:0'], worker_id(),"
        " datetime.now(UTC) + timedelta(hours=1))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", claim, str(path)], capture_output=True, text=True, check=True
    )
    assert done.stdout == "1\n"
    due = store.due_effects(T0 + minutes(1), 10, "host:1:next")
    assert [effect.attempts for effect in due] == [1]
    store.close()
