"""Real runs: 100,000 contacts through the 10-node bench flow with the outbox handler.

In the same run: the dry run of the same audience (the goal: the durable run at least a quarter
of its speed), the SQLite floor (bare inserts of as many rows in WAL mode, in one transaction
and committed per row), peak memory of the real run at 10,000 and 100,000 contacts (flat), and
`worker --once` waking every run due at the same minute. Each command runs as its own process,
as a user runs it (`flowctl run ... --now T`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_run import FLOW, write_audience
from benchmarks.timing import print_table

CONTACTS = 100_000
MEMORY_SIZES = (10_000, 100_000)
RATIO_GOAL = 0.25
MEMORY_GROWTH_LIMIT = 1.5
NOW = "2026-11-20T10:00:00Z"
LATER = "2026-12-01T10:00:00Z"  # past every wait of the bench flow
PER_ROW_COMMITS = 5_000  # committing each row is slow: measured on fewer, reported per row

_MAXRSS = (
    "import resource, sys, runpy;"
    "sys.argv = ['flowctl', *sys.argv[1:]];"
    "code = 0\n"
    "try:\n    runpy.run_module('flowctl', run_name='__main__')\n"
    "except SystemExit as exit:\n    code = exit.code or 0\n"
    "sys.stderr.write('maxrss_kib=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    "sys.exit(code)"
)


def flowctl(cwd: Path, *args: str) -> tuple[float, int, str]:
    """Seconds, peak memory (KiB) and stdout of one `flowctl ARGS` process."""
    env = {**os.environ, "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MAXRSS, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"flowctl {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    peak = int(done.stderr.rsplit("maxrss_kib=", 1)[1].split()[0])
    return elapsed, peak, done.stdout


def sqlite_floor(folder: Path, rows: int) -> tuple[float, float]:
    """Seconds per row: inserts in one transaction, and one commit per row, WAL mode."""
    path = folder / "floor.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, run TEXT, node TEXT, body TEXT)")
    body = json.dumps({"send": {"channel": "email", "template_id": "hello_v1", "to": "c-1"}})
    start = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO t (run, node, body) VALUES (?, ?, ?)",
        ((f"r{i}", "hello", body) for i in range(rows)),
    )
    db.execute("COMMIT")
    one = (time.perf_counter() - start) / rows
    start = time.perf_counter()
    for i in range(PER_ROW_COMMITS):
        db.execute("INSERT INTO t (run, node, body) VALUES (?, ?, ?)", (f"s{i}", "hello", body))
    each = (time.perf_counter() - start) / PER_ROW_COMMITS
    db.close()
    return one, each


def steps_in(state: Path) -> int:
    db = sqlite3.connect(state)
    try:
        return int(db.execute("SELECT count(*) FROM steps").fetchone()[0])
    finally:
        db.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "bench.yaml").write_text(FLOW, encoding="utf-8")
        (folder / ".flowctl.toml").write_text("", encoding="utf-8")
        audiences = {n: write_audience(folder / f"audience-{n}.jsonl", n) for n in MEMORY_SIZES}
        big = str(audiences[CONTACTS])

        dry_s, _, _ = flowctl(
            folder,
            "run",
            "bench.yaml",
            "--dry-run",
            "--contacts",
            big,
            "--now",
            NOW,
            "--format",
            "json",
        )
        real_s, real_peak, _ = flowctl(
            folder,
            "run",
            "bench.yaml",
            "--contacts",
            big,
            "--now",
            NOW,
            "--state",
            "big.db",
            "--format",
            "json",
        )
        enrol_steps = steps_in(folder / "big.db")
        worker_s, _, _ = flowctl(folder, "worker", "--once", "--now", LATER, "--state", "big.db")
        worker_steps = steps_in(folder / "big.db") - enrol_steps
        _, small_peak, _ = flowctl(
            folder,
            "run",
            "bench.yaml",
            "--contacts",
            str(audiences[10_000]),
            "--now",
            NOW,
            "--state",
            "small.db",
            "--format",
            "json",
        )
        one, each = sqlite_floor(folder, enrol_steps)

    dry_steps = enrol_steps + worker_steps  # the dry run takes every step in one go
    rows = [
        (
            "dry run",
            f"{CONTACTS:,}",
            f"{dry_steps:,}",
            f"{dry_s:.2f}",
            f"{CONTACTS / dry_s:,.0f}",
            f"{dry_steps / dry_s:,.0f}",
        ),
        (
            "real run (enrol)",
            f"{CONTACTS:,}",
            f"{enrol_steps:,}",
            f"{real_s:.2f}",
            f"{CONTACTS / real_s:,.0f}",
            f"{enrol_steps / real_s:,.0f}",
        ),
        (
            "worker --once",
            f"{CONTACTS:,}",
            f"{worker_steps:,}",
            f"{worker_s:.2f}",
            f"{CONTACTS / worker_s:,.0f}",
            f"{worker_steps / worker_s:,.0f}",
        ),
        (
            "sqlite floor, 1 tx",
            "-",
            f"{enrol_steps:,}",
            f"{one * enrol_steps:.2f}",
            "-",
            f"{1 / one:,.0f}",
        ),
        (
            "sqlite floor, commit/row",
            "-",
            f"{enrol_steps:,}",
            f"{each * enrol_steps:.2f}",
            "-",
            f"{1 / each:,.0f}",
        ),
    ]
    print(f"10-node bench flow, outbox handler, from {NOW}; wall time of whole processes")
    print_table(("case", "contacts", "node steps", "s", "contacts/s", "steps/s"), rows)
    real_total = real_s + worker_s
    ratio = dry_s / real_total
    print(
        f"\nreal run (enrol + worker) vs dry run, contacts/s: {ratio:.2f}x (goal >= {RATIO_GOAL}x)"
    )
    growth = real_peak / small_peak
    print(
        f"peak memory (max RSS) of the real run: {small_peak / 1024:.0f} MiB at 10,000 contacts, "
        f"{real_peak / 1024:.0f} MiB at 100,000: {growth:.2f}x (limit {MEMORY_GROWTH_LIMIT}x)"
    )
    missed = []
    if ratio < RATIO_GOAL:
        missed.append(f"the real run is {ratio:.2f}x the dry run's speed, under {RATIO_GOAL}x")
    if growth > MEMORY_GROWTH_LIMIT:
        missed.append(f"memory grew {growth:.2f}x from 10,000 to 100,000 contacts")
    for line in missed:
        print(f"GOAL MISSED: {line}")
    return 0
