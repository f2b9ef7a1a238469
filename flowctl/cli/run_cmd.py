"""`flowctl run FLOW --dry-run`: walk one contact or an audience through a flow, simulated.

This module parses options, reads inputs and picks the output; the engine does the work and
`run_output` renders it. Heavy imports stay inside the command, so other commands do not pay.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from flowctl.cli._errors import error_handler
from flowctl.errors import FlowFailed, InputError, UsageError, reader_may_leave
from flowctl.loading.sources import STDIN, display_name, open_input, read_input

if TYPE_CHECKING:
    from flowctl.compose import Parts
    from flowctl.engine import PreparedFlow

MAX_CONTACT_BYTES = 1_000_000  # one contact; an audience streams and has no limit
MAX_SEED = 10**18  # its decimal text keys BLAKE2b, whose keys hold at most 64 bytes


class RunFormat(StrEnum):
    """Output formats of `flowctl run`."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a dry run was asked for, parsed and checked: the flow is valid and prepared."""

    flow: PreparedFlow
    overrides: list[tuple[str, Any]]
    start: datetime
    seed: int | None
    output_format: RunFormat
    explain: bool = False


def run(
    flow: str = typer.Argument(..., metavar="FLOW", help="The flow file ('-' for stdin)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Simulate: run the node logic on a simulated clock, no effects."
    ),
    contact: str | None = typer.Option(
        None, "--contact", metavar="FILE", help="One contact as JSON ('-' for stdin)."
    ),
    contacts: str | None = typer.Option(
        None, "--contacts", metavar="FILE.jsonl", help="An audience: one contact per line."
    ),
    overrides: list[str] = typer.Option(
        [], "--set", metavar="PATH=VALUE", help="Override an attribute (JSON value); repeatable."
    ),
    now: str | None = typer.Option(
        None, "--now", metavar="ISO-TIME", help="Simulated start; default: the current time."
    ),
    output_format: RunFormat = typer.Option(RunFormat.TEXT, "--format", "-f", help="Output."),
    seed: int | None = typer.Option(
        None, "--seed", min=0, max=MAX_SEED, help="Salt for split assignment (0 to 10^18)."
    ),
    state: str | None = typer.Option(
        None,
        "--state",
        "--store",
        metavar="DB|URL",
        help="Real runs: the state file (.flowctl/state.db) or a postgresql:// URL.",
    ),
    explain: bool = typer.Option(
        False, "--explain", help="Dry run of one contact: show why each condition held or not."
    ),
) -> None:
    """Run a flow for one contact or an audience: for real (effects to the configured
    handlers, state in a file), or with --dry-run on a simulated clock."""
    from flowctl.cli._options import parse_overrides, parse_time
    from flowctl.compose import compose

    with error_handler():
        if (contact is None) == (contacts is None):
            raise UsageError("give exactly one of --contact FILE or --contacts FILE.jsonl")
        if flow == STDIN and STDIN in (contact, contacts):
            raise UsageError("the flow and the contacts cannot both come from stdin")
        at, pairs = parse_time(now, "--now"), parse_overrides(overrides)  # before reading
        if explain and not (dry_run and contact is not None):
            raise UsageError("--explain is for a dry run of one contact: --dry-run --contact FILE")
        if not dry_run:
            _real(flow, contact, contacts, pairs, at, state, seed, output_format)
            return
        if state is not None:
            raise UsageError("--state is for real runs; a dry run stores nothing")
        start = at or datetime.now(UTC).replace(microsecond=0)  # the current second
        options = DryRun(_load(flow, compose())[0], pairs, start, seed, output_format, explain)
        if contact is not None:
            _one(options, contact)
        else:
            assert contacts is not None
            _audience(options, contacts)


