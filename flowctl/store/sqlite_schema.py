"""The SQLite store's tables, their versions, and opening a file safely.

The schema version lives in `PRAGMA user_version`; `MIGRATIONS[n]` takes a file from version
`n` to `n + 1`, and a new file is built by running all of them, so a fresh file and a migrated
one are the same. `PRAGMA application_id` marks a file as flowctl's, so that a `--state` that
names another program's database is refused instead of being "migrated".

A new file is built under a temporary name and linked into place when complete, as
pre-commit's store does: a reader never sees a half-made database, and of two processes that
create the same file at once one wins and the other opens its file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from flowctl.store.base import StoreError
from flowctl.store.sqlite_db import Db, connect, store_error

#: "flow" in ASCII: the mark of a flowctl state file.
APPLICATION_ID = 0x666C6F77
_HEADER_SIZE = 100

# Deferred foreign keys are checked at commit: a batch may add a run before its flow.
_REFS = "DEFERRABLE INITIALLY DEFERRED"

Migration = Sequence[str]

_VERSION_1: Migration = (
    """CREATE TABLE flows (
        digest TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    f"""CREATE TABLE enrolments (
        id TEXT PRIMARY KEY,
        digest TEXT NOT NULL REFERENCES flows (digest) {_REFS},
        source TEXT NOT NULL,
        position INTEGER NOT NULL,
        done INTEGER NOT NULL)""",
    # `seq` never changes (not even through VACUUM): `runs()` pages through it.
    f"""CREATE TABLE runs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        flow TEXT NOT NULL,
        digest TEXT NOT NULL REFERENCES flows (digest) {_REFS},
        contact TEXT NOT NULL,
        status TEXT NOT NULL,
        node TEXT,
        step INTEGER NOT NULL,
        wake_at TEXT,
        awaiting TEXT,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        enrolment TEXT REFERENCES enrolments (id) {_REFS},
        attempts INTEGER NOT NULL,
        error TEXT,
        version INTEGER NOT NULL)""",
    # due_runs, next_wake and counts; (flow, contact, status): live_run_of, live_contacts and
    # the flow filter.
    "CREATE INDEX runs_due ON runs (status, wake_at, id)",
    "CREATE INDEX runs_flow_contact ON runs (flow, contact, status)",
    "CREATE INDEX runs_contact ON runs (contact)",
    "CREATE INDEX runs_enrolment ON runs (enrolment) WHERE enrolment IS NOT NULL",
    f"""CREATE TABLE steps (
        run TEXT NOT NULL REFERENCES runs (id) {_REFS},
        number INTEGER NOT NULL,
        node TEXT NOT NULL,
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        exit TEXT,
        effect_key TEXT,
        warnings TEXT NOT NULL,
        PRIMARY KEY (run, number)) WITHOUT ROWID""",
    f"""CREATE TABLE effects (
        key TEXT PRIMARY KEY,
        run TEXT NOT NULL REFERENCES runs (id) {_REFS},
        flow TEXT NOT NULL,
        contact TEXT NOT NULL,
        node TEXT NOT NULL,
        step INTEGER NOT NULL,
        at TEXT NOT NULL,
        channel TEXT NOT NULL,
        effect TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT,
        reply TEXT,
        error TEXT,
        retry TEXT,
        attributes TEXT,
        claimed_by TEXT,
        claimed_until TEXT)""",
    "CREATE INDEX effects_run ON effects (run, step)",
    # Partial indexes stay as small as the work still to do, however long the history grows.
    "CREATE INDEX effects_pending ON effects (run, step) WHERE status = 'pending'",
    """CREATE INDEX effects_retry ON effects (next_attempt_at)
        WHERE status = 'pending' AND next_attempt_at IS NOT NULL""",
    """CREATE INDEX effects_claims ON effects (claimed_by, claimed_until)
        WHERE claimed_by IS NOT NULL""",
    # `seq` is the recording order: it breaks ties between events at the same time.
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        contact TEXT NOT NULL,
        name TEXT NOT NULL,
        at TEXT NOT NULL,
        properties TEXT NOT NULL)""",
    "CREATE INDEX events_contact ON events (contact, at)",
)

# Version 2: the channels' shared rate buckets and error budgets (docs/handlers.md, *Limits*).
_VERSION_2: Migration = (
    """CREATE TABLE channels (
        channel TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        tokens_at TEXT,
        failures INTEGER NOT NULL,
        window_start TEXT,
        paused_until TEXT)""",
)

#: Forward migrations, oldest first: the schema version is their number. Append only.
MIGRATIONS: tuple[Migration, ...] = (_VERSION_1, _VERSION_2)


def create(path: Path, timeout: float) -> None:
    """Make a new, empty state file at `path` (and its parent folders), atomically; when
    another process made it first, leave theirs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".new"
        )
        os.close(handle)
    except OSError as exc:
        raise StoreError(f"cannot create the state file {path}: {exc.strerror or exc}") from exc
    temp = Path(temp_name)
    try:
        _build(temp, timeout)
        _link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _build(temp: Path, timeout: float) -> None:
    conn = connect(temp, timeout)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for migration in MIGRATIONS:
            for statement in migration:
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
        # Last, and persistent in the file: readers never wait for the writer.
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise store_error(exc, temp, timeout) from exc
    finally:
        conn.close()


