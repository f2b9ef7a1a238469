"""Real runs in a project folder of their own: the state file and the outbox land there."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from flowctl.cli import app

NOW = "2026-11-20T10:00:00Z"

#: Worker processes a test started; `pg_store` kills those still running at the test's end.
STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder as the working directory, no configuration above it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWCTL_STATE", raising=False)
    (tmp_path / ".flowctl.toml").write_text("", encoding="utf-8")
    yield tmp_path


@pytest.fixture
def pg_store(
    project: Path, pg_state: Iterator[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated PostgreSQL state for the test, as `$FLOWCTL_STORE`; worker processes still
    running at its end are killed."""
    url = next(pg_state)
    monkeypatch.setenv("FLOWCTL_STORE", url)
    yield url
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def flowctl(*args: str, stdin: str | None = None) -> Result:
    """`flowctl ARGS` in this process, stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), input=stdin)


def ok(*args: str, stdin: str | None = None) -> Result:
    result = flowctl(*args, stdin=stdin)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result


def outbox(project: Path) -> list[dict[str, Any]]:
    path = project / ".flowctl" / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, items: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def just_before(moment: datetime) -> str:
    return iso(moment - timedelta(microseconds=1))


# The handlers' real peers (an HTTP server, an SMTP server on 127.0.0.1), for commands that
# call them.
from tests.handlers.conftest import (  # noqa: E402, F401
    _no_proxies,
    closed_port,
    mail_server,
    web_server,
)
