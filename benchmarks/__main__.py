"""`python -m benchmarks [NAME...]`: run every `benchmarks/bench_*.py`, or the named ones.

Each bench module has a `main()`; they run in name order under a header. A bench that fails is
reported and the others still run; the exit status is then 1. `NAME` is the module name with
or without its `bench_` prefix (`validate` runs `bench_validate.py`).
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

PREFIX = "bench_"


def discover() -> list[str]:
    """The bench module names, sorted."""
    return sorted(path.stem for path in Path(__file__).parent.glob(f"{PREFIX}*.py"))


def select(available: Sequence[str], wanted: Sequence[str]) -> tuple[list[str], list[str]]:
    """The benches `wanted` names (all when none), and the names that match no bench."""
    if not wanted:
        return list(available), []
    short = {name.removeprefix(PREFIX) for name in wanted}
    found = [bench for bench in available if bench.removeprefix(PREFIX) in short]
    known = {bench.removeprefix(PREFIX) for bench in found}
    return found, [name for name in wanted if name.removeprefix(PREFIX) not in known]


def run(bench: str) -> bool:
    """Import and run one bench under a header; whether it succeeded."""
    print(f"\n=== {bench.removeprefix(PREFIX)} (benchmarks/{bench}.py) ===", flush=True)
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{bench}")
        status = module.main()
    except SystemExit as exit:  # a bench may exit like a script; 0 and None are success
        status = exit.code
    except Exception:  # one broken bench must not hide the others' numbers
        traceback.print_exc()
        status = 1
    ok = status in (None, 0)
    print(f"--- {bench}: {'done' if ok else 'FAILED'} in {time.perf_counter() - start:.1f} s")
    return ok


def main(argv: Sequence[str] | None = None) -> int:
    available = discover()
    selected, unknown = select(available, sys.argv[1:] if argv is None else argv)
    if unknown:
        known = ", ".join(bench.removeprefix(PREFIX) for bench in available)
        print(f"no bench named {', '.join(unknown)}; available: {known}", file=sys.stderr)
        return 2
    failed = [bench for bench in selected if not run(bench)]
    if failed:
        print(f"\n{len(failed)} of {len(selected)} benches failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