def _link(temp: Path, path: Path) -> None:
    """Give the complete file its name unless the name is taken: a hard link fails on an
    existing name, where a rename would replace a file that another process already uses."""
    try:
        os.link(temp, path)
    except FileExistsError:
        return
    except OSError as exc:  # a file system without hard links
        if path.exists():
            return
        try:
            temp.replace(path)
        except OSError:
            raise StoreError(f"cannot create the state file {path}: {exc.strerror or exc}") from exc
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the new name itself durable (POSIX); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def check_header(path: Path) -> None:
    """Refuse, before SQLite opens it (which would make `-wal` and `-shm` files next to it), a
    file that is empty, not an SQLite database, another program's, from a newer flowctl or
    cut short. The file header says all that (https://sqlite.org/fileformat.html)."""
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"cannot read the state file {path}: {exc.strerror or exc}") from exc
    if not header:
        raise StoreError(f"{path} is empty: not a flowctl state file")
    if len(header) < _HEADER_SIZE or not header.startswith(b"SQLite format 3\0"):
        raise StoreError(f"{path} is not a flowctl state file: not an SQLite database")
    if int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise StoreError(f"{path} is not a flowctl state file (an SQLite database of another kind)")
    _refuse_newer(path, int.from_bytes(header[60:64], "big", signed=True))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid only when the change counter matches "version valid for". A
    # crash in the middle of a checkpoint leaves the file short of it too, with at least the
    # missing pages still in the WAL: SQLite finishes the checkpoint, and `prepare` checks
    # the result.
    missing = pages - size // page_size
    if (
        pages
        and header[24:28] == header[92:96]
        and size < pages * page_size
        and _wal_frames(path, page_size) < missing
    ):
        raise StoreError(
            f"{path} is corrupt (cut short: {size} bytes of {pages * page_size}); "
            "restore it from a backup"
        )


def _wal_frames(path: Path, page_size: int) -> int:
    """How many frames (a 24-byte header and a page each) the file's WAL holds."""
    try:
        size = Path(f"{path}-wal").stat().st_size
    except OSError:
        return 0
    return max(size - _WAL_HEADER_SIZE, 0) // (_WAL_FRAME_HEADER_SIZE + page_size)


_WAL_HEADER_SIZE = 32
_WAL_FRAME_HEADER_SIZE = 24


def _refuse_newer(path: Path, version: int) -> None:
    latest = len(MIGRATIONS)
    if version > latest:
        raise StoreError(
            f"{path} was written by a newer flowctl (state version {version}; this one reads "
            f"up to {latest}): upgrade flowctl to use it"
        )


def prepare(db: Db) -> None:
    """Check through SQLite that the file is a sound flowctl state this version can read,
    then bring its schema up to date. Nothing is written unless every check passed."""
    path = db.path
    # The first read of the header: raises NOTADB on a file that is not a database.
    application_id = _pragma(db, "application_id")
    version = int(_pragma(db, "user_version"))
    if application_id != APPLICATION_ID:
        raise StoreError(f"{path} is not a flowctl state file (an SQLite database of another kind)")
    _refuse_newer(path, version)  # the header may be stale: a newer version may be in the WAL
    latest = len(MIGRATIONS)
    problems = [row[0] for row in db.all("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise StoreError(f"{path} is corrupt ({'; '.join(problems[:3])}); restore it from a backup")
    if version < latest:
        _migrate(db, latest)
    if str(_pragma(db, "journal_mode")).lower() != "wal":
        db.execute("PRAGMA journal_mode = WAL")


def _pragma(db: Db, name: str) -> int | str:
    row = db.one(f"PRAGMA {name}")
    assert row is not None
    value: int | str = row[0]
    return value


def _migrate(db: Db, latest: int) -> None:
    """Apply the migrations the file lacks, all in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = int(_pragma(db, "user_version"))
        for migration in MIGRATIONS[version:latest]:
            for statement in migration:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {latest}")
        db.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            db.conn.rollback()
        if isinstance(exc, StoreError):
            detail = exc.__cause__ or exc
            raise StoreError(
                f"cannot update {db.path} to state version {latest}: {detail}"
            ) from exc
        raise
