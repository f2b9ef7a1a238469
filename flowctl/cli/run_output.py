"""Terminal output of `flowctl run --dry-run`: the timeline, the audience progress and tally.

User data (node ids, contact ids, attribute values) only ever goes into `rich.text.Text`, never
into markup, so a contact named `[bold]` prints as written; and its control characters are
shown escaped (`\\x1b`, `\\n`), so a contact id cannot colour the terminal or fake a line.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table
from rich.text import Text

from flowctl.engine import PreparedFlow, PreparedNode, Run, iso
from flowctl.errors import InputError
from flowctl.nodes.base import CONVERTED, FAILED, STATUSES
from flowctl.render.timeline import describe
from flowctl.reporters import plural
from flowctl.reporters.console import console as make_console
from flowctl.reporters.text import wants_colour
from flowctl.simulate import Tally
from flowctl.words import printable

_STATUS_STYLES = {
    "completed": "green",
    "converted": "bold green",
    "filtered": "yellow",
    "waiting": "cyan",
    "active": "cyan",
    "cancelled": "dim",
}
_SIMULATED = "simulated: nothing was sent, called or stored"
_REFRESH_EVERY = 512  # contacts between progress updates; a redraw per contact would dominate


def _console(stderr: bool = False) -> Console:
    return make_console(stderr=stderr, soft_wrap=True)


def _status(status: str) -> Text:
    return Text(status, style="bold red" if status == FAILED else _STATUS_STYLES.get(status, ""))


def print_timeline(run: Run, start: datetime, why: Sequence[Sequence[str]] | None = None) -> None:
    """One contact's run: per node its time, id, type and exit, then what would happen, and
    with `why` (per step, `--explain`) the lines that say how its conditions came out."""
    who = printable(run.contact)
    lines = [
        Text(f"Dry run of flow '{printable(run.flow)}' for contact '{who}' from {iso(start)} ")
        + Text(f"({_SIMULATED})", style="dim")
    ]
    for number, step in enumerate(run.steps):
        line = Text(iso(step.at), style="dim") + Text("  ")
        line.append(printable(step.node.id), style="bold").append(
            f" ({step.node.type})", style="cyan"
        )
        if step.outcome.exit is not None:
            line.append(" -> ").append(printable(step.outcome.exit), style="magenta")
        what = describe(step)
        if what:
            line.append(f"\n    {printable(what)}")
        for reason in why[number] if why else ():
            line.append(f"\n    {printable(reason)}", style="blue")
        for warning in step.outcome.warnings:
            line.append(f"\n    warning: {printable(warning)}", style="yellow")
        lines.append(line)
    line = Text("status: ") + _status(run.status) + Text(f" at {iso(run.ended_at)}")
    if run.error:
        line.append(f"\n{printable(run.error)}", style="red")
    lines.append(line)
    if not wants_colour(sys.stdout):
        # Plain text, as in CI and pipes, is written directly: rich renders and flushes each
        # line on its own, which made the timeline of a long flow most of a dry run's time.
        sys.stdout.writelines(f"{line.plain}\n" for line in lines)
        return
    console = _console()
    for line in lines:
        console.print(line)


def trace_line(run: Run) -> str:
    """One audience trace as a JSON line; `InputError` for one too long to print."""
    from flowctl.simulate.dry_run import trace_json

    return trace_json(run) + "\n"


def skipped_lines(count: int, name: str) -> InputError:
    """The abort (exit 2) after an audience whose malformed lines were skipped."""
    lines = plural(count, "malformed line")
    return InputError(f"{lines} in {name} {'was' if count == 1 else 'were'} skipped")


def print_tally(
    flow: PreparedFlow,
    tally: Tally,
    statuses: Sequence[str] = STATUSES,
    waiting: Mapping[str, int] | None = None,
    closing: Text | None = None,
) -> None:
    """The closing tables of an audience run: per node and exit, per status, per variant.

    A real run passes its statuses (`waiting` among them), the contacts waiting at each node,
    and its own closing line instead of the dry run's.
    """
    console = _console()
    console.print(_node_table(flow, tally, waiting or {}))
    console.print(_status_table(tally, statuses))
    splits = [node for node in flow.nodes if node.variants]
    if splits:
        console.print(_variant_table(splits, tally))
    if closing is None:
        skipped = (
            f", {plural(tally.malformed, 'malformed line')} skipped" if tally.malformed else ""
        )
        counts = f"{plural(tally.contacts, 'contact')}, {plural(tally.steps, 'node step')}"
        closing = Text(f"{counts}{skipped}; ") + Text(_SIMULATED, style="dim")
    console.print(closing)


def _table(title: str, *headers: str, labels: int = 2) -> Table:
    """A table whose columns after the first `labels` hold numbers (right-aligned)."""
    columns = [
        Column(name, justify="left" if index < labels else "right")
        for index, name in enumerate(headers)
    ]
    return Table(*columns, title=title, title_justify="left")


def _node_table(flow: PreparedFlow, tally: Tally, waiting: Mapping[str, int]) -> Table:
    table = _table("contacts per node", "node", "type", "contacts", "exits", "ended here")
    table.columns[3].justify = table.columns[4].justify = "left"
    for node in flow.nodes:
        exits = "\n".join(
            f"{printable(name)} {tally.left_by(node.id, name)}" for name in node.exits
        )
        ended = [
            f"{status} {tally.ended[node.id, status]}"
            for status in STATUSES
            if tally.ended[node.id, status]
        ]
        if waiting.get(node.id):
            ended.append(f"waiting {waiting[node.id]}")
        reached = str(tally.reached(node.id) + waiting.get(node.id, 0))
        table.add_row(
            Text(node.id), Text(node.type), reached, Text(exits or "-"), "\n".join(ended) or "-"
        )
    return table


def _status_table(tally: Tally, statuses: Sequence[str]) -> Table:
    table = _table("final status", "status", "contacts", "share", labels=1)
    for status in statuses:
        count = tally.statuses[status]
        table.add_row(_status(status), str(count), _share(count, tally.contacts))
    return table


def _variant_table(splits: list[PreparedNode], tally: Tally) -> Table:
    headers = ("split", "variant", "contacts", "share", "converted", "conversion")
    table = _table("A/B variants", *headers)
    for node in splits:
        for name in node.exits:
            reached = tally.left_by(node.id, name)
            converted = tally.through(node.id, name, CONVERTED)
            share = _share(reached, tally.reached(node.id))
            conversion = _share(converted, reached)
            table.add_row(
                Text(node.id),
                Text(printable(name)),
                str(reached),
                share,
                str(converted),
                conversion,
            )
    return table


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


class AudienceProgress:
    """Progress of an audience run on stderr, drawn only when stderr is a terminal."""

    def __init__(self, handle: IO[bytes], progress: Progress | None, console: Console) -> None:
        self._handle = handle
        self._progress = progress
        self._console = console
        total = _size(handle)
        self._task = (
            progress.add_task("dry run", total=total, contacts=0, rate=0.0) if progress else None
        )
        self._count = 0
        self._started = time.monotonic()

    def advance(self, tally: Tally) -> None:
        """Note one more line handled; redraws every few hundred contacts."""
        self._count += 1
        if self._progress is None or self._task is None or self._count % _REFRESH_EVERY:
            return
        rate = tally.contacts / max(time.monotonic() - self._started, 1e-9)
        completed = _position(self._handle)
        self._progress.update(self._task, completed=completed, contacts=tally.contacts, rate=rate)

    def warn(self, message: str) -> None:
        """A skipped line: said on stderr, above the bar."""
        self._console.print(Text(f"flowctl: warning: {printable(message)}", style="yellow"))


@contextmanager
def audience_progress(handle: IO[bytes]) -> Iterator[AudienceProgress]:
    """A progress bar (bytes read, contacts, contacts/s, ETA) while an audience streams."""
    console = _console(stderr=True)
    if not console.is_terminal:
        yield AudienceProgress(handle, None, console)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[contacts]:,} contacts, {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        # Rich would capture stdout into the bar's console (stderr): traces must stay on stdout.
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with progress:
        yield AudienceProgress(handle, progress, console)


def _size(handle: IO[bytes]) -> float | None:
    """The file's size when it is a regular file (stdin from a pipe has none: no ETA)."""
    try:
        info = os.fstat(handle.fileno())
    except (OSError, ValueError):
        return None
    return float(info.st_size) if stat.S_ISREG(info.st_mode) else None


def _position(handle: IO[bytes]) -> float | None:
    try:
        return float(handle.tell())
    except (OSError, ValueError):
        return None
