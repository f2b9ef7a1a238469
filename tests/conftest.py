"""Shared fixtures: paths to the repository's files and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FLOWS = ROOT / "flows"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests compare plain text: no colour, a wide terminal so nothing wraps."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


# A real PostgreSQL for the tests that need one (tests/pgserver.py).
from tests.pgserver import pg_database, pg_schema, pg_state  # noqa: E402, F401
