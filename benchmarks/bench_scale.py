"""Scale-out: 100,000 contacts through the 10-node bench flow on PostgreSQL with 1, 2 and 4
worker processes (`flowctl worker --store URL`), the outbox handler, beside two baselines
measured in the same run: the bare floor (SKIP LOCKED claim-and-complete of as many rows, in
batches of a job's size, by as many clients as there are workers) and the SQLite store
(`flowctl worker --once`, one process).

Each case enrols the audience first (`flowctl run`, not timed in the worker numbers; its own
rate is printed), with the run's clock 30 days before the wall clock so that every wait is due
at once: the workers then face the whole audience due at the same moment, the herd of issue 12.
Timed: from the workers' start until no run is live and no effect pending. Goals (issue 12):
at least 3,000 contacts/s with 2 workers, and 2 workers at least 1.3x one.

The server is $FLOWCTL_BENCH_POSTGRES (default: the local one, as the `postgres` user); a
database is made per case and dropped after. $FLOWCTL_BENCH_CONTACTS changes the audience.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg import sql

from benchmarks.bench_run import FLOW, write_audience
from benchmarks.timing import print_table

CONTACTS = int(os.environ.get("FLOWCTL_BENCH_CONTACTS", "100000"))
SERVER = os.environ.get("FLOWCTL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
WORKERS = (1, 2, 4)
JOB_SIZE = 500  # flowctl.runtime.queue.JOB_SIZE: the floor claims rows in batches as large
GOAL_CONTACTS_PER_S = 3_000
GOAL_SPEEDUP = 1.3
POLL = 0.25
MAX_WAIT = 3_600.0  # seconds: a bound on any one case


def run_clock() -> str:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    return moment.isoformat().replace("+00:00", "Z")


def database_url(name: str) -> str:
    base, _, _ = SERVER.rpartition("/")
    return f"{base}/{name}"


class Database:
    """A database made for one case, dropped afterwards."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = database_url(name)

    def __enter__(self) -> Database:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def flowctl(cwd: Path, *args: str) -> float:
    """Seconds one `flowctl ARGS` process takes (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flowctl", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"flowctl {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    return time.perf_counter() - start


def progress(url: str) -> tuple[int, int, int]:
    """(live runs, pending effects, steps taken) in the store at `url`."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM flowctl_runs WHERE status IN ('active', 'waiting')), "
            "(SELECT count(*) FROM flowctl_effects WHERE status = 'pending'), "
            "(SELECT count(*) FROM flowctl_steps)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def postgres_case(folder: Path, audience: Path, workers: int) -> tuple[float, float, int]:
    """(enrol seconds, worker seconds, node steps the workers took) with `workers` processes."""
    with Database(f"flowctl_bench_scale_{workers}") as db:
        flowctl(folder, "db", "migrate", "--store", db.url)
        enrol_s = flowctl(
            folder,
            "run",
            "bench.yaml",
            "--contacts",
            str(audience),
            "--now",
            run_clock(),
            "--store",
            db.url,
            "--format",
            "json",
        )
        _, _, enrolled_steps = progress(db.url)
        env = {**os.environ, "NO_COLOR": "1"}
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "flowctl", "worker", "--store", db.url],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            while time.perf_counter() - start < MAX_WAIT:
                live, pending, steps = progress(db.url)
                if not live and not pending:
                    break
                time.sleep(POLL)
            else:
                raise RuntimeError(f"{workers} workers did not finish in {MAX_WAIT:.0f} s")
            worker_s = time.perf_counter() - start
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=120)
        return enrol_s, worker_s, steps - enrolled_steps


