"""Real runs on PostgreSQL through procrastinate workers, as separate processes on a real
server: they perform exactly the dry run's effects; one of two workers killed with SIGKILL in
the middle of a job has that job retried after its heartbeat stops, and the outbox still holds
every effect exactly once; so it does when every connection is cut, or when the server
itself is stopped and started again; SIGTERM lets a worker finish and exit 0.

The run's clock is set 30 days before the wall clock, so that every wait of the flow is over
by the wall clock that the queue's scheduled jobs go by, whatever the date.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.runtime.conftest import STARTED, flowctl, ok, outbox
from tests.runtime.test_crash import FLOW, audience, delivered, expected_effects

STALL = "2"  # seconds without a heartbeat before a worker counts as gone
POLL = 0.1
MAX_POLLS = 1200  # two minutes at most, for anything the test waits for


@pytest.fixture
def store(pg_store: str) -> str:
    return pg_store


def run_clock() -> str:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    return moment.isoformat().replace("+00:00", "Z")


_logs = itertools.count()


def worker(project: Path, url: str, *args: str) -> subprocess.Popen[bytes]:
    """A worker process; its stderr goes to a file of its own (`log(process)`)."""
    env = {**os.environ, "NO_COLOR": "1", "FLOWCTL_STORE": url}
    env.pop("FLOWCTL_STATE", None)
    path = project / f"worker-{next(_logs)}.log"
    with path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "flowctl", "worker", "--stall-timeout", STALL, *args],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    process.log = path  # type: ignore[attr-defined]
    STARTED.append(process)
    return process


def free_port() -> int:
    """A loopback port nothing listens on (for now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def log(process: subprocess.Popen[bytes]) -> str:
    path: Path = process.log  # type: ignore[attr-defined]
    return path.read_text(encoding="utf-8")


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def wait_for(condition: object, what: str) -> None:
    assert callable(condition)
    for _ in range(MAX_POLLS):
        if condition():
            return
        time.sleep(POLL)
    raise AssertionError(f"gave up waiting for {what}")


def finished(url: str) -> bool:
    [(live, pending)] = query(
        url,
        "SELECT (SELECT count(*) FROM flowctl_runs WHERE status IN ('active', 'waiting')), "
        "(SELECT count(*) FROM flowctl_effects WHERE status = 'pending')",
    )
    return live == 0 and pending == 0


def stop(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    err = log(process)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return err


def test_queue_workers_perform_exactly_the_dry_runs_effects(project: Path, store: str) -> None:
    clock = run_clock()
    contacts = audience(project / "audience.jsonl")
    ok("run", str(FLOW), "--contacts", str(contacts), "--now", clock)
    first = worker(project, store, "--once")
    second = worker(project, store, "--once", "--concurrency", "2")
    for process in (first, second):
        process.wait(timeout=120)
        assert process.returncode == 0, log(process)
        assert "flowctl: worker: started on postgresql://" in log(process)
    wait_for(lambda: finished(store), "every run to end")  # --once may leave the other's part
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts, clock)
    assert max(keys.values()) == 1
    statuses = Counter(
        json.loads(line)["status"]
        for line in ok("runs", "list", "--format", "json").stdout.splitlines()
    )
    assert statuses == {"completed": 1200}


def test_a_worker_killed_mid_job_has_its_job_retried_and_nothing_doubles(
    project: Path, store: str
) -> None:
    clock = run_clock()
    contacts = audience(project / "audience.jsonl")
    ok("run", str(FLOW), "--contacts", str(contacts), "--now", clock)
    doomed = worker(project, store)
    wait_for(lambda: query(store, "SELECT id FROM procrastinate_workers"), "the first worker")
    [(doomed_id,)] = query(store, "SELECT id FROM procrastinate_workers")
    survivor = worker(project, store)
    busy = f"SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = {doomed_id}"
    wait_for(lambda: query(store, busy), "a job of the first worker")
    [(job,)] = query(store, busy)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    restarted = worker(project, store, "--concurrency", "2")
    wait_for(lambda: finished(store), "every run to end")
    for process in (survivor, restarted):
        assert "flowctl: worker: stopped" in stop(process)
    # The killed worker's job was taken up again (retried jobs that succeed are deleted).
    assert query(store, f"SELECT status FROM procrastinate_jobs WHERE id = {job}") == []
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts, clock)
    assert max(keys.values()) == 1
    assert len(outbox(project)) == sum(effects.values())


def test_health_reports_workers_jobs_and_runs(project: Path, store: str) -> None:
    ok("run", str(FLOW), "--contact", "-", "--now", run_clock(), stdin='{"id": "c-1"}')
    report = json.loads(ok("worker", "--health").stdout)
    assert report["store"].startswith("postgresql://127.0.0.1")
    assert report["workers"] == 0
    assert report["runs"]["waiting"] == 1
    assert report["jobs_due"] >= 1
    assert report["queues"]["runs"] == {"todo": 1}


