"""Large flows: every command on one 90,000-node chain, against PyYAML's own load of the file.

A chain (each node's `next` is the following node, a `goal` at the end) is the flow whose dry
run has a step per node, so every stage's cost per node shows: loading, validation, preparing
the plan, the walk, and printing the trace. Each case is a fresh process, as a user runs it,
and PyYAML's load runs in one too, so start-up is in both. **Target (issue 11): every command
within 1.6x of the PyYAML load.** Above that the bench is flagged and fails.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.timing import best_of, print_table

NODES = 90_000
TARGET = 1.6
REPEAT = 2


def chain(nodes: int) -> str:
    """A valid flow of `nodes` nodes in one line of `delay`s ending in a `goal`."""
    lines = ["version: 1", "name: chain", "start: n0", "nodes:"]
    lines += [
        f"  n{i}: {{type: delay, config: {{duration: 1s}}, next: n{i + 1}}}"
        for i in range(nodes - 1)
    ]
    lines.append(f"  n{nodes - 1}: {{type: goal, config: {{name: done}}}}")
    return "\n".join(lines) + "\n"


def _process(*args: str) -> Callable[[], object]:
    def run() -> None:
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

    return run


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        flow = Path(folder, "chain.yaml")
        flow.write_text(chain(NODES), encoding="utf-8")
        contact = Path(folder, "contact.json")
        contact.write_text('{"id": "c-1"}', encoding="utf-8")
        flowctl = (sys.executable, "-m", "flowctl")
        dry_run = (*flowctl, "run", str(flow), "--dry-run", "--contact", str(contact))
        load = "import sys, yaml; yaml.load(open(sys.argv[1], 'rb'), Loader=yaml.CSafeLoader)"
        cases = {
            "PyYAML load (baseline)": _process(sys.executable, "-c", load, str(flow)),
            "validate --quiet": _process(*flowctl, "validate", "--quiet", str(flow)),
            "graph (mermaid)": _process(*flowctl, "graph", str(flow)),
            "run --dry-run (text)": _process(*dry_run),
            "run --dry-run --format json": _process(*dry_run, "--format", "json"),
        }
        best = best_of(cases, repeat=REPEAT, warmup=0)
    baseline = best["PyYAML load (baseline)"]
    rows = [
        [name, f"{seconds:.2f} s", f"{seconds / baseline:.2f}x"] for name, seconds in best.items()
    ]
    print(f"one chain of {NODES:,} nodes, best of {REPEAT}; target: within {TARGET}x")
    print_table(["case", "time", "vs PyYAML"], rows)
    slow = [name for name, seconds in best.items() if seconds / baseline > TARGET]
    if slow:
        print(f"over {TARGET}x: {', '.join(slow)}")
        return 1
    return 0