def floor(rows: int, clients: int) -> float:
    """Seconds for `clients` connections to claim and complete `rows` rows, `JOB_SIZE` per
    transaction, with FOR UPDATE SKIP LOCKED: the least any queue on this server can cost."""
    with Database("flowctl_bench_scale_floor") as db:
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE work "
                "(id bigint PRIMARY KEY, done boolean NOT NULL DEFAULT false, body json)"
            )
            conn.execute(
                "INSERT INTO work (id, body) "
                'SELECT n, \'{"runs": [["r", 1]]}\' FROM generate_series(1, %s) AS n',
                (rows,),
            )
            conn.execute("CREATE INDEX work_todo ON work (id) WHERE NOT done")
            conn.execute("VACUUM ANALYZE work")

        def client() -> None:
            with psycopg.connect(db.url) as conn:
                while True:
                    with conn.transaction():
                        claimed = conn.execute(
                            "SELECT id FROM work WHERE NOT done ORDER BY id LIMIT %s "
                            "FOR UPDATE SKIP LOCKED",
                            (JOB_SIZE,),
                        ).fetchall()
                        if not claimed:
                            return
                        conn.execute(
                            "UPDATE work SET done = true WHERE id = ANY(%s)",
                            ([row[0] for row in claimed],),
                        )

        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start


def sqlite_case(folder: Path, audience: Path) -> tuple[float, float, int]:
    import sqlite3

    state = folder / "bench.db"
    enrol_s = flowctl(
        folder,
        "run",
        "bench.yaml",
        "--contacts",
        str(audience),
        "--now",
        run_clock(),
        "--state",
        str(state),
        "--format",
        "json",
    )
    db = sqlite3.connect(state)
    before = int(db.execute("SELECT count(*) FROM steps").fetchone()[0])
    db.close()
    worker_s = flowctl(folder, "worker", "--once", "--state", str(state))
    db = sqlite3.connect(state)
    after = int(db.execute("SELECT count(*) FROM steps").fetchone()[0])
    db.close()
    return enrol_s, worker_s, after - before


def main() -> int:
    results: dict[str, tuple[float, float, int]] = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "bench.yaml").write_text(FLOW, encoding="utf-8")
        (folder / ".flowctl.toml").write_text("", encoding="utf-8")
        audience = write_audience(folder / "audience.jsonl", CONTACTS)
        results["sqlite, worker --once"] = sqlite_case(folder, audience)
        for count in WORKERS:
            results[f"postgresql, {count} worker{'s' if count > 1 else ''}"] = postgres_case(
                folder, audience, count
            )
    steps = max(result[2] for result in results.values())
    floors = {count: floor(CONTACTS, count) for count in WORKERS}

    rows = []
    for case, (enrol_s, worker_s, case_steps) in results.items():
        clients = int(case.split(", ")[1].split()[0]) if case.startswith("postgresql") else 1
        floor_rate = CONTACTS / floors[clients]
        rows.append(
            (
                case,
                f"{CONTACTS / enrol_s:,.0f}",
                f"{worker_s:.1f}",
                f"{CONTACTS / worker_s:,.0f}",
                f"{case_steps / worker_s:,.0f}",
                f"{CONTACTS / worker_s / floor_rate:.3f}",
            )
        )
    for count, seconds in floors.items():
        rows.append(
            (
                f"floor, {count} client{'s' if count > 1 else ''}",
                "-",
                f"{seconds:.1f}",
                f"{CONTACTS / seconds:,.0f}",
                "-",
                "1.000",
            )
        )
    print(
        f"{CONTACTS:,} contacts, 10-node bench flow, outbox handler; the whole audience due at once"
    )
    print(f"workers took {steps:,} node steps after enrolment (a floor row stands for a contact)")
    print_table(
        ("case", "enrol contacts/s", "workers s", "contacts/s", "steps/s", "vs floor"), rows
    )
    one = CONTACTS / results["postgresql, 1 worker"][1]
    two = CONTACTS / results["postgresql, 2 workers"][1]
    print(
        f"\n2 workers vs 1: {two / one:.2f}x (goal >= {GOAL_SPEEDUP}x); "
        f"2 workers: {two:,.0f} contacts/s (goal >= {GOAL_CONTACTS_PER_S:,})"
    )
    if two < GOAL_CONTACTS_PER_S:
        print(f"GOAL MISSED: 2 workers move {two:,.0f} contacts/s, under {GOAL_CONTACTS_PER_S:,}")
    if two / one < GOAL_SPEEDUP:
        print(f"GOAL MISSED: 2 workers are {two / one:.2f}x one, under {GOAL_SPEEDUP}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
