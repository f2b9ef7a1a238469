"""Dry-run speed and memory for an audience, against its floor, a bare walk of the same graph.

(a) 100,000 generated contacts, streamed as JSON Lines through a 10-node flow that uses every
    node type: contacts/s and node-steps/s end to end (parse, walk, tally), and for the walk
    alone (the same contacts parsed beforehand).
(b) the floor: the same contacts walked through the same graph with dict look-ups only (no node
    logic, the first exit everywhere); the ratio compares time per node step. Between the two,
    the engine with every node replaced by a no-op that takes its first exit: what the walk
    itself costs (a call, an outcome and a step record per node), without the node logic.
(c) peak memory (tracemalloc) of the streamed dry run for 10,000 and 100,000 contacts: it must
    not grow with the audience.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as `python benchmarks/bench_run.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import best_of, print_table
from flowctl.engine import PreparedFlow, PreparedNode, load_flow
from flowctl.language.contacts import Contact, parse_contact
from flowctl.nodes.base import Outcome, Step
from flowctl.simulate import Tally, dry_run_audience, read_contacts, walk

CONTACTS = 100_000
WALK_CONTACTS = 20_000  # parsed beforehand and kept in memory, so fewer
MEMORY_SIZES = (10_000, 100_000)
MEMORY_GROWTH_LIMIT = 1.5  # peak at 100k / peak at 10k before the bench flags it
STEPS_GOAL = 100_000  # node-steps/s
RATIO_GOAL = 5.0
REPEAT = 3
NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)

FLOW = """\
version: 1
name: bench-10
settings: {timezone: Europe/Berlin}
start: eligible
nodes:
  eligible:
    type: filter
    config:
      condition:
        all:
          - {attribute: country, in: [DE, AT, CH, FR, US]}
          - {attribute: unsubscribed, not_equals: true}
    next: tag
  tag:
    type: update_contact
    config: {set: {lifecycle.stage: nurture}}
    next: hello
  hello:
    type: send_message
    config:
      channel: email
      template_id: hello_v1
      params: {first_name: "{{ attributes.first_name }}", plan: "{{ attributes.plan }}"}
    next: ab
  ab:
    type: split
    config: {variants: {fast: 50, morning: 50}}
    next: {fast: wait_1d, morning: next_morning}
  wait_1d:
    type: delay
    config: {duration: 1d}
    next: by_value
  next_morning:
    type: delay
    config: {until: {time: "09:30", weekdays: [mon, tue, wed, thu, fri]}}
    next: by_value
  by_value:
    type: branch
    config:
      cases:
        high: {attribute: last_order.total, gte: 100}
        recent: {event: purchased, within: 30d}
    next: {high: await_purchase, recent: await_purchase, default: crm}
  await_purchase:
    type: wait_for_event
    config: {event: purchased, where: {channel: web}, timeout: 3d}
    next: {received: won, timeout: crm}
  crm:
    type: webhook
    config:
      url: "https://crm.example.com/contacts/{{ id }}"
      body: {stage: "{{ attributes.lifecycle.stage }}", total: "{{ attributes.last_order.total }}"}
  won:
    type: goal
    config: {name: purchase}
