"""The rich console every terminal writer uses (reporters, the run timeline, the catalogue).

Rich's own answer to a closed pipe is `SystemExit(1)`, which would turn `flowctl validate flows/
| head` on valid flows into a failure; this console lets the `BrokenPipeError` through instead,
for `flowctl.errors.reader_may_leave` and the CLI's error handler, which keep the real verdict.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


class _Console(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is written to a reader that left
        raise BrokenPipeError


def console(**options: Any) -> Console:
    """A rich `Console` with flowctl's defaults: no highlighting of numbers, no emoji codes."""
    return _Console(**{"highlight": False, "emoji": False, **options})
