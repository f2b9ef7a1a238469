"""An audience: contacts streamed from JSON Lines, each walked, the results counted.

Memory stays constant whatever the audience size: one line and one run at a time, and the
tally holds counters keyed by node, exit and status only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from flowctl.engine.plan import PreparedFlow
from flowctl.engine.trace import Run
from flowctl.errors import InputError
from flowctl.language.contacts import Contact, ContactError, loads, parse_contact
from flowctl.simulate.dry_run import walk
from flowctl.simulate.inputs import with_overrides

_BOM = "\ufeff"  # some editors start UTF-8 files with one


@dataclass(frozen=True, slots=True)
class Malformed:
    """An audience line that is not a usable contact; it is skipped, the others still run."""

    line: int
    message: str


#: The longest audience line read, as for `--contact`: one contact, not a whole export.
MAX_LINE_BYTES = 1_000_000
#: How far a stream is read past the start of an overlong line, looking for its end.
MAX_SKIP_BYTES = 16 * MAX_LINE_BYTES


def bounded_lines(
    handle: IO[bytes], name: str = "the input", limit: int = MAX_LINE_BYTES
) -> Iterator[bytes | None]:
    """The lines of a binary stream, None for each line over `limit` bytes (read past, never
    held), so that a file without newlines cannot fill the memory; a stream with no line break
    in `MAX_SKIP_BYTES` (`/dev/zero` on stdin) is given up with `InputError` (exit 2)."""
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        skipped = len(line)
        while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
            skipped += len(rest)
            if skipped > MAX_SKIP_BYTES:
                raise InputError(
                    f"{name}: no line break in {skipped:,} bytes; an audience is JSON Lines, "
                    "one contact a line"
                )
        yield None


def read_contacts(
    lines: Iterable[bytes | str | None], overrides: Sequence[tuple[str, Any]] = ()
) -> Iterator[Contact | Malformed]:
    """Each non-blank line as a contact (with `--set` overrides applied), or why it is not one.

    A None line is one `bounded_lines` found too long.
    """
    for number, line in enumerate(lines, 1):
        item = contact_from_line(number, line, overrides)
        if item is not None:
            yield item


def contact_from_line(
    number: int, line: bytes | str | None, overrides: Sequence[tuple[str, Any]] = ()
) -> Contact | Malformed | None:
    """Audience line `number` as a contact, or why it is not one; None for a blank line."""
    if line is None:
        return Malformed(number, f"the line is longer than {MAX_LINE_BYTES:,} bytes")
    if not line.strip():
        return None
    try:
        # Decoding here is faster than json.loads(bytes), which first sniffs the encoding.
        text = line.decode() if isinstance(line, bytes) else line
        if number == 1:
            text = text.removeprefix(_BOM)
        return with_overrides(parse_contact(loads(text)), overrides)
    except ContactError as exc:
        return Malformed(number, str(exc))
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
        return Malformed(number, f"not JSON: {exc}")


def dry_run_audience(
    flow: PreparedFlow,
    contacts: Iterable[Contact | Malformed],
    now: datetime,
    seed: int | None = None,
) -> Iterator[Run | Malformed]:
    """Walk every contact; malformed lines pass through, in order, for the caller to report."""
    for contact in contacts:
        yield contact if isinstance(contact, Malformed) else walk(flow, contact, now, seed)


class Tally:
    """Counters over an audience's runs: per node and exit, per final status, per A/B variant.

    One counter keyed by (node, exit taken, the run's final status) holds them all: a split's
    exits are its variants, so their conversions come out of the same numbers.
    """

    def __init__(self) -> None:
        self.contacts = 0
        self.malformed = 0
        self.steps = 0
        self.statuses: Counter[str] = Counter()
        self.passes: Counter[tuple[str, str | None, str]] = Counter()
        self.ended: Counter[tuple[str, str]] = Counter()  # (last node, status)

    def add(self, item: Run | Malformed) -> None:
        """Count one run, or one malformed line."""
        if isinstance(item, Malformed):
            self.malformed += 1
            return
        steps, status = item.steps, item.status
        self.contacts += 1
        self.steps += len(steps)
        self.statuses[status] += 1
        # One comprehension, counted in C: the only loop over steps that every run pays for.
        self.passes.update([(node.id, outcome.exit, status) for node, _, outcome in steps])
        if steps:
            self.ended[steps[-1].node.id, status] += 1

    def reached(self, node_id: str) -> int:
        """Contacts that ran the node, whichever way they left it."""
        return sum(count for (node, _, _), count in self.passes.items() if node == node_id)

    def left_by(self, node_id: str, exit_: str | None) -> int:
        """Contacts that left the node by `exit_`."""
        return sum(self.passes[node_id, exit_, status] for status in self.statuses)

    def through(self, node_id: str, exit_: str | None, status: str) -> int:
        """Contacts that left the node by `exit_` and ended with `status`."""
        return self.passes[node_id, exit_, status]
