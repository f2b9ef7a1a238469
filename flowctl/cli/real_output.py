"""Terminal and JSON output of real runs: enrolments, their closing tables, runs and traces."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.text import Text

from flowctl.cli.run_output import _console, _status, print_tally
from flowctl.engine.state import RUN_STATUSES
from flowctl.engine.trace import Run, iso
from flowctl.language.jsontext import compact_json
from flowctl.nodes.base import FAILED
from flowctl.reporters import plural
from flowctl.simulate.audience import Tally
from flowctl.words import printable

if TYPE_CHECKING:
    from flowctl.engine.plan import PreparedFlow
    from flowctl.runtime.runner import Enrolled
    from flowctl.store.base import RunRecord, RunStore

#: The statuses of the closing table, in the order a run goes through them.
TABLE_STATUSES = tuple(status for status in RUN_STATUSES if status != "active")


class RealTally:
    """Counters over an enrolment: the dry run's per node and exit, plus where runs wait."""

    def __init__(self) -> None:
        self.dry = Tally()
        self.waiting: Counter[str] = Counter()
        self.skipped = 0
        self.malformed = 0
        self.failed = 0

    def add(self, item: Enrolled) -> None:
        """Count one input line."""
        if item.run is None:
            if item.contact is None:
                self.malformed += 1
                self.dry.malformed += 1
            else:
                self.skipped += 1
            return
        record, transition = item.run, item.transition
        assert transition is not None
        steps = transition.steps
        self.dry.add(Run(record.flow, record.contact, record.status, steps, transition.state.clock))
        if record.status in ("waiting", "active") and record.node is not None:
            self.waiting[record.node] += 1
        if record.status == FAILED:
            self.failed += 1


def run_line(item: Enrolled, digest: str) -> str:
    """`{"run", "flow", "digest", "contact", "status", "node", "wake_at"}` (DESIGN §8)."""
    assert item.run is not None
    return compact_json(run_summary(item.run))


def run_summary(record: RunRecord) -> dict[str, Any]:
    """One run as the JSON line of `run` and `runs list`."""
    summary: dict[str, Any] = {
        "run": record.id,
        "flow": record.flow,
        "digest": record.digest,
        "contact": record.contact,
        "status": record.status,
        "node": record.node,
        "wake_at": iso(record.wake_at) if record.wake_at else None,
    }
    if record.awaiting:
        summary["awaiting"] = record.awaiting
    if record.error:
        summary["error"] = record.error
    return summary


def print_real_tally(flow: PreparedFlow, tally: RealTally) -> None:
    """The dry run's closing tables, with `waiting` among the statuses."""
    dry = tally.dry
    parts = [plural(dry.contacts, "run") + " started", plural(dry.steps, "node step")]
    if tally.skipped:
        parts.append(f"{plural(tally.skipped, 'contact')} skipped (already in the flow)")
    if tally.malformed:
        parts.append(f"{plural(tally.malformed, 'malformed line')} skipped")
    closing = Text("; ".join(parts))
    print_tally(flow, dry, TABLE_STATUSES, tally.waiting, closing)


def print_enrolled(item: Enrolled, flow: PreparedFlow) -> None:
    """One contact's enrolment: its steps so far, and where the run stands."""
    console = _console()
    if item.run is None:
        console.print(
            Text(f"contact '{printable(item.contact or '')}' not enrolled: {item.skipped}")
        )
        return
    from flowctl.render.timeline import describe

    record, transition = item.run, item.transition
    assert transition is not None
    console.print(
        Text(f"Run {record.id} of flow '{record.flow}' for contact '{printable(record.contact)}'")
    )
    for step in transition.steps:
        line = Text(iso(step.at), style="dim") + Text("  ")
        line.append(step.node.id, style="bold").append(f" ({step.node.type})", style="cyan")
        if step.outcome.exit is not None:
            line.append(" -> ").append(printable(step.outcome.exit), style="magenta")
        what = describe(step, simulated=False)
        if what:
            line.append(f"\n    {printable(what)}")
        console.print(line)
    console.print(status_line(record))


