"""Patterns and numbers: a schema pattern ending in `$` matches to the very end of the string
(no trailing newline slips through), for flowctl and for an ECMA-262 client of the published
schema alike; `.nan` and `.inf` are not JSON numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flowctl.schema.merged import build_schema
from tests.conftest import REGISTRY, VALIDATOR, run_bounded

FLOW = """version: 1
name: {name}
start: a
nodes:
  {node_id}: {{type: update_contact, config: {{set: {{{path}: 1}}}}, next: b}}
  b: {{type: send_message, config: {{channel: email, template_id: t, params: {{x: {param}}}}}}}
"""
GOOD = {"name": "ok", "node_id": "a", "path": "plan", "param": "1"}


def rules(**changes: str) -> list[tuple[str, str]]:
    source = FLOW.format(**{**GOOD, **changes})
    found = VALIDATOR.validate_source(source, "f.yaml").diagnostics
    return [(d.rule, d.pointer) for d in found if d.is_error]


def patterns(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        own = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
        return own + [p for value in schema.values() for p in patterns(value)]
    if isinstance(schema, list):
        return [p for value in schema for p in patterns(value)]
    return []


def test_the_good_flow_is_valid() -> None:
    assert rules() == []


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("name", '"ok\\n"', "/name"),
        ("node_id", '"a\\n"', "/nodes/a\n"),
        ("path", '"plan\\n"', "/nodes/a/config/set/plan\n"),
    ],
)
def test_a_trailing_newline_does_not_pass_an_anchored_pattern(
    field: str, value: str, pointer: str
) -> None:
    changes = {field: value, **({"node_id": '"a\\n"'} if field == "node_id" else {})}
    if field == "node_id":
        source = FLOW.format(**{**GOOD, **changes}).replace("start: a", 'start: "a\\n"')
        found = VALIDATOR.validate_source(source, "f.yaml").diagnostics
        assert ("schema", pointer) in [(d.rule, d.pointer) for d in found]
    else:
        assert ("schema", pointer) in rules(**changes)


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "[1, .NaN]", "{deep: .Inf}"])
def test_nan_and_infinity_are_not_json(value: str) -> None:
    found = rules(param=value)
    assert found and all(rule == "schema" for rule, _ in found), found
    assert all(pointer.startswith("/nodes/b/config/params/x") for _, pointer in found)


def test_nan_is_named_in_the_message(tmp_path: Path) -> None:
    source = FLOW.format(**GOOD).replace("{set: {plan: 1}}", "{set: {plan: .nan}}")
    (tmp_path / "nan.yaml").write_text(source, encoding="utf-8")
    ran = run_bounded("validate", "nan.yaml", cwd=tmp_path)
    assert ran.code == 1
    assert "NaN" not in ran.stdout.replace("nan.yaml", "")  # never shown as a JSON-ish NaN
    assert "config.set.plan must be a JSON value" in ran.stdout


def test_the_published_patterns_stay_portable() -> None:
    """Every anchored pattern ends in a plain `$`: ECMA-262 (editors) reads it as the end of
    the string; `\\Z` would be a literal `Z` there."""
    found = patterns(build_schema(REGISTRY))
    assert found
    assert not any("\\Z" in pattern or "\\z" in pattern for pattern in found)
    assert any(re.search(r"(?<!\\)\$$", pattern) for pattern in found)


def test_an_ecma_262_client_of_the_schema_agrees(tmp_path: Path) -> None:
    """check-jsonschema (an ECMA-262 regex engine) rejects what flowctl rejects."""
    schema = tmp_path / "flow.schema.json"
    schema.write_text(json.dumps(build_schema(REGISTRY)), encoding="utf-8")
    for name, expected in (("ok", 0), ('"ok\\n"', 1)):
        flow = tmp_path / "flow.yaml"
        flow.write_text(FLOW.format(**{**GOOD, "name": name}), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(flow)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == expected, done.stdout + done.stderr