"""

_COUNTRIES = ("DE", "AT", "CH", "FR", "US", "GB", "JP")
_ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", None)


def contact_lines(count: int, seed: int = 7) -> Iterator[bytes]:
    """`count` varied contacts as JSON Lines, generated lazily (nothing is held in memory)."""
    rng = random.Random(seed)
    for index in range(count):
        attributes: dict[str, object] = {
            "first_name": f"name{index}",
            "country": rng.choice(_COUNTRIES),
            "plan": rng.choice(("free", "pro", "team")),
            "last_order": {"total": round(rng.uniform(5, 300), 2)},
        }
        zone = rng.choice(_ZONES)
        if zone:
            attributes["timezone"] = zone
        if rng.random() < 0.05:
            attributes["unsubscribed"] = True
        hours = rng.randint(-40 * 24, 6 * 24)
        events = [
            {
                "name": "purchased",
                "at": datetime.fromtimestamp(NOW.timestamp() + hours * 3600, UTC).isoformat(),
                "properties": {"channel": rng.choice(("web", "store"))},
            }
        ]
        contact = {"id": f"c-{index}", "attributes": attributes, "events": events}
        yield json.dumps(contact).encode() + b"\n"


def write_audience(path: Path, count: int) -> Path:
    """An audience file of `count` contacts, written once so that timing excludes generating it."""
    with path.open("wb") as handle:
        handle.writelines(contact_lines(count))
    return path


def dry_run(flow: PreparedFlow, audience: Path) -> Tally:
    """The streamed pipeline of `flowctl run --contacts FILE`: read, parse, walk, tally."""
    tally = Tally()
    with audience.open("rb") as handle:
        for item in dry_run_audience(flow, read_contacts(handle), NOW):
            tally.add(item)
    return tally


def walk_only(flow: PreparedFlow, contacts: list[Contact]) -> int:
    """The engine alone: walk contacts parsed beforehand; the number of node steps."""
    return sum(len(walk(flow, contact, NOW).steps) for contact in contacts)


def bare_graph(flow: PreparedFlow) -> tuple[str, dict[str, str | None]]:
    """The flow as plain dicts: node id -> the node its first exit leads to."""
    first: dict[str, str | None] = {}
    for node in flow.nodes:
        target = next(iter(node.targets.values()))
        first[node.id] = None if target is None else target.id
    return flow.start.id, first


def noop_flow(flow: PreparedFlow) -> PreparedFlow:
    """The same graph, each node a no-op taking its first exit (the bare walk's path)."""
    nodes = {
        node.id: PreparedNode(node.id, node.type, _constant(node.exits), node.exits)
        for node in flow.nodes
    }
    for node in flow.nodes:
        for exit_, target in node.targets.items():
            nodes[node.id].targets[exit_] = None if target is None else nodes[target.id]
    return PreparedFlow(flow.name, nodes[flow.start.id], tuple(nodes.values()), flow.timezone)


def _constant(exits: tuple[str, ...]) -> Step:
    outcome = Outcome(exit=exits[0] if exits else None)
    return lambda ctx: outcome


def bare_walk(start: str, graph: dict[str, str | None], contacts: list[Contact]) -> int:
    """The floor: follow the graph per contact with dict look-ups only; the number of steps."""
    steps = 0
    for _contact in contacts:
        node: str | None = start
        while node is not None:
            steps += 1
            node = graph[node]
    return steps


def peak_memory(flow: PreparedFlow, audience: Path) -> int:
    """Peak bytes traced while an audience file streams through the dry run."""
    tracemalloc.start()
    try:
        dry_run(flow, audience)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    loaded = load_flow(FLOW, "bench-10.yaml")
    assert loaded.flow is not None, loaded.result.diagnostics
    flow = loaded.flow
    with tempfile.TemporaryDirectory(prefix="flowctl-bench-") as tmp:
        audiences = {
            count: write_audience(Path(tmp) / f"{count}.jsonl", count)
            for count in sorted({CONTACTS, *MEMORY_SIZES})
        }
        problems = _speed(flow, audiences[CONTACTS]) + _memory(flow, audiences)
    # Goals are reported, not enforced: timings depend on the machine, like bench_validate's.
    print()
    for problem in problems:
        print(f"GOAL MISSED: {problem}")
    if not problems:
        print("all goals met")
    return 0


def _speed(flow: PreparedFlow, audience: Path) -> list[str]:
    contacts = [parse_contact(json.loads(line)) for line in contact_lines(WALK_CONTACTS)]
    start, graph = bare_graph(flow)
    noops = noop_flow(flow)
    cases = {
        "dry run": (CONTACTS, lambda: dry_run(flow, audience).steps),
        "walk only": (WALK_CONTACTS, lambda: walk_only(flow, contacts)),
        "no-op nodes": (WALK_CONTACTS, lambda: walk_only(noops, contacts)),
        "bare walk": (WALK_CONTACTS, lambda: bare_walk(start, graph, contacts)),
    }
    steps = {name: run() for name, (_, run) in cases.items()}
    seconds = best_of({name: run for name, (_, run) in cases.items()}, repeat=REPEAT, warmup=0)
    rows = [
        [
            name,
            f"{count:,}",
            f"{steps[name]:,}",
            f"{seconds[name]:.3f}",
            f"{count / seconds[name]:,.0f}",
            f"{steps[name] / seconds[name]:,.0f}",
            f"{seconds[name] / steps[name] * 1e9:,.0f}",
        ]
        for name, (count, _) in cases.items()
    ]
    print(f"10-node flow (every node type), simulated from {NOW.isoformat()}; best of {REPEAT}")
    print_table(["case", "contacts", "node steps", "s", "contacts/s", "steps/s", "ns/step"], rows)
    per_step = {name: seconds[name] / steps[name] for name in cases}
    walk_ratio = per_step["walk only"] / per_step["bare walk"]
    end_ratio = per_step["dry run"] / per_step["bare walk"]
    engine_ratio = per_step["no-op nodes"] / per_step["bare walk"]
    print(f"\nper node step, walk only / bare walk: {walk_ratio:.0f}x (goal {RATIO_GOAL:.0f}x)")
    print(f"per node step, dry run / bare walk:   {end_ratio:.0f}x (reading and parsing included)")
    print(f"per node step, no-op nodes / bare walk: {engine_ratio:.0f}x (the engine's own share)")
    rate = steps["dry run"] / seconds["dry run"]
    problems = []
    if rate < STEPS_GOAL:
        problems.append(f"{rate:,.0f} node-steps/s is under the goal of {STEPS_GOAL:,}")
    if walk_ratio > RATIO_GOAL:
        problems.append(f"the walk is {walk_ratio:.0f}x the bare walk, over {RATIO_GOAL:.0f}x")
    return problems


def _memory(flow: PreparedFlow, audiences: dict[int, Path]) -> list[str]:
    peaks = {count: peak_memory(flow, audiences[count]) for count in MEMORY_SIZES}
    print()
    for count, peak in peaks.items():
        print(f"peak memory (tracemalloc), {count:>7,} contacts: {peak / 1024:,.0f} KiB")
    growth = peaks[MEMORY_SIZES[-1]] / peaks[MEMORY_SIZES[0]]
    print(f"growth from {MEMORY_SIZES[0]:,} to {MEMORY_SIZES[-1]:,} contacts: {growth:.2f}x")
    if growth > MEMORY_GROWTH_LIMIT:
        return [f"peak memory grows with the audience ({growth:.2f}x)"]
    return []


if __name__ == "__main__":
    raise SystemExit(main())
