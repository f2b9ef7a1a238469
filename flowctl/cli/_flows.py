"""What `run` and `graph` share: a flow file's diagnostics on stderr, and a stop (exit 1) when
it cannot be used."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from flowctl.errors import FlowFailed

if TYPE_CHECKING:
    from flowctl.validation.flow_file import CheckedFlow


def report_verdict(checked: CheckedFlow, name: str, refusal: str, purpose: str) -> None:
    """Show the flow's diagnostics on stderr; raise `FlowFailed` when it cannot be used.

    `refusal` ends the message for an invalid flow ("only a valid flow is drawn"); `purpose`
    says what silenced errors keep it from ("drawn").
    """
    from flowctl.reporters import ReportOptions
    from flowctl.reporters.text import TextReporter

    shown = checked.shown()
    if shown.diagnostics:
        TextReporter(sys.stderr, ReportOptions(strict=checked.strict)).report([shown])
    if checked.silenced_errors:
        raise FlowFailed(
            f"{name} has errors that the configuration or '# flowctl: ignore' comments silence "
            f"for 'validate'; they still keep the flow from being {purpose}"
        )
    if not checked.passes:
        raise FlowFailed(f"{name} is invalid; {refusal}")
