"""Large flows: a long chain validates, draws and dry-runs in both formats, with the whole trace
and nothing else on stdout. Speed is the benchmark's (`python -m benchmarks large`); here the
subprocess timeout is only the bound that turns a hang into a failure."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.bench_large import chain
from tests.conftest import run_bounded

NODES = 5_000


def test_a_long_chain_dry_runs_in_both_formats(tmp_path: Path) -> None:
    (tmp_path / "chain.yaml").write_text(chain(NODES), encoding="utf-8")
    (tmp_path / "c.json").write_text('{"id": "c-1"}', encoding="utf-8")
    dry_run = ("run", "chain.yaml", "--dry-run", "--contact", "c.json")
    text = run_bounded(*dry_run, cwd=tmp_path, timeout=60, max_output=1_000_000)
    assert text.code == 0, text.stderr
    lines = text.stdout.splitlines()
    steps = [line for line in lines[1:-1] if not line.startswith("    ")]  # not what it does
    assert [line.split("  ")[1] for line in steps] == [
        *(f"n{i} (delay)" for i in range(NODES - 1)),
        f"n{NODES - 1} (goal)",
    ]
    assert lines[-1].startswith("status: converted at ")
    traced = run_bounded(
        *dry_run, "--format", "json", cwd=tmp_path, timeout=60, max_output=2_000_000
    )
    assert traced.code == 0, traced.stderr
    steps = json.loads(traced.stdout)["steps"]
    assert [step["node"] for step in steps] == [f"n{i}" for i in range(NODES)]


def test_a_long_chain_validates_and_draws(tmp_path: Path) -> None:
    (tmp_path / "chain.yaml").write_text(chain(NODES), encoding="utf-8")
    assert run_bounded("validate", "chain.yaml", cwd=tmp_path, timeout=60).code == 0
    drawn = run_bounded("graph", "chain.yaml", cwd=tmp_path, timeout=60, max_output=500_000)
    assert drawn.code == 0
    assert drawn.stdout.count(" --> ") == NODES  # start -> n0, then one edge per delay
