"""Terminal injection: no node id, key, value, path or raw byte of a file reaches the terminal
unescaped, in `validate` (every format), `graph`, `nodes`, a dry run and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowctl.words import printable
from tests.conftest import run_bounded

ESC = "\x1b[2J\x1b[31m"
FORGED = "\nflows/ok.yaml:1:1: error: forged [schema]\n"


def hostile_flow(tmp_path: Path) -> Path:
    """A flow whose ids, keys and values hold escape codes, NULs and a forged diagnostic line,
    written with YAML's double-quoted escapes so the file itself is valid text."""
    hostile = json.dumps(ESC + "\0" + FORGED)  # a JSON string is a YAML double-quoted string
    flow = tmp_path / "hostile.yaml"
    flow.write_text(
        "version: 1\n"
        f"name: {hostile}\n"
        "start: a\n"
        "nodes:\n"
        f"  a: {{type: branch, config: {{cases: {{{hostile}: {{attribute: x, equals: 1}}}}}},"
        f" next: {{{hostile}: b, default: b, {hostile}x: b}}}}\n"
        f"  b: {{type: {hostile}, config: {{{hostile}: 1}}}}\n"
        f"  {hostile}: {{type: goal, config: {{name: g}}}}\n",
        encoding="utf-8",
    )
    return flow


@pytest.mark.parametrize("output_format", ["text", "github", "json", "sarif"])
def test_validate_escapes_ids_keys_and_values(tmp_path: Path, output_format: str) -> None:
    flow = hostile_flow(tmp_path)
    ran = run_bounded("validate", "--format", output_format, flow.name, cwd=tmp_path)
    assert ran.code == 1
    assert "forged" in ran.stdout  # the text is there, escaped
    lines = ran.stdout.splitlines()
    assert not any(line.startswith("flows/ok.yaml") for line in lines)


def test_text_excerpt_of_a_raw_escape_byte_shows_it_escaped(tmp_path: Path) -> None:
    flow = tmp_path / "raw.yaml"
    flow.write_bytes(b"version: 1\nname: x # \x1b[31mred\x07\nstart: a\n")
    ran = run_bounded("validate", flow.name, cwd=tmp_path)
    assert ran.code == 1
    assert "U+001B" in ran.stdout
    assert "\\x1b[31mred\\x07" in ran.stdout  # the excerpt, escaped


def test_graph_labels_are_escaped(tmp_path: Path) -> None:
    flow = tmp_path / "branchy.yaml"
    case = json.dumps("shoes" + ESC + "\n")
    flow.write_text(
        "version: 1\nname: g\nstart: a\nnodes:\n"
        f"  a: {{type: branch, config: {{cases: {{{case}: {{attribute: x, equals: 1}}}}}},"
        f" next: {{{case}: b, default: b}}}}\n"
        "  b: {type: goal, config: {name: done}}\n",
        encoding="utf-8",
    )
    shown = printable("shoes" + ESC)
    for output_format, label in (("mermaid", shown), ("dot", shown.replace("\\", "\\\\"))):
        ran = run_bounded("graph", flow.name, "--format", output_format, cwd=tmp_path)
        assert ran.code == 0, ran.output
        assert label in ran.stdout  # DOT doubles the backslash of the escape


def test_error_messages_and_unknown_node_types_are_escaped(tmp_path: Path) -> None:
    ran = run_bounded("nodes", "send" + ESC + FORGED, cwd=tmp_path)
    assert ran.code == 2
    assert ran.stderr.count("\n") == 1, ran.stderr  # one error line, nothing forged
    missing = run_bounded("validate", "no" + ESC + FORGED + ".yaml", cwd=tmp_path)
    assert missing.code == 2
    assert missing.stderr.startswith("flowctl: error: no\\x1b[2J")


def test_dry_run_of_a_contact_with_escape_codes(tmp_path: Path) -> None:
    flow = tmp_path / "f.yaml"
    flow.write_text(
        "version: 1\nname: f\nstart: a\nnodes:\n  a: {type: goal, config: {name: g}}\n",
        encoding="utf-8",
    )
    contact = tmp_path / "c.json"
    contact.write_text(json.dumps({"id": ESC + FORGED, "attributes": {}}), encoding="utf-8")
    ran = run_bounded("run", flow.name, "--dry-run", "--contact", contact.name, cwd=tmp_path)
    assert ran.code == 0, ran.output
    assert printable(ESC) in ran.stdout
