"""The yes/no schema check of valid files: flowctl's own predicate against jsonschema-rs.

`flowctl/validation/fast_schema.py` compiles the merged schema into plain-Python predicates, so
that a valid file never imports `jsonschema`. jsonschema-rs (Rust, with Python bindings) could
answer the same question. Measured here, each side best of N in alternating rounds: the import
(fresh interpreters, `-X importtime`; for flowctl the modules only the predicate needs), compiling
the merged schema, and checking generated valid flows (one of 5,000 nodes; 500 of 5-30 nodes, as
`startup` validates). Then the one thing a replacement must never do: answer "valid" where
`jsonschema.Draft7Validator` finds an error (formats not asserted, as flowctl validates).
jsonschema-rs is not a dependency: `pip install jsonschema-rs` to run this bench.
"""

from __future__ import annotations

import importlib.util
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/bench_predicate.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.flowgen import generate_flow
from benchmarks.timing import best_of, print_table

OWN_MODULES = ("flowctl.validation.fast_schema", "flowctl.language.json_values")
OWN_MODULES += ("flowctl.validation.type_dispatch",)
IMPORTS = 9
# Values YAML loads (`.inf`, `.nan`, any text) that a Draft-07 check must judge as jsonschema does.
TRAPS: list[tuple[dict[str, Any], Any]] = [
    ({"maximum": 100}, math.inf),
    ({"type": "number", "maximum": 100}, math.inf),
    ({"minimum": 0}, -math.inf),
    ({"multipleOf": 2}, math.inf),
    ({"pattern": "^\\W$"}, "é"),
    ({"pattern": "^\\D$"}, "٣"),
    ({"pattern": "^\\w+$"}, "café"),
    ({"uniqueItems": True}, [1, True]),
    ({"enum": [1]}, True),
]


def _import_ms(code: str, names: tuple[str, ...], cumulative: bool) -> float:
    """Best of `IMPORTS` fresh interpreters: the import time of `names`, in ms."""
    best = math.inf
    for _ in range(IMPORTS):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
        )
        total = 0
        for line in done.stderr.splitlines():
            parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
            if len(parts) == 3 and parts[2] in names:
                total += int(parts[1] if cumulative else parts[0])
        best = min(best, total / 1000)
    return best


def _unsafe(compile_predicate: Any, validator: Any) -> list[str]:
    """The traps a predicate calls valid while `jsonschema` finds an error (a predicate that is
    None, or raises `Undecided`, leaves the value to `jsonschema`: that is safe)."""
    from flowctl.validation.fast_schema import Undecided

    found = []
    for schema, value in TRAPS:
        predicate = compile_predicate(schema)
        try:
            says_valid = predicate is not None and predicate(value)
        except Undecided:
            says_valid = False
        if says_valid and not validator(schema).is_valid(value):
            found.append(f"{schema} on {value!r}")
    return found


def main() -> int:
    if importlib.util.find_spec("jsonschema_rs") is None:
        print("skipped: jsonschema-rs is not installed (pip install jsonschema-rs)")
        return 0
    import jsonschema_rs
    from jsonschema import Draft7Validator

    from flowctl.loading.yaml_file import load
    from flowctl.plugins.registry import Registry
    from flowctl.schema.merged import build_schema
    from flowctl.validation.fast_schema import compile_schema

    schema = build_schema(Registry.from_entry_points())
    own = compile_schema(schema)
    rs = jsonschema_rs.Draft7Validator(schema, validate_formats=False)
    assert own is not None

    def data(text: str) -> Any:
        document = load(text, "bench.yaml").document
        assert document is not None
        return document.data

    big = data(generate_flow(5000, 0))
    sizes = random.Random(0)
    small = [data(generate_flow(sizes.randint(5, 30), seed)) for seed in range(500)]
    assert own(big) and rs.is_valid(big) and all(map(own, small)) and all(map(rs.is_valid, small))

    imports = {
        "flowctl": _import_ms("import flowctl.validation", OWN_MODULES, cumulative=False),
        "jsonschema-rs": _import_ms("import jsonschema_rs", ("jsonschema_rs",), cumulative=True),
    }
    compile_ms = best_of(
        {
            "flowctl": lambda: compile_schema(schema),
            "jsonschema-rs": lambda: jsonschema_rs.Draft7Validator(schema, validate_formats=False),
        },
        repeat=20,
    )
    big_ms = best_of({"flowctl": lambda: own(big), "jsonschema-rs": lambda: rs.is_valid(big)})
    small_ms = best_of(
        {
            "flowctl": lambda: [own(each) for each in small],
            "jsonschema-rs": lambda: [rs.is_valid(each) for each in small],
        }
    )
    rows = [
        ["import", *(f"{imports[side]:.1f} ms" for side in imports)],
        ["compile the merged schema", *(f"{compile_ms[side] * 1000:.2f} ms" for side in imports)],
        ["one 5,000-node flow", *(f"{big_ms[side] * 1000:.1f} ms" for side in imports)],
        ["500 flows of 5-30 nodes", *(f"{small_ms[side] * 1000:.1f} ms" for side in imports)],
    ]
    print_table(["case", "flowctl (fast_schema)", "jsonschema-rs"], rows)
    predicates = {
        "flowctl": compile_schema,
        "jsonschema-rs": lambda schema: (
            jsonschema_rs.Draft7Validator(schema, validate_formats=False).is_valid
        ),
    }
    print()
    for side, compile_predicate in predicates.items():
        unsafe = _unsafe(compile_predicate, Draft7Validator)
        print(f"{side} says valid where jsonschema finds an error: {len(unsafe)} of {len(TRAPS)}")
        for case in unsafe:
            print(f"  {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
