"""Messages say what is true: split sums of whole-number floats, plurals, the README's worked
example, and what `yaml-limits` counts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.diagnostics.rules import RULES
from flowctl.loading.yaml_file import DEFAULT_LIMITS
from tests.conftest import FLOWS, ROOT, VALIDATOR

SPLIT = """version: 1
name: ab
start: ab
nodes:
  ab: {{type: split, config: {{variants: {variants}}}, next: {next}}}
  a: {{type: goal, config: {{name: a}}}}
  b: {{type: goal, config: {{name: b}}}}
"""


def messages(source: str) -> list[str]:
    return [d.message for d in VALIDATOR.validate_source(source, "f.yaml").diagnostics]


def test_percentages_written_as_floats_are_summed() -> None:
    both = "{a: a, b: b}"
    assert messages(SPLIT.format(variants="{a: 50.0, b: 50.0}", next=both)) == []
    (found,) = messages(SPLIT.format(variants="{a: 50.0, b: 40}", next=both))
    assert "variants sum to 90, not 100 (a 50.0 + b 40)" in found


def test_minimum_counts_use_the_right_plural() -> None:
    found = messages(SPLIT.format(variants="{a: 100}", next="{a: a}"))
    assert "node 'ab' (split): config.variants needs at least 2 entries" in found


def test_the_readme_example_prints_what_flowctl_prints(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## In 30 seconds") :]
    flow = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    shown = re.search(r"```text\n\$ flowctl validate flows/\n(.*?)```", section, re.DOTALL)
    assert flow is not None and shown is not None
    shutil.copytree(FLOWS, tmp_path / "flows")
    (tmp_path / "flows" / "post-purchase.yaml").write_text(flow[1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "flows/"])
    assert result.exit_code == 1
    assert result.stdout == shown[1]


def test_yaml_limits_says_what_it_counts() -> None:
    explained = RULES["yaml-limits"].explanation
    assert f"{DEFAULT_LIMITS.max_nodes:,} YAML nodes (every key, value, list and mapping" in (
        explained
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"over {DEFAULT_LIMITS.max_nodes:,} YAML nodes (every key, value, list and mapping)" in (
        readme
    )
