"""The PostgreSQL store's tables, their versions, and procrastinate's schema beside them.

Both live in the first schema of the connection's `search_path` (`public` unless the URL says
otherwise, e.g. `?options=-csearch_path%3Djourneys`). flowctl's tables are prefixed `flowctl_`
as procrastinate's are `procrastinate_`, so that one database can hold both and more.

`flowctl_meta` keeps the schema version (`MIGRATIONS[n]` takes a store from version `n` to
`n + 1`) and the procrastinate version whose schema was applied. `flowctl db migrate` creates
and upgrades both, under an advisory lock, in one transaction, and running it again changes
nothing; every other command only checks the versions and refuses a store it cannot use.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata, resources
from pathlib import Path

import psycopg

from flowctl.store.base import StoreError

#: Held while migrating, so that two `flowctl db migrate` at once take turns: "flow" in ASCII.
MIGRATION_LOCK = 0x666C6F77

Migration = Sequence[str]

_REFS = "DEFERRABLE INITIALLY DEFERRED"

_VERSION_1: Migration = (
    """CREATE TABLE flowctl_flows (
        digest text PRIMARY KEY,
        name text NOT NULL,
        path text NOT NULL,
        source text NOT NULL,
        created_at timestamptz NOT NULL)""",
    f"""CREATE TABLE flowctl_enrolments (
        id text PRIMARY KEY,
        digest text NOT NULL REFERENCES flowctl_flows (digest) {_REFS},
        source text NOT NULL,
        position bigint NOT NULL,
        done boolean NOT NULL)""",
    f"""CREATE TABLE flowctl_runs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        flow text NOT NULL,
        digest text NOT NULL REFERENCES flowctl_flows (digest) {_REFS},
        contact text NOT NULL,
        status text NOT NULL,
        node text,
        step integer NOT NULL,
        wake_at timestamptz,
        awaiting text,
        state json NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        enrolment text REFERENCES flowctl_enrolments (id) {_REFS},
        attempts integer NOT NULL,
        error text,
        version integer NOT NULL)""",
    "CREATE INDEX flowctl_runs_due ON flowctl_runs (status, wake_at, id)",
    "CREATE INDEX flowctl_runs_flow_contact ON flowctl_runs (flow, contact, status)",
    "CREATE INDEX flowctl_runs_contact ON flowctl_runs (contact)",
    "CREATE INDEX flowctl_runs_order ON flowctl_runs (created_at, id)",
    """CREATE INDEX flowctl_runs_enrolment ON flowctl_runs (enrolment)
        WHERE enrolment IS NOT NULL""",
    f"""CREATE TABLE flowctl_steps (
        run text NOT NULL REFERENCES flowctl_runs (id) {_REFS},
        number integer NOT NULL,
        node text NOT NULL,
        type text NOT NULL,
        at timestamptz NOT NULL,
        exit text,
        effect_key text,
        warnings json NOT NULL,
        PRIMARY KEY (run, number))""",
    f"""CREATE TABLE flowctl_effects (
        key text PRIMARY KEY,
        run text NOT NULL REFERENCES flowctl_runs (id) {_REFS},
        flow text NOT NULL,
        contact text NOT NULL,
        node text NOT NULL,
        step integer NOT NULL,
        at timestamptz NOT NULL,
        channel text NOT NULL,
        effect json NOT NULL,
        status text NOT NULL,
        attempts integer NOT NULL,
        next_attempt_at timestamptz,
        reply json,
        error text,
        retry json,
        attributes json,
        claimed_by text,
        claimed_until timestamptz)""",
    "CREATE INDEX flowctl_effects_run ON flowctl_effects (run, step)",
    """CREATE INDEX flowctl_effects_pending ON flowctl_effects (run, step)
        WHERE status = 'pending'""",
    """CREATE INDEX flowctl_effects_retry ON flowctl_effects (next_attempt_at)
        WHERE status = 'pending' AND next_attempt_at IS NOT NULL""",
    """CREATE INDEX flowctl_effects_claims ON flowctl_effects (claimed_by)
        WHERE claimed_by IS NOT NULL""",
    """CREATE TABLE flowctl_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        contact text NOT NULL,
        name text NOT NULL,
        at timestamptz NOT NULL,
        properties json NOT NULL)""",
    "CREATE INDEX flowctl_events_contact ON flowctl_events (contact, at)",
)

# Version 2: the channels' shared rate buckets and error budgets (docs/handlers.md, *Limits*).
_VERSION_2: Migration = (
    """CREATE TABLE flowctl_channels (
        channel text PRIMARY KEY,
        tokens double precision NOT NULL,
        tokens_at timestamptz,
        failures integer NOT NULL,
        window_start timestamptz,
        paused_until timestamptz)""",
)

#: Forward migrations, oldest first: the schema version is their number. Append only.
MIGRATIONS: tuple[Migration, ...] = (_VERSION_1, _VERSION_2)

_META = """CREATE TABLE IF NOT EXISTS flowctl_meta (
    key text PRIMARY KEY,
    value text NOT NULL)"""


def stored_versions(conn: psycopg.Connection) -> tuple[int, str | None]:
    """(flowctl's schema version, the procrastinate version applied): (0, None) when empty."""
    found = conn.execute("SELECT to_regclass('flowctl_meta') IS NOT NULL").fetchone()
    if found is None or not found[0]:
        return 0, None
    rows: dict[str, str] = dict(conn.execute("SELECT key, value FROM flowctl_meta").fetchall())
    version = rows.get("schema_version", "0")
    return int(version), rows.get("procrastinate_version")


def check(conn: psycopg.Connection, where: str) -> None:
    """Refuse a store this flowctl cannot use: none yet, an older one, or a newer one."""
    version, _ = stored_versions(conn)
    latest = len(MIGRATIONS)
    if version > latest:
        raise StoreError(
            f"{where} was written by a newer flowctl (store version {version}; this one reads "
            f"up to {latest}): upgrade flowctl to use it"
        )
    if version == 0:
        raise StoreError(f"{where} has no flowctl tables yet: run 'flowctl db migrate' first")
    if version < latest:
        raise StoreError(
            f"{where} is at store version {version}, this flowctl needs {latest}: "
            "run 'flowctl db migrate' to upgrade it"
        )


def migrate(conn: psycopg.Connection, where: str) -> list[str]:
    """Create or upgrade flowctl's tables and procrastinate's schema, in one transaction;
    what was done, in words (nothing when the store is up to date)."""
    done: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(_META)
        version, queue_version = stored_versions(conn)
        latest = len(MIGRATIONS)
        if version > latest:
            check(conn, where)
        for migration in MIGRATIONS[version:]:
            for statement in migration:
                conn.execute(statement)
        if version < latest:
            done.append(f"flowctl tables: version {latest}")
        _put(conn, "schema_version", str(latest))
        done += _migrate_queue(conn, queue_version)
    return done


def _migrate_queue(conn: psycopg.Connection, applied: str | None) -> list[str]:
    """procrastinate's schema: applied whole on a new store; its migration scripts newer than
    the version applied before, in order, on an older one."""
    current = metadata.version("procrastinate")
    if applied == current:
        return []
    exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    if applied is None and not (exists and exists[0]):
        schema = resources.files("procrastinate.sql") / "schema.sql"
        conn.execute(schema.read_text(encoding="utf-8"))
        done = [f"procrastinate schema {current}"]
    else:
        done = [f"procrastinate migration {name}" for name in _queue_migrations(conn, applied)]
    _put(conn, "procrastinate_version", current)
    return done


def _queue_migrations(conn: psycopg.Connection, applied: str | None) -> list[str]:
    """Apply procrastinate's migration scripts after version `applied` (all of them when it is
    unknown: a schema applied by hand is taken as current)."""
    if applied is None:
        return []
    folder = Path(str(resources.files("procrastinate.sql") / "migrations"))
    since = _version_key(applied)
    names = sorted(path.name for path in folder.glob("*.sql"))
    newer = [name for name in names if _version_key(name.split("_", 1)[0]) > since]
    for name in newer:
        conn.execute((folder / name).read_text(encoding="utf-8"))
    return newer


def _version_key(text: str) -> tuple[int, ...]:
    parts = [int(part) for part in text.split(".")[:3] if part.isdecimal()]
    return tuple(parts + [0] * (3 - len(parts)))


def _put(conn: psycopg.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO flowctl_meta (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
