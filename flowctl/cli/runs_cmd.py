"""`flowctl runs list|show|retry|cancel`: inspect and steer real runs."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from flowctl.cli._errors import error_handler
from flowctl.cli._state import STATE_HELP, open_runner
from flowctl.errors import FlowFailed, UsageError, reader_may_leave
from flowctl.words import show

if TYPE_CHECKING:
    from flowctl.store.base import RunStore


class RunsFormat(StrEnum):
    """Output formats of `flowctl runs list` and `show`."""

    TEXT = "text"
    JSON = "json"


app = typer.Typer(
    name="runs",
    help="Inspect, retry and cancel real runs.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_STATE = typer.Option(None, "--state", metavar="DB", help=STATE_HELP)
_FORMAT = typer.Option(RunsFormat.TEXT, "--format", "-f", help="Output.")


@app.command("list")
def list_runs(
    flow: str | None = typer.Option(None, "--flow", metavar="NAME", help="Only this flow."),
    status: str | None = typer.Option(None, "--status", metavar="S", help="Only this status."),
    contact: str | None = typer.Option(None, "--contact", metavar="ID", help="Only this contact."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    output_format: RunsFormat = _FORMAT,
    state: str | None = _STATE,
) -> None:
    """Runs, oldest first: id, flow, contact, status, node, wake time."""
    from flowctl.cli.real_output import print_runs, run_summary
    from flowctl.engine.state import RUN_STATUSES

    with error_handler():
        if status is not None and status not in RUN_STATUSES:
            raise UsageError(f"--status {show(status)} is none of {', '.join(RUN_STATUSES)}")
        with open_runner(state, None, create=False) as runner:
            found = runner.store.runs(flow=flow, status=status, contact=contact, limit=limit)
            with reader_may_leave():
                if output_format is RunsFormat.JSON:
                    for record in found:
                        sys.stdout.write(json.dumps(run_summary(record), ensure_ascii=False) + "\n")
                else:
                    print_runs(list(found))


@app.command("show")
def show_run(
    run_id: str = typer.Argument(..., metavar="RUN_ID"),
    output_format: RunsFormat = _FORMAT,
    state: str | None = _STATE,
) -> None:
    """One run: its trace so far, each effect's key, delivery status and attempts."""
    from flowctl.cli.real_output import print_trace, trace_of

    with error_handler(), open_runner(state, None, create=False) as runner:
        record = runner.store.run(run_id)
        if record is None:
            raise UsageError(f"no run {show(run_id)} in the state file")
        trace = trace_of(runner.store, record)
        with reader_may_leave():
            if output_format is RunsFormat.JSON:
                sys.stdout.write(json.dumps(trace, ensure_ascii=False, indent=2) + "\n")
            else:
                print_trace(trace)


@app.command("retry")
def retry(
    run_ids: list[str] = typer.Argument(None, metavar="RUN_ID...", show_default=False),
    failed: bool = typer.Option(False, "--failed", help="Every failed run."),
    now: str | None = typer.Option(None, "--now", metavar="ISO-TIME", help="The clock."),
    state: str | None = _STATE,
) -> None:
    """Resume failed runs at the node that failed, on their pinned flow."""
    from flowctl.cli._options import parse_time
    from flowctl.cli.real_output import print_runs

    with error_handler():
        if bool(run_ids) == failed:
            raise UsageError("give RUN_ID... or --failed, not both and not neither")
        with open_runner(state, parse_time(now, "--now"), create=False) as runner:
            ids = run_ids or [r.id for r in runner.store.runs(status="failed")]
            _known(runner.store, ids)
            resumed = runner.retry(ids)
            print_runs(resumed)
            if any(record.status == "failed" for record in resumed):
                raise FlowFailed("a resumed run failed again")


@app.command("cancel")
def cancel(
    run_ids: list[str] = typer.Argument(..., metavar="RUN_ID..."),
    state: str | None = _STATE,
) -> None:
    """Stop runs for good; what they had not delivered yet is skipped."""
    from flowctl.cli.real_output import print_runs

    with error_handler(), open_runner(state, None, create=False) as runner:
        _known(runner.store, run_ids)
        print_runs(runner.cancel(run_ids))


def _known(store: RunStore, run_ids: list[str]) -> None:
    for run_id in run_ids:
        if store.run(run_id) is None:
            raise UsageError(f"no run {show(run_id)} in the state file")