def _load(path: str, parts: Parts) -> tuple[PreparedFlow, bytes, bool]:
    """Validate the flow in full; report its diagnostics on stderr; exit 1 when it cannot run.
    The prepared flow, the file's bytes, and its `settings.reentry`."""
    from flowctl.cli._flows import report_verdict
    from flowctl.engine import load_flow
    from flowctl.validation.flow_file import read_flow

    name = display_name(path)
    source = read_flow(path, parts.validator.limits)
    loaded = load_flow(source, name, parts.config, parts.validator)
    report_verdict(loaded.checked, name, "a flow runs only once it validates", "run")
    assert loaded.flow is not None and loaded.checked.data is not None  # else report_verdict stops
    settings = loaded.checked.data.get("settings") or {}
    return loaded.flow, source, bool(settings.get("reentry", False))


def _real(
    flow: str,
    contact: str | None,
    contacts: str | None,
    pairs: list[tuple[str, Any]],
    clock: datetime | None,
    state: str | None,
    seed: int | None,
    output_format: RunFormat,
) -> None:
    from flowctl.cli.real_run import RealRun, real_run
    from flowctl.compose import compose

    if seed is not None:
        raise UsageError("--seed is for dry runs; a real run assigns splits by contact id alone")
    parts = compose()
    plan, source, reentry = _load(flow, parts)
    json_output = output_format is RunFormat.JSON
    options = RealRun(display_name(flow), source, plan, reentry, pairs, clock, state, json_output)
    real_run(options, contact, contacts, parts.config)


def _one(options: DryRun, path: str) -> None:
    import json

    from flowctl.cli.run_output import print_timeline
    from flowctl.nodes.base import FAILED
    from flowctl.simulate import walk
    from flowctl.simulate.dry_run import trace_json
    from flowctl.simulate.explain import explained_json, step_lines
    from flowctl.simulate.inputs import read_contact

    name = display_name(path)
    content = read_input(path, MAX_CONTACT_BYTES)
    if len(content) > MAX_CONTACT_BYTES:
        raise InputError(f"{name}: a contact file is limited to {MAX_CONTACT_BYTES} bytes")
    contact = read_contact(content, name, options.overrides)
    result = walk(options.flow, contact, options.start, options.seed)
    # Refuses a trace too long to print, before a line of it is printed.
    trace = trace_json(result, indent=2 if options.output_format is RunFormat.JSON else None)
    with reader_may_leave():
        if options.output_format is RunFormat.JSON:
            if options.explain:
                explained = explained_json(result, contact)
                trace = json.dumps(explained, ensure_ascii=False, indent=2)
            sys.stdout.write(trace + "\n")
        else:
            why = step_lines(result, contact) if options.explain else None
            print_timeline(result, options.start, why)
    if result.status == FAILED:
        raise FlowFailed(f"the run failed: {result.error}")


def _audience(options: DryRun, path: str) -> None:
    from flowctl.cli.run_output import audience_progress, print_tally, skipped_lines, trace_line
    from flowctl.nodes.base import FAILED
    from flowctl.simulate import Malformed, Tally, dry_run_audience, read_contacts
    from flowctl.simulate.audience import bounded_lines

    name, tally = display_name(path), Tally()
    # A reader that stops early (`| head`) ends the walk; the exit code says what was found.
    with open_input(path) as handle, audience_progress(handle) as progress, reader_may_leave():
        contacts = read_contacts(bounded_lines(handle, name), options.overrides)
        for item in dry_run_audience(options.flow, contacts, options.start, options.seed):
            tally.add(item)
            if isinstance(item, Malformed):
                progress.warn(f"{name}:{item.line}: skipped: {item.message}")
            elif options.output_format is RunFormat.JSON:
                sys.stdout.write(trace_line(item))
            progress.advance(tally)
        if options.output_format is RunFormat.TEXT:
            print_tally(options.flow, tally)
    if tally.malformed:
        raise skipped_lines(tally.malformed, name)
    if tally.statuses[FAILED]:
        raise FlowFailed(f"{tally.statuses[FAILED]} contact run(s) failed")
