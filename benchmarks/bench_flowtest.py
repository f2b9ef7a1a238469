"""`flowctl test` speed: what reading, checking and counting cost on top of the dry runs.

(a) 2,000 cases in one test file against the bundled post-purchase flow, each with a path, exits
    and effects to check, run end to end by the library (read the YAML with positions, validate
    the flow, walk, check, count exits): cases/s.
(b) the floor: the same contacts walked through the same prepared flow, nothing else.
The ratio says what a flow test costs per case over its dry run.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as `python benchmarks/bench_flowtest.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import best_of, print_table
from flowctl.config.settings import Config
from flowctl.engine import load_flow
from flowctl.flowtests import run_suite
from flowctl.language.contacts import Contact
from flowctl.plugins.registry import Registry
from flowctl.simulate import walk
from flowctl.validation import Validator

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "flows" / "post-purchase.yaml"
CASES = 2_000
RATE_GOAL = 1_000  # cases/s end to end
RATIO_GOAL = 30.0  # end to end / walks alone: the loader with positions dominates
NOW = datetime(2026, 11, 24, 8, tzinfo=UTC)
# category -> (exit of by_category, offer node, offer template)
OFFERS = {
    "shoes": ("shoes", "shoes_offer", "shoes_xsell"),
    "bags": ("bags", "bags_offer", "bags_xsell"),
    "toys": ("default", "generic_offer", "generic_xsell"),
}


def test_file(cases: int) -> str:
    """A test file of `cases` cases, cycling through the branch's ways, all passing."""
    lines = ["flow: post-purchase.yaml", 'now: "2026-11-24T08:00:00Z"', "cases:"]
    categories = list(OFFERS)
    for number in range(cases):
        category = categories[number % len(categories)]
        exit_, node, template = OFFERS[category]
        lines += [
            f"  case {number}:",
            f"    contact: {{id: c{number}, attributes: {{last_order: {{category: {category}}}}}}}",
            "    expect:",
            f"      path: [thank_you, wait_3d, by_category, {node}]",
            f"      exits: {{by_category: {exit_}}}",
            "      effects:",
            "        - {send: {template_id: thanks_v2}}",
            f"        - {{send: {{template_id: {template}}}}}",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    categories = list(OFFERS)
    contacts = [
        Contact(f"c{n}", {"last_order": {"category": categories[n % len(categories)]}})
        for n in range(CASES)
    ]
    validator = Validator(Registry.from_entry_points())
    prepared = load_flow(FLOW.read_bytes(), str(FLOW), validator=validator).flow
    assert prepared is not None
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "post-purchase.yaml").write_bytes(FLOW.read_bytes())
        (folder / "bench.flowtest.yaml").write_text(test_file(CASES), encoding="utf-8")
        paths = [str(folder / "bench.flowtest.yaml")]
        result = run_suite(paths, Config(), validator)
        assert result.exit_code == 0 and result.cases == CASES, "the bench's cases must pass"
        times = best_of(
            {
                "flowctl test (library)": lambda: run_suite(paths, Config(), validator),
                "walks alone": lambda: [walk(prepared, contact, NOW) for contact in contacts],
            }
        )
    rows = [[name, f"{CASES:,}", f"{s:.3f}", f"{CASES / s:,.0f}"] for name, s in times.items()]
    print_table(["case", "cases", "s", "cases/s"], rows)
    rate = CASES / times["flowctl test (library)"]
    ratio = times["flowctl test (library)"] / times["walks alone"]
    print(f"\nend to end / walks alone: {ratio:.1f}x (goal {RATIO_GOAL:.0f}x)")
    problems = []
    if rate < RATE_GOAL:
        problems.append(f"{rate:,.0f} cases/s is under the goal of {RATE_GOAL:,}")
    if ratio > RATIO_GOAL:
        problems.append(f"a case costs {ratio:.1f}x its walk, over {RATIO_GOAL:.0f}x")
    for problem in problems:
        print(f"GOAL MISSED: {problem}")
    if not problems:
        print("all goals met")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
