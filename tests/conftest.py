"""Shared fixtures: paths to the repository's files, the installed node types and a validator
for them, and a CLI runner."""

from __future__ import annotations

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
