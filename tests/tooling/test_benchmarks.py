"""The benchmark runner and the flow generator the benchmarks share (not their timings)."""

from __future__ import annotations

import sys
import types
from collections import Counter
from collections.abc import Callable

import pytest
import yaml

from benchmarks import __main__ as runner
from benchmarks.flowgen import generate_flow
from tests.conftest import REGISTRY, VALIDATOR


@pytest.mark.parametrize("nodes", [1, 2, 3, 7, 40, 300])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_flows_are_valid(nodes: int, seed: int) -> None:
    text = generate_flow(nodes, seed)
    assert len(yaml.safe_load(text)["nodes"]) == nodes
    assert VALIDATOR.validate_source(text, "generated.yaml").diagnostics == ()


def test_generation_is_deterministic_and_covers_every_node_type() -> None:
    assert generate_flow(200, 5) == generate_flow(200, 5) != generate_flow(200, 6)
    kinds = Counter(
        node["type"] for node in yaml.safe_load(generate_flow(200, 5))["nodes"].values()
    )
    assert set(kinds) == set(REGISTRY.names())


def test_bench_names_select_with_or_without_prefix() -> None:
    available = ["bench_run", "bench_validate"]
    assert runner.select(available, []) == (available, [])
    assert runner.select(available, ["validate"]) == (["bench_validate"], [])
    assert runner.select(available, ["bench_run", "nope"]) == (["bench_run"], ["nope"])


def test_a_failing_bench_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = []

    def fake(name: str, main: Callable[[], object]) -> None:
        module = types.ModuleType(f"benchmarks.{name}")
        module.main = main  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)

    def broken() -> None:
        raise RuntimeError("boom")

    fake("bench_a", broken)
    fake("bench_b", lambda: ran.append("b"))
    monkeypatch.setattr(runner, "discover", lambda: ["bench_a", "bench_b"])
    assert runner.main([]) == 1
    assert ran == ["b"]
    output = capsys.readouterr()
    assert "RuntimeError: boom" in output.err
    assert "1 of 2 benches failed: bench_a" in output.out
    assert runner.main(["nope"]) == 2
