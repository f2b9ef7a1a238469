"""Cold start-up: `flowctl validate` against `check-jsonschema` on the same files, same run.

Each timing is a fresh interpreter (`python -m TOOL ...`), as pre-commit, CI and editors run
them: (a) one bundled flow, (b) 500 generated flows of 5-30 nodes. Both tools must accept the
files before they are timed. check-jsonschema checks the committed schema only; flowctl checks
the schema, the graph and every node's own rules as well. Goals: flowctl at least 2x faster on
one file and 5x on 500 files. Install check-jsonschema with `pip install -e '.[bench]'`.

Both tools start from bytecode, as installed packages do: pip compiles check-jsonschema when it
installs it, but an editable flowctl checkout has no `__pycache__` where PYTHONDONTWRITEBYTECODE
is set (as on CI machines), and would be timed compiling its own sources. So the bench compiles
flowctl's modules first, which is what `pip install flowctl` does.
"""

from __future__ import annotations

import compileall
import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/bench_startup.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.flowgen import write_flows
from benchmarks.timing import best_of, print_table, run_once

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "flow.schema.json"
ONE_FILE = ROOT / "flows" / "post-purchase.yaml"
MANY = 500
SIZES = (5, 30)
GOALS = {"1 file": 2.0, f"{MANY} files": 5.0}
REPEAT = {"1 file": 9, f"{MANY} files": 3}


def flowctl(files: Sequence[Path]) -> list[str]:
    return [sys.executable, "-m", "flowctl", "validate", "--quiet", *map(str, files)]


def check_jsonschema(files: Sequence[Path]) -> list[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA)]
    return [*command, *map(str, files)]


def _accepted(command: list[str]) -> None:
    """Time only runs that succeed: a failing tool would measure its error path."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command[2]} rejected the files:\n{done.stdout}{done.stderr}")


def _compare(case: str, files: Sequence[Path]) -> list[str]:
    commands = {"flowctl": flowctl(files), "check-jsonschema": check_jsonschema(files)}
    for command in commands.values():
        _accepted(command)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    best = best_of(
        {
            name: (lambda c=c: subprocess.run(c, check=True, **quiet))
            for name, c in commands.items()
        },
        repeat=REPEAT[case],
    )
    ratio = best["check-jsonschema"] / best["flowctl"]
    verdict = "ok" if ratio >= GOALS[case] else "BELOW GOAL"
    return [
        case,
        f"{best['flowctl'] * 1000:.0f} ms",
        f"{best['check-jsonschema'] * 1000:.0f} ms",
        f"{ratio:.1f}x",
        f">= {GOALS[case]:.0f}x {verdict}",
    ]


def main() -> int:
    if importlib.util.find_spec("check_jsonschema") is None:
        print("skipped: check-jsonschema is not installed (pip install -e '.[bench]')")
        return 0
    compileall.compile_dir(ROOT / "flowctl", quiet=1)
    interpreter = run_once(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    print(
        f"cold runs of `python -m TOOL`, best of {REPEAT['1 file']} (1 file) and "
        f"{REPEAT[f'{MANY} files']} ({MANY} files); a bare interpreter takes "
        f"{interpreter * 1000:.0f} ms"
    )
    rows = [_compare("1 file", [ONE_FILE])]
    with tempfile.TemporaryDirectory(prefix="flowctl-bench-") as tmp:
        rows.append(_compare(f"{MANY} files", write_flows(Path(tmp), MANY, SIZES)))
    print()
    print_table(["case", "flowctl", "check-jsonschema", "faster", "goal"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
