"""The merged schema: committed copy in sync, `flowctl schema` options, editor-friendliness."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.schema.merged import build_schema, dumps
from tests.conftest import REGISTRY, ROOT, bundled_flows

COMMITTED = ROOT / "schemas" / "flow.schema.json"


def test_committed_schema_is_in_sync_with_the_node_types() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dumps(build_schema(REGISTRY)), (
        "schemas/flow.schema.json is stale: run 'flowctl schema --output schemas/flow.schema.json'"
    )


def test_schema_is_a_valid_draft_07_schema() -> None:
    Draft7Validator.check_schema(json.loads(COMMITTED.read_text()))


def test_print_output_and_check(runner: CliRunner, tmp_path: Path) -> None:
    printed = runner.invoke(app, ["schema"])
    assert printed.exit_code == 0
    assert printed.output == COMMITTED.read_text()
    target = tmp_path / "flow.schema.json"
    assert runner.invoke(app, ["schema", "--output", str(target)]).exit_code == 0
    assert target.read_text() == COMMITTED.read_text()
    fresh = runner.invoke(app, ["schema", "--check", str(target)])
    assert fresh.exit_code == 0 and "up to date" in fresh.output


def test_check_reports_a_stale_file_with_a_diff_and_exit_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    schema = json.loads(COMMITTED.read_text())
    del schema["definitions"]["config:goal"]["properties"]["name"]["description"]
    stale = tmp_path / "flow.schema.json"
    stale.write_text(json.dumps(schema, indent=2))
    result = runner.invoke(app, ["schema", "--check", str(stale)])
    assert result.exit_code == 1
    assert "is stale" in result.output
    assert '+          "description": "Name of the goal reached' in result.output


def test_check_of_a_file_that_is_not_text_says_it_is_stale(
    runner: CliRunner, tmp_path: Path
) -> None:
    binary = tmp_path / "flow.schema.json"
    binary.write_bytes(b"\xff\xfe{}")
    result = runner.invoke(app, ["schema", "--check", str(binary)])
    assert result.exit_code == 1
    assert "is stale" in result.output


def test_check_of_a_missing_file_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--check", str(tmp_path / "nope.json")])
    assert result.exit_code == 2


def _fields(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property a user can write, through nested objects, lists and definitions."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        yield f"{where}.{name}", sub
        yield from _fields(sub, f"{where}.{name}")
    for key in ("additionalProperties", "items"):
        yield from _fields(schema.get(key), f"{where}/{key}")
    for name, sub in schema.get("definitions", {}).items():
        yield from _fields(sub, f"#{name}")


def test_every_field_has_a_description_for_editors() -> None:
    schema = build_schema(REGISTRY)
    missing = [where for where, sub in _fields(schema) if "description" not in sub]
    assert missing == []


def test_bundled_flows_pass_plain_jsonschema_too() -> None:
    """Editors and check-jsonschema see the same schema: bundled flows must pass it alone."""
    validator = Draft7Validator(json.loads(COMMITTED.read_text()))
    for path in bundled_flows():
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path


@pytest.mark.parametrize("type_name", REGISTRY.names())
def test_a_config_error_is_reported_against_its_own_type_only(type_name: str) -> None:
    schema = build_schema(REGISTRY)
    dispatch = schema["definitions"]["node"]["allOf"]
    node = {"type": type_name, "config": {"no_such_field": 1}}
    flow = {"version": 1, "name": "x", "start": "n", "nodes": {"n": node}}
    errors = list(Draft7Validator(schema).iter_errors(flow))
    assert errors, type_name
    for error in errors:
        schema_path = list(error.absolute_schema_path)
        branch = dispatch[schema_path[schema_path.index("allOf") + 1]]
        assert branch["if"]["properties"]["type"]["const"] == type_name
        assert schema_path[schema_path.index("allOf") + 2] == "then"


def test_each_node_type_has_its_own_description_for_completion() -> None:
    registry = REGISTRY
    type_schema = build_schema(registry)["definitions"]["node"]["properties"]["type"]
    names = type_schema["enum"]
    assert names == registry.names()
    markdown = type_schema["markdownEnumDescriptions"]
    plain = type_schema["enumDescriptions"]
    assert len(markdown) == len(plain) == len(names)
    for name, shown, text in zip(names, markdown, plain, strict=True):
        node_type = registry.get(name)
        assert node_type is not None
        assert shown == f"**{name}**: {node_type.summary}\n\nExits: {node_type.exits.describe()}."
        assert text == node_type.summary
    assert ";" not in type_schema["description"]  # not the old run-on catalogue of every type


def test_each_config_definition_has_a_title() -> None:
    definitions = build_schema(REGISTRY)["definitions"]
    titles = {
        name: sub.get("title") for name, sub in definitions.items() if name.startswith("config:")
    }
    assert titles == {f"config:{name}": f"{name} config" for name in REGISTRY.names()}


def test_editor_docs_set_yaml_1_1_like_flowctl() -> None:
    """The documented VS Code settings are JSON that sets the YAML version flowctl reads."""
    text = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    blocks = [json.loads(part.split("```")[0]) for part in text.split("```json\n")[1:]]
    settings = next(block for block in blocks if "yaml.schemas" in block)
    assert settings["yaml.yamlVersion"] == "1.1"
    assert settings["yaml.schemas"] == {
        "./schemas/flow.schema.json": ["flows/**/*.yaml", "flows/**/*.yml"]
    }
