"""Output amplification: the text report stays proportional to the problems shown, not to the
size of the file or the number of times one mistake repeats."""

from __future__ import annotations

import json
from pathlib import Path

from flowctl.reporters.text import EXCERPT_WIDTH, SHOWN_PER_RULE
from tests.conftest import run_bounded

REPEATS = 3_000


def one_line_flow(tmp_path: Path) -> Path:
    """A 100 KB one-line flow with thousands of unknown fields on that one line."""
    fields = ", ".join(f"bogus{i}: {i}" for i in range(REPEATS))
    flow = tmp_path / "wide.yaml"
    flow.write_text(
        f"{{version: 1, name: w, start: a, nodes: {{a: {{type: goal, config: {{name: g}}, "
        f"{fields}}}}}}}\n",
        encoding="utf-8",
    )
    return flow


def test_a_long_line_with_many_errors_prints_a_bounded_report(tmp_path: Path) -> None:
    flow = one_line_flow(tmp_path)
    assert flow.stat().st_size > 30_000
    ran = run_bounded("validate", flow.name, cwd=tmp_path, max_output=40_000)
    assert ran.code == 1
    lines = ran.stdout.splitlines()
    headers = [line for line in lines if line.startswith("wide.yaml:1:")]
    assert len(headers) == SHOWN_PER_RULE
    excerpts = [line for line in lines if line.startswith("    1 | ")]
    assert excerpts and all(len(line) <= EXCERPT_WIDTH + 12 for line in excerpts)
    assert f"wide.yaml: {REPEATS - SHOWN_PER_RULE:,} more diagnostics [schema] not shown" in (
        ran.stdout
    )
    assert f"✗ {REPEATS:,} errors" in lines[-1]  # the summary still counts them all


def test_the_excerpt_keeps_the_caret_under_the_column(tmp_path: Path) -> None:
    flow = one_line_flow(tmp_path)
    data = json.loads(
        run_bounded(
            "validate", "--format", "json", flow.name, cwd=tmp_path, max_output=2_000_000
        ).stdout
    )
    last = data["files"][0]["diagnostics"][SHOWN_PER_RULE - 1]
    text = run_bounded("validate", flow.name, cwd=tmp_path).stdout.splitlines()
    at = text.index(
        next(line for line in text if line.startswith(f"wide.yaml:1:{last['column']}:"))
    )
    source, caret = text[at + 1], text[at + 2]
    marked = source[caret.index("^") : caret.index("^") + len(caret.strip(" |"))]
    assert marked == f"bogus{SHOWN_PER_RULE - 1}"


def test_json_lists_every_diagnostic(tmp_path: Path) -> None:
    flow = one_line_flow(tmp_path)
    ran = run_bounded("validate", "--format", "json", flow.name, cwd=tmp_path, max_output=2_000_000)
    assert len(json.loads(ran.stdout)["files"][0]["diagnostics"]) == REPEATS
