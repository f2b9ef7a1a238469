"""Shared fixtures: paths to the repository's files, the installed node types and a validator
for them, a CLI runner, and a bounded subprocess run for hostile inputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.plugins.registry import Registry
from flowctl.validation import Validator

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FLOWS = ROOT / "flows"
# Built once for the suite, as a command builds them once (flowctl.compose).
REGISTRY = Registry.from_entry_points()
VALIDATOR = Validator(REGISTRY)


def bundled_flows() -> list[Path]:
    """The example flows under flows/, without their flow tests (`*.flowtest.yaml`)."""
    return sorted(p for p in FLOWS.glob("*.yaml") if not p.name.endswith(".flowtest.yaml"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests compare plain text: no colour, a wide terminal so nothing wraps."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


# Raw C0/C1 controls other than the line feed: what no output of flowctl may hold.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Ran:
    """A finished flowctl process: its exit code and its output, both streams."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_bounded(
    *args: str,
    cwd: Path,
    stdin: bytes | Path | None = None,
    timeout: float = 20.0,
    max_output: int = 200_000,
) -> Ran:
    """flowctl in a subprocess, for hostile inputs (`stdin` is bytes or a file to read it from):
    bounded in time (a hang fails the test through the timeout) and in output (written to
    files and measured before it is read), and checked for what no input may cause: a
    traceback or a raw control character in the output."""
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        source = stack.enter_context(stdin.open("rb")) if isinstance(stdin, Path) else None
        with out.open("wb") as stdout, err.open("wb") as stderr:
            done = subprocess.run(
                [sys.executable, "-m", "flowctl", *args],
                cwd=cwd,
                input=stdin if isinstance(stdin, bytes) else None,
                stdin=source or (None if stdin is not None else subprocess.DEVNULL),
                stdout=stdout,
                stderr=stderr,
                timeout=timeout,
                env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
                check=False,
            )
        size = out.stat().st_size + err.stat().st_size
        assert size <= max_output, f"{size:,} bytes of output, over {max_output:,}"
        ran = Ran(
            done.returncode, out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace")
        )
    assert "Traceback" not in ran.output, ran.output
    raw = RAW_CONTROL.search(ran.output)
    assert raw is None, f"raw control character {raw[0]!r} in the output:\n{ran.output[:2000]}"
    return ran


# A real PostgreSQL for the tests that need one (tests/pgserver.py).
from tests.pgserver import pg_database, pg_schema, pg_state  # noqa: E402, F401
