"""Validation speed against its floor, PyYAML's own load of the same files, in the same run.

(a) 1,000 generated flow files of 20-60 nodes, read from disk: `Validator().validate_source`
    per file vs `yaml.load(text, Loader=yaml.CSafeLoader)` per file, in files/s; plus one
    end-to-end `python -m flowctl validate DIR --quiet` (interpreter start-up included).
(b) one 5,000-node flow: the same comparison.
(c) linearity: µs per node for flows of 1,000 to 8,000 nodes; the largest over the smallest
    should stay near 1 (validation does no per-node rescans of the whole graph). Above 1.5 the
    bench is flagged and fails.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from benchmarks.flowgen import generate_flow, node_count, write_flows
from benchmarks.timing import best_of, print_table, run_once
from flowctl.validation import Validator

FILES = 1_000
FILE_NODES = (20, 60)
BIG = 5_000
LINEAR = (1_000, 2_000, 4_000, 8_000)
LINEAR_LIMIT = 1.5  # largest / smallest µs per node before the bench flags it
# The 1,000 files take seconds per pass: a warm-up on a slice, then two rounds. The code is warm
# after (a), so (b) and (c) skip the warm-up round.
FILES_WARMUP = 100
FILES_REPEAT = 2
REPEAT = 3

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _read_text(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _cases(validator: Validator, paths: Sequence[Path]) -> dict[str, Callable[[], object]]:
    """flowctl and the PyYAML floor over the same files, each reading them from disk."""

    def flowctl() -> None:
        for path in paths:
            validator.validate_source(_read_bytes(path), str(path))

    def pyyaml() -> None:
        for path in paths:
            yaml.load(_read_text(path), Loader=_LOADER)  # the C *safe* loader

    return {"flowctl": flowctl, "pyyaml": pyyaml}


def _assert_valid(validator: Validator, paths: Sequence[Path]) -> None:
    """Measure the path real, valid flows take: a generator bug must not time error reports."""
    for path in paths:
        result = validator.validate_source(_read_bytes(path), str(path))
        if result.diagnostics:
            first = result.diagnostics[0]
            raise AssertionError(f"{path}:{first.line}: generated flow is invalid: {first.message}")


def _cli_seconds(directory: Path) -> float:
    """Wall time of one `python -m flowctl validate DIR --quiet`, start-up included."""
    command = [sys.executable, "-m", "flowctl", "validate", str(directory), "--quiet"]
    return run_once(lambda: subprocess.run(command, check=True, capture_output=True))


def _files(validator: Validator, directory: Path) -> list[list[str]]:
    started = time.perf_counter()
    paths = write_flows(directory, FILES, FILE_NODES)
    nodes = sum(node_count(_read_text(path)) for path in paths)
    print(f"(a) wrote {FILES:,} flows, {nodes:,} nodes, in {time.perf_counter() - started:.1f} s")
    _assert_valid(validator, paths[:FILES_WARMUP])
    for warm_up in _cases(validator, paths[:FILES_WARMUP]).values():
        warm_up()
    best = best_of(_cases(validator, paths), repeat=FILES_REPEAT, warmup=0)
    cli = _cli_seconds(directory)
    floor = best["pyyaml"]
    return [
        _row(f"{FILES:,} files: library", FILES, best["flowctl"], floor),
        _row(f"{FILES:,} files: CLI process (once)", FILES, cli, floor),
        _row(f"{FILES:,} files: PyYAML load", FILES, floor, floor),
    ]


def _big(validator: Validator, directory: Path) -> list[list[str]]:
    path = directory / f"big_{BIG}.yaml"
    path.write_text(generate_flow(BIG, seed=1), encoding="utf-8")
    _assert_valid(validator, [path])
    best = best_of(_cases(validator, [path]), repeat=REPEAT, warmup=0)
    floor = best["pyyaml"]
    return [
        _row(f"{BIG:,}-node flow: library", 1, best["flowctl"], floor),
        _row(f"{BIG:,}-node flow: PyYAML load", 1, floor, floor),
    ]


def _row(case: str, files: int, seconds: float, floor: float) -> list[str]:
    rate = files / seconds
    return [
        case,
        f"{rate:,.{2 if rate < 10 else 1}f}",
        f"{seconds * 1000:,.0f}",
        f"{seconds / floor:.2f}x",
    ]


def _linearity(validator: Validator) -> tuple[list[list[str]], float]:
    rows, per_node = [], []
    for nodes in LINEAR:
        source = generate_flow(nodes, seed=2).encode()
        text = source.decode()
        best = best_of(
            {
                "flowctl": lambda source=source: validator.validate_source(source, "linear.yaml"),
                "pyyaml": lambda text=text: yaml.load(text, Loader=_LOADER),
            },
            repeat=REPEAT,
            warmup=0,
        )
        micros = best["flowctl"] / nodes * 1e6
        per_node.append(micros)
        rows.append(
            [
                f"{nodes:,} nodes",
                f"{micros:.1f} µs/node",
                f"{best['pyyaml'] / nodes * 1e6:.1f} µs/node",
                f"{best['flowctl'] / best['pyyaml']:.2f}x",
            ]
        )
    return rows, max(per_node) / min(per_node)


def main() -> int:
    validator = Validator()
    print(
        f"PyYAML {yaml.__version__} with {_LOADER.__name__}; best of {REPEAT} "
        f"((a): of {FILES_REPEAT}); 'vs PyYAML' is time / PyYAML's load time"
    )
    with tempfile.TemporaryDirectory(prefix="flowctl-bench-") as tmp:
        directory = Path(tmp) / "flows"
        directory.mkdir()
        rows = _files(validator, directory)
        rows += _big(validator, Path(tmp))
    print()
    print_table(["case", "files/s", "ms", "vs PyYAML"], rows)
    linear_rows, spread = _linearity(validator)
    print()
    print_table(["(c) linearity", "flowctl", "PyYAML load", "vs PyYAML"], linear_rows)
    linear = spread <= LINEAR_LIMIT
    verdict = "linear" if linear else f"FLAGGED: not linear (limit {LINEAR_LIMIT})"
    print(f"largest / smallest µs per node: {spread:.2f} -> {verdict}")
    return 0 if linear else 1