def test_workers_reconnect_after_losing_the_database_and_nothing_doubles(
    project: Path, store: str
) -> None:
    clock = run_clock()
    contacts = audience(project / "audience.jsonl")
    ok("run", str(FLOW), "--contacts", str(contacts), "--now", clock)
    workers = [worker(project, store), worker(project, store, "--concurrency", "2")]
    cut = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    others = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    def busy() -> bool:
        doing = query(store, "SELECT 1 FROM procrastinate_jobs WHERE status = 'doing'")
        return bool(doing) and query(store, others)[0][0] >= 2

    # Every connection to the database, cut while a job runs; then, once the workers are back
    # and busy again (unless they finished meanwhile), once more.
    wait_for(busy, "a job")
    [(killed,)] = query(store, cut)
    assert killed >= 2
    wait_for(lambda: finished(store) or busy(), "the workers to come back")
    if not finished(store):
        query(store, cut)
    wait_for(lambda: finished(store), "every run to end")
    for process in workers:  # whichever noticed (a worker may only have lost idle connections)
        stop(process)
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts, clock)
    assert max(keys.values()) == 1


class PrivateServer:
    """A PostgreSQL server of the test's own, in a temporary folder on a free loopback port, so
    that the test may stop and start it without touching the machine's server. Run as the
    `postgres` user when the test runs as root (PostgreSQL refuses root)."""

    def __init__(self, folder: Path) -> None:
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not binaries:
            pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = binaries[-1].parent
        self.data = folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.port = free_port()
        folder.mkdir(exist_ok=True)
        if self.as_user:
            shutil.chown(folder, "postgres")
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        # Its output to a file: a server holding a pipe of ours would keep `run` waiting.
        log_file = str(self.data.parent / "server.log")
        self._pg(
            "pg_ctl", "-D", str(self.data), "-l", log_file, "-o", options, "-w", "-t", "60", "start"
        )

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    # Not below pytest's tmp_path: that is private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="flowctl-test-pg-"))
    try:
        server = PrivateServer(folder)
        server.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        for process in STARTED:  # the workers first, so that the server can stop
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_workers_wait_out_a_stopped_server_and_finish_when_it_is_back(
    project: Path, private_server: PrivateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL itself is stopped mid-run (fast shutdown: every connection cut) and started
    again a few seconds later: the workers keep trying, reconnect, and finish; one started
    while the server was down waits for it and helps; `worker --once` exits 2 meanwhile.
    Every effect is in the outbox exactly once."""
    store = private_server.url
    monkeypatch.setenv("FLOWCTL_STORE", store)
    ok("db", "migrate")
    clock = run_clock()
    contacts = audience(project / "audience.jsonl")
    ok("run", str(FLOW), "--contacts", str(contacts), "--now", clock)
    workers = [worker(project, store), worker(project, store, "--concurrency", "2")]
    wait_for(
        lambda: bool(query(store, "SELECT 1 FROM procrastinate_jobs WHERE status = 'doing'")),
        "a job",
    )
    private_server.stop()
    late = worker(project, store)
    once = flowctl("worker", "--once")
    assert once.exit_code == 2
    assert "flowctl: error: cannot connect to postgresql://127.0.0.1:" in once.stderr
    wait_for(lambda: "trying again in" in log(late), "the late worker to wait for the server")
    time.sleep(2)  # the workers find the server gone, and keep trying
    workers.append(late)
    assert [process.poll() for process in workers] == [None] * 3, list(map(log, workers))
    private_server.start()
    wait_for(lambda: finished(store), "every run to end")
    logs = [stop(process) for process in workers]
    assert any("lost the database; starting again" in text for text in logs), logs
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts, clock)
    assert max(keys.values()) == 1


def test_a_worker_waiting_for_its_database_stops_at_once_on_sigterm(project: Path) -> None:
    """A worker started before its database waits for it, and a stop asked for meanwhile
    ends it with exit 0 at once, as during work."""
    waiting = worker(project, f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    wait_for(lambda: "trying again in" in log(waiting), "the worker to wait for its database")
    assert waiting.poll() is None
    err = stop(waiting)
    assert "cannot connect to postgresql://127.0.0.1:" in err
    assert err.rstrip().endswith("flowctl: worker: stopped")


def test_a_worker_on_a_database_that_does_not_exist_stops_with_exit_2(
    project: Path, pg_database: str
) -> None:
    """A mistake in the URL is not waited out."""
    url = urlsplit(pg_database)._replace(path="/flowctl_no_such_database").geturl()
    mistaken = worker(project, url)
    assert mistaken.wait(timeout=60) == 2
    err = log(mistaken)
    assert '"flowctl_no_such_database" does not exist' in err
    assert "trying again" not in err
    assert "Traceback" not in err
