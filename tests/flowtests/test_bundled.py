"""The bundled flows' tests (`flows/*.flowtest.yaml`) pass and take every exit of every flow."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flowctl.cli import app
from tests.conftest import FLOWS, ROOT, bundled_flows


def test_every_bundled_flow_has_a_flow_test_file() -> None:
    tested = {path.name.removesuffix(".flowtest.yaml") for path in FLOWS.glob("*.flowtest.yaml")}
    assert tested == {path.stem for path in bundled_flows()}


def test_the_bundled_flow_tests_pass_with_full_exit_coverage(
    runner: CliRunner, monkeypatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["test", "--format", "json", "--min-coverage", "100", "flows/"])
    assert result.exit_code == 0, result.stdout
    document = json.loads(result.stdout)
    assert {entry["flow"] for entry in document["coverage"]} == {
        f"flows/{path.name}" for path in bundled_flows()
    }
    assert all(entry["percent"] == 100 for entry in document["coverage"])
    assert document["summary"]["failed"] == document["summary"]["not_run"] == 0
