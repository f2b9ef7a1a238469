"""`flowctl nodes`: the catalogue, one type's details, and each built-in's example."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.cli.nodes_cmd import example_yaml
from tests.conftest import REGISTRY, VALIDATOR

TYPES = REGISTRY.names()


def test_catalogue_lists_every_type_with_exits_and_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["nodes"])
    assert result.exit_code == 0
    for name in TYPES:
        assert name in result.output
    assert "received, timeout" in result.output
    assert "none (ends the flow)" in result.output


def test_one_type_shows_fields_exits_and_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["nodes", "delay"])
    assert result.exit_code == 0
    for text in ("duration", "until.time", "until.weekdays", "time_of_day", "example:"):
        assert text in result.output
    assert 'time: "09:30"' in result.output  # quoted, so that a copied 12:30 stays a time
    webhook = runner.invoke(app, ["nodes", "webhook"], env={"COLUMNS": "160"}).output
    assert "default" in webhook
    (method,) = [line for line in webhook.splitlines() if line.startswith("│ method")]
    assert [cell.strip() for cell in method.split("│")][4] == "POST"


def test_unknown_type_is_a_usage_error_with_a_hint(runner: CliRunner) -> None:
    result = runner.invoke(app, ["nodes", "delya"])
    assert result.exit_code == 2
    assert "did you mean 'delay'?" in result.output


@pytest.mark.parametrize("name", TYPES)
def test_each_example_is_a_valid_node(name: str) -> None:
    example = dict(REGISTRY.get(name).example)  # type: ignore[union-attr]
    example.pop("next", None)
    flow = {"version": 1, "name": "example", "start": "my_node", "nodes": {"my_node": example}}
    result = VALIDATOR.validate_source(yaml.safe_dump(flow), "example.yaml")
    rules = {d.rule for d in result.diagnostics}
    # An example with named exits leaves them unmapped once 'next' is removed; all else is valid.
    assert rules <= {"missing-exit"}, result.diagnostics


@pytest.mark.parametrize("name", TYPES)
def test_each_printed_example_reads_back_as_the_example(name: str) -> None:
    example = REGISTRY.get(name).example  # type: ignore[union-attr]
    assert yaml.safe_load(example_yaml(example)) == {"my_node": example}