def status_line(record: RunRecord) -> Text:
    """`status: waiting at NODE until TIME`, `status: completed at TIME`, with the error."""
    line = Text("status: ") + _status(record.status)
    if record.status in ("waiting", "active") and record.node:
        line.append(f" at {printable(record.node)}")
        if record.awaiting:
            line.append(f" for event '{printable(record.awaiting)}'")
        if record.wake_at:
            line.append(f" until {iso(record.wake_at)}")
    elif record.error:
        line.append(f"\n{printable(record.error)}", style="red")
    return line


def print_runs(records: list[RunRecord]) -> None:
    """Runs as a table: id, flow, contact, status, where it stands."""
    from flowctl.cli.run_output import _table

    console = _console()
    table = _table("runs", "run", "flow", "contact", "status", "node", "wake at", labels=6)
    # Ids are what `runs show` and `runs retry` take: never cut short with an ellipsis, and
    # nothing else either: a narrow terminal wraps the other columns instead.
    table.columns[0].min_width = max((len(record.id) for record in records), default=3)
    for column in table.columns:
        column.overflow = "fold"
    for record in records:
        table.add_row(
            Text(record.id),
            Text(printable(record.flow)),
            Text(printable(record.contact)),
            _status(record.status),
            Text(printable(record.node or "-")),
            Text(iso(record.wake_at) if record.wake_at else "-"),
        )
    console.print(table)
    console.print(Text(plural(len(records), "run")))


def trace_of(store: RunStore, record: RunRecord) -> dict[str, Any]:
    """The §7 trace so far, with `"dry_run": false`, the run id, its digest, and on each step
    with an effect its key, delivery status and attempts."""
    effects = {effect.key: effect for effect in store.effects_of(record.id)}
    steps = []
    for row in store.steps(record.id):
        step: dict[str, Any] = {
            "node": row.node,
            "type": row.type,
            "at": iso(row.at),
            "exit": row.exit,
            "effect": None,
        }
        effect = effects.get(row.effect_key) if row.effect_key else None
        if effect is not None:
            step["effect"] = dict(effect.effect)
            step["key"] = effect.key
            step["status"] = effect.status
            step["attempts"] = effect.attempts
            if effect.error:
                step["error"] = effect.error
        if row.warnings:
            step["warnings"] = list(row.warnings)
        steps.append(step)
    final = record.status not in ("active", "waiting")
    trace: dict[str, Any] = {
        "flow": record.flow,
        "contact": record.contact,
        "status": record.status,
        "steps": steps,
        "ended_at": record.state.get("clock") if final else None,
        "dry_run": False,
        "run": record.id,
        "digest": record.digest,
        "node": record.node,
        "wake_at": iso(record.wake_at) if record.wake_at else None,
    }
    if record.error:
        trace["error"] = record.error
    return trace


def print_trace(trace: dict[str, Any]) -> None:
    """A run's trace as a timeline, each effect with its delivery status."""
    from flowctl.effects import effect_from_json

    console = _console()
    console.print(
        Text(
            f"Run {trace['run']} of flow '{printable(trace['flow'])}' for contact "
            f"'{printable(trace['contact'])}' (flow {trace['digest'][:12]})"
        )
    )
    for step in trace["steps"]:
        line = Text(step["at"], style="dim") + Text("  ")
        line.append(printable(step["node"]), style="bold").append(
            f" ({step['type']})", style="cyan"
        )
        if step["exit"] is not None:
            line.append(" -> ").append(printable(step["exit"]), style="magenta")
        if step["effect"] is not None:
            words = effect_from_json(step["effect"]).describe(simulated=False)
            line.append(f"\n    {printable(words)}: {step['status']}, ")
            line.append(plural(step["attempts"], "attempt"))
            if step.get("error"):
                line.append(f" ({printable(step['error'])})", style="yellow")
        console.print(line)
    line = Text("status: ") + _status(trace["status"])
    if trace["status"] in ("waiting", "active") and trace["node"]:
        line.append(f" at {printable(trace['node'])}")
        if trace["wake_at"]:
            line.append(f" until {trace['wake_at']}")
    elif trace.get("ended_at"):
        line.append(f" at {trace['ended_at']}")
    if trace.get("error"):
        line.append(f"\n{printable(trace['error'])}", style="red")
    console.print(line)
