"""`flowctl run FLOW` without `--dry-run`: enrol contacts in durable runs and advance them.

The flow is validated in full, stored under the digest of its bytes, and each contact gets a
run pinned to that digest. An audience streams in constant memory; interrupted, the same
command again enrols only the lines the first one had not committed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowctl.errors import FlowFailed, InputError, reader_may_leave
from flowctl.loading.sources import STDIN, display_name, file_error, open_input, read_input

if TYPE_CHECKING:
    from flowctl.config.settings import Config
    from flowctl.engine.plan import PreparedFlow
    from flowctl.language.contacts import Contact
    from flowctl.runtime.runner import Enrolled, Runner
    from flowctl.store.base import Enrolment, RunStore

MAX_CONTACT_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class RealRun:
    """What a real run was asked for."""

    flow_path: str
    source: bytes
    plan: PreparedFlow
    reentry: bool
    overrides: list[tuple[str, Any]]
    now: datetime | None
    state: str | None
    json_output: bool


def real_run(options: RealRun, contact: str | None, contacts: str | None, config: Config) -> None:
    """Enrol one contact or an audience, with the handlers `config` names; report each run or
    the closing tables."""
    from flowctl.cli._state import open_runner
    from flowctl.runtime.plans import digest_of

    digest = digest_of(options.source)
    # The input first: one that cannot be read stops the command before the state is touched.
    person = _read_one(contact, options) if contact is not None else None
    if contacts is not None and contacts != STDIN:
        with open_input(contacts):
            pass
    with open_runner(options.state, options.now, config) as runner:
        _store_flow(runner.store, options, digest)
        runner.plans.add(digest, options.plan)
        if person is not None:
            _one(runner, options, digest, *person)
        else:
            assert contacts is not None
            _audience(runner, options, digest, contacts)


def _store_flow(store: RunStore, options: RealRun, digest: str) -> None:
    from datetime import UTC

    from flowctl.store.base import FlowRecord

    text = options.source.decode("utf-8", errors="replace")
    record = FlowRecord(digest, options.plan.name, options.flow_path, text, datetime.now(UTC))
    with store.batch() as batch:
        batch.add_flow(record)


def _enrolment(
    store: RunStore, digest: str, input_digest: str | None, options: RealRun
) -> Enrolment:
    """The enrolment this command continues (an interrupted one with the same flow, input and
    overrides), or a new one."""
    import uuid

    from flowctl.store.base import Enrolment

    if input_digest is None:  # stdin cannot be read twice: no resuming
        return Enrolment(uuid.uuid4().hex[:20], digest, "stdin")
    identity = json.dumps([digest, input_digest, options.overrides], default=str)
    base = hashlib.blake2b(identity.encode(), digest_size=10).hexdigest()
    for generation in range(1_000_000):
        enrolment_id = base if generation == 0 else f"{base}.{generation}"
        found = store.enrolment(enrolment_id)
        if found is None:
            # A random part, kept with the enrolment: the same input enrolled on another state
            # file (or a new one after a reset) makes other run ids, so other effect keys.
            return Enrolment(enrolment_id, digest, f"{input_digest}+{uuid.uuid4().hex[:16]}")
        if not found.done:
            return found
    raise InputError("this input has been enrolled a million times; give it new contents")


def _read_one(path: str, options: RealRun) -> tuple[bytes, Contact]:
    """The contact file's bytes and the contact, overrides applied; `InputError` (exit 2)."""
    from flowctl.simulate.inputs import read_contact

    name = display_name(path)
    content = read_input(path, MAX_CONTACT_BYTES)
    if len(content) > MAX_CONTACT_BYTES:
        raise InputError(f"{name}: a contact file is limited to {MAX_CONTACT_BYTES} bytes")
    return content, read_contact(content, name, options.overrides)


def _one(runner: Runner, options: RealRun, digest: str, content: bytes, person: Contact) -> None:
    from flowctl.cli.real_output import print_enrolled, run_line

    enrolment = _enrolment(runner.store, digest, hashlib.sha256(content).hexdigest(), options)
    (item,) = runner.enrol(options.plan, digest, [(1, person)], enrolment, options.reentry)
    with reader_may_leave():
        if options.json_output:
            sys.stdout.write(run_line(item, digest) + "\n")
        else:
            print_enrolled(item, options.plan)
    _verdict_of([item])


def _audience(runner: Runner, options: RealRun, digest: str, path: str) -> None:
    from flowctl.cli.real_output import RealTally, print_real_tally, run_line
    from flowctl.cli.run_output import audience_progress, skipped_lines
    from flowctl.simulate.audience import bounded_lines

    name, tally = display_name(path), RealTally()
    input_digest = None if path == STDIN else _file_digest(path)
    enrolment = _enrolment(runner.store, digest, input_digest, options)
    with open_input(path) as handle, audience_progress(handle) as progress, reader_may_leave():
        numbered = _numbered(bounded_lines(handle, name), options.overrides)
        for item in runner.enrol(options.plan, digest, numbered, enrolment, options.reentry):
            tally.add(item)
            if item.run is None and item.contact is None:
                progress.warn(f"{name}:{item.line}: skipped: {item.skipped}")
            elif options.json_output and item.run is not None:
                sys.stdout.write(run_line(item, digest) + "\n")
            progress.advance(tally.dry)
        if not options.json_output:
            print_real_tally(options.plan, tally)
    if tally.malformed:
        raise skipped_lines(tally.malformed, name)
    if tally.failed:
        raise FlowFailed(f"{tally.failed} run(s) failed; see 'flowctl runs list --status failed'")


def _numbered(
    lines: Iterator[bytes | None], overrides: Sequence[tuple[str, Any]]
) -> Iterator[tuple[int, Any]]:
    """(line number, contact or why it is not one), blank lines left out."""
    from flowctl.simulate.audience import Malformed, contact_from_line

    for number, line in enumerate(lines, 1):
        item = contact_from_line(number, line, overrides)
        if isinstance(item, Malformed):
            yield number, item.message
        elif item is not None:
            yield number, item


def _verdict_of(items: list[Enrolled]) -> None:
    from flowctl.nodes.base import FAILED

    for item in items:
        if item.run is not None and item.run.status == FAILED:
            raise FlowFailed(f"the run failed: {item.run.error}")


def _file_digest(path: str) -> str:
    from flowctl.loading.sources import open_regular

    digest = hashlib.sha256()
    try:
        with open_regular(path) as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise file_error(path, exc) from None
    return digest.hexdigest()
