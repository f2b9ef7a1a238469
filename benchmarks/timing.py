"""Best-of-N timing and a compact table, shared by the benchmarks.

Timings are the best of several runs (the least disturbed one) with `time.perf_counter`, after
warm-up runs, with the garbage collector paused as `timeit` does. Cases that are compared with
each other run in alternating rounds, so that a machine busy for a moment slows both alike.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence


def run_once(function: Callable[[], object]) -> float:
    """Seconds one call takes, without garbage collection pauses."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def best_of(
    cases: Mapping[str, Callable[[], object]], repeat: int = 3, warmup: int = 1
) -> dict[str, float]:
    """The best time of each case over `repeat` alternating rounds, after `warmup` rounds."""
    for _ in range(warmup):
        for function in cases.values():
            function()
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeat):
        for name, function in cases.items():
            best[name] = min(best[name], run_once(function))
    return best


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to fit: the first left-aligned, numbers right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = [str(cell).rjust(width) for cell, width in zip(cells, widths, strict=True)]
        padded[0] = str(cells[0]).ljust(widths[0])
        return "  ".join(padded)

    print(line(headers))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))
