"""The real-run driver: enrol contacts, advance due runs, deliver events and effects.

Every change goes through the store in batches (many runs per transaction, never a commit
per step), and always in this order: a run's new state, its steps and its effects' intents
are committed together; only then are the effects handed to their handlers; their results are
committed after. A process killed at any moment therefore loses nothing, and re-sends at most
an effect whose result was not yet recorded, with the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

from flowctl.engine.core import Tick, Transition, advance, start
from flowctl.engine.plan import PreparedFlow
from flowctl.engine.state import ACTIVE, CANCELLED, LIVE, state_from_json
from flowctl.language.contacts import Contact, Event
from flowctl.nodes.base import FAILED
from flowctl.runtime.clock import Clock
from flowctl.runtime.delivery import Courier, Handlers, lease_end
from flowctl.runtime.plans import PlanError, Plans
from flowctl.runtime.records import effect_records, run_id_for, run_record, step_rows, updated
from flowctl.store import base as stored
from flowctl.store.base import (
    Batch,
    EffectRecord,
    Enrolment,
    EventRecord,
    RunRecord,
    RunStore,
    StepRow,
)

BATCH = 500  # runs per transaction: large enough to amortise a commit, small enough to resume
MAX_PASSES = 100_000  # a bound on `run_due` passes; each pass makes progress


@dataclass(frozen=True, slots=True)
class Enrolled:
    """What happened to one input line of `flowctl run`."""

    line: int
    contact: str | None
    run: RunRecord | None = None  # the new run (None: skipped or malformed)
    transition: Transition | None = None
    skipped: str | None = None  # why no run was made


class Runner:
    """Real runs over one store, with one set of handlers and one clock."""

    def __init__(
        self,
        store: RunStore,
        handlers: Handlers,
        clock: Clock,
        worker: str,
        plans: Plans | None = None,
        batch_size: int = BATCH,
    ) -> None:
        self.store, self.handlers, self.clock, self.worker = store, handlers, clock, worker
        self.plans = plans or Plans(store)
        self.batch_size = batch_size
        self.courier = Courier(store, handlers, clock, worker, batch_size)

    # -- enrolment -------------------------------------------------------------------------

    def enrol(
        self,
        plan: PreparedFlow,
        digest: str,
        contacts: Iterable[tuple[int, Contact | str]],
        enrolment: Enrolment,
        reentry: bool,
    ) -> Iterator[Enrolled]:
        """Start a run per contact (a str is why the line is no contact), batch by batch, and
        deliver each batch's effects before reading on. Lines up to `enrolment.position` were
        enrolled by an interrupted command with the same input: they are passed over."""
        now = self.clock.now()
        resumed = ((line, item) for line, item in contacts if line > enrolment.position)
        last = enrolment.position
        while chunk := list(islice(resumed, self.batch_size)):
            last = chunk[-1][0]
            with self.store.batch() as batch:
                ids = _ids(chunk)
                live = set() if reentry else batch.live_contacts(plan.name, ids)
                recorded = self.store.events_of_contacts(ids)
                enrolled = [
                    self._enrol_one(plan, digest, line, item, enrolment, live, recorded, now)
                    for line, item in chunk
                ]
                enrolled = self._dedupe(enrolled, reentry)
                claimed = self._write_new(batch, plan, enrolled)
                batch.put_enrolment(replace(enrolment, position=last))
            self.failed.clear()
            self.courier.deliver_claimed(claimed)
            yield from (self._refreshed(item) for item in enrolled)
        with self.store.batch() as batch:
            batch.put_enrolment(replace(enrolment, position=last, done=True))

    def _enrol_one(
        self,
        plan: PreparedFlow,
        digest: str,
        line: int,
        item: Contact | str,
        enrolment: Enrolment,
        live: set[str],
        recorded: dict[str, list[EventRecord]],
        now: datetime,
    ) -> Enrolled:
        """One input line's run; `live` holds the contacts that already have a live run of
        the flow (empty when the flow allows re-entry)."""
        if isinstance(item, str):
            return Enrolled(line, None, skipped=item)
        if item.id in live:
            return Enrolled(line, item.id, skipped="already has an active or waiting run")
        contact = _with_history(item, recorded.get(item.id, ()))
        transition = advance(plan, start(plan, contact, now), Tick(now))
        run_id = run_id_for(enrolment, line)
        record = run_record(run_id, plan, digest, transition.state, now, enrolment.id)
        return Enrolled(line, item.id, record, transition)

    @staticmethod
    def _dedupe(enrolled: list[Enrolled], reentry: bool) -> list[Enrolled]:
        """A contact on two lines of one batch gets one run, unless the flow allows re-entry."""
        if reentry:
            return enrolled
        seen: set[str] = set()
        kept = []
        for item in enrolled:
            if item.run is not None and item.contact in seen:
                item = Enrolled(
                    item.line, item.contact, skipped="already has an active or waiting run"
                )
            elif item.run is not None and item.run.status in LIVE:
                seen.add(item.run.contact)
            kept.append(item)
        return kept

    def _write_new(
        self, batch: Batch, plan: PreparedFlow, enrolled: list[Enrolled]
    ) -> list[EffectRecord]:
        """Insert the new runs with their steps and intents, claimed by this worker, which
        delivers them once they are committed; the intents, in run order."""
        made = [item for item in enrolled if item.run is not None and item.transition is not None]
        batch.add_runs([item.run for item in made if item.run is not None])
        steps, effects = [], []
        for item in made:
            assert item.run is not None and item.transition is not None
            steps += step_rows(item.run.id, item.transition)
            effects += effect_records(item.run, plan, item.transition.effects)
        batch.add_steps(steps)
        return batch.add_claimed_effects(effects, self.worker, lease_end())

    def _refreshed(self, item: Enrolled) -> Enrolled:
        """The item with its run as stored now, when a delivery failed it meanwhile."""
        if item.run is None or item.run.id not in self.failed:
            return item
        return replace(item, run=self.store.run(item.run.id) or item.run)

    # -- advancing -------------------------------------------------------------------------

    def run_due(self) -> tuple[int, int]:
        """Advance every run due by the clock and deliver every effect due, including what
        becomes due before the clock meanwhile; (runs advanced, effects handled)."""
        advanced = handled = 0
        for _ in range(MAX_PASSES):
            runs, sent = self.advance_due()
            effects = sent + self.deliver()
            advanced, handled = advanced + runs, handled + effects
            if not runs and not effects:
                break
        return advanced, handled

    def advance_due(self) -> tuple[int, int]:
        """Advance one batch of due runs and deliver the effects they made that may go at
        once; (runs advanced, effects handled)."""
        now = self.clock.now()
        with self.store.batch() as batch:
            due = self.store.due_runs(now, self.batch_size)
            journal = _Journal()
            for record in due:
                self._advance(record, Tick(now), now, journal)
            _, claimed = self._write(batch, journal, claim=True)
        return len(due), self.courier.deliver_claimed(claimed)

    def advance_records(self, records: Sequence[RunRecord]) -> int:
        """Advance the given runs, as they were read, in one batch (a queued job names them);
        one that moved on since is left alone. How many were advanced."""
        now = self.clock.now()
        with self.store.batch() as batch:
            journal = _Journal()
            for record in records:
                self._advance(record, Tick(now), now, journal)
            written, _ = self._write(batch, journal)
        return len(written)

    def _advance(self, record: RunRecord, tick: Tick, now: datetime, journal: _Journal) -> None:
        """Move one run: its new row, steps and intents go to `journal`, for `_write` to
        write with the batch's others."""
        try:
            plan = self.plans.get(record.digest)
        except PlanError as exc:
            stopped = replace(
                record, status=FAILED, error=str(exc), wake_at=None, awaiting=None, updated_at=now
            )
            journal.add(stopped)
            return
        transition = advance(plan, state_from_json(record.state), tick)
        journal.add(
            updated(record, transition.state, now),
            step_rows(record.id, transition),
            effect_records(record, plan, transition.effects),
        )

    def _write(
        self, batch: Batch, journal: _Journal, claim: bool = False
    ) -> tuple[list[RunRecord], list[EffectRecord]]:
        """Write a journal's runs, and the steps and intents of those that were still as
        read (a run another process moved on first keeps nothing of this transition); the
        runs written, and with `claim`, the intents this worker claimed to deliver at once:
        those of runs with no earlier effect still to deliver (the others wait their turn)."""
        written, steps, effects = [], [], []
        for run, (run_steps, run_effects) in zip(
            batch.update_runs(journal.runs), journal.rest, strict=True
        ):
            if run is None:
                continue
            written.append(run)
            steps += run_steps
            effects += run_effects
            if run.status == FAILED:
                self.failed.add(run.id)
        batch.add_steps(steps)
        if not claim or not effects:
            batch.add_effects(effects)
            return written, []
        held = self.store.undelivered_runs([effect.run for effect in effects])
        batch.add_effects([effect for effect in effects if effect.run in held])
        free = [effect for effect in effects if effect.run not in held]
        return written, batch.add_claimed_effects(free, self.worker, lease_end())

    # -- events ----------------------------------------------------------------------------

    def record_event(self, event: EventRecord) -> list[RunRecord] | None:
        """Record an event and, in the same transaction, advance every live run of its
        contact to the event's time with the event delivered; None for a repeated id."""
        now = self.clock.now()
        arrived = Event(event.name, event.at, dict(event.properties))
        with self.store.batch() as batch:
            if not batch.add_event(event):
                return None
            journal = _Journal()
            for record in self.store.live_runs_of_contact(event.contact):
                self._advance(record, Tick(event.at, (arrived,)), now, journal)
            moved, _ = self._write(batch, journal)
        self.deliver()
        return moved

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, effects: Sequence[EffectRecord] | None = None) -> int:
        """Hand effects to their handlers and record the results: `effects` (just committed
        intents) or one batch of those due. How many were handled."""
        return self.courier.deliver(effects)

    @property
    def failed(self) -> set[str]:
        """Runs a delivery failed, since `enrol` last looked."""
        return self.courier.failed

    # -- operator commands -----------------------------------------------------------------

    def retry(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """Resume failed runs at the node that failed, on their pinned digest; the runs
        resumed. Their failed effects are tried again from the first attempt."""
        now = self.clock.now()
        resumed = []
        with self.store.batch() as batch:
            for run_id in run_ids:
                record = self.store.run(run_id)
                if record is None or record.status != FAILED:
                    continue
                for effect in self.store.effects_of(run_id):
                    if effect.status == stored.FAILED:
                        batch.update_effect(
                            replace(
                                effect,
                                status=stored.PENDING,
                                attempts=0,
                                next_attempt_at=None,
                                error=None,
                            )
                        )
                state = state_from_json(record.state)
                if state.status == FAILED:  # the engine failed it: run that node again
                    state = state._replace(status=ACTIVE, error=None, waiting=None)
                again = updated(record, state, now)
                written = batch.update_run(replace(again, attempts=record.attempts + 1))
                if written is not None:
                    resumed.append(written)
        self.run_due()
        return [self.store.run(record.id) or record for record in resumed]

    def cancel(self, run_ids: Sequence[str]) -> list[RunRecord]:
        """Stop live (or failed) runs for good; their undelivered effects are skipped. A run
        the engine ended whose effects are still being delivered (retried) counts as live."""
        now = self.clock.now()
        cancelled = []
        with self.store.batch() as batch:
            for run_id in run_ids:
                record = self.store.run(run_id)
                if record is None:
                    continue
                undelivered = [
                    effect
                    for effect in self.store.effects_of(run_id)
                    if effect.status in (stored.PENDING, stored.FAILED)
                ]
                if record.status not in (*LIVE, FAILED) and not undelivered:
                    continue
                for effect in undelivered:
                    batch.update_effect(
                        replace(effect, status=stored.SKIPPED, error="run cancelled")
                    )
                stopped = replace(
                    record, status=CANCELLED, wake_at=None, awaiting=None, updated_at=now
                )
                written = batch.update_run(stopped)
                if written is not None:
                    cancelled.append(written)
        return cancelled


@dataclass(slots=True)
class _Journal:
    """One batch's transitions: each run's new row, with the steps and intents that go with
    it, written together at the batch's end."""

    runs: list[RunRecord] = field(default_factory=list)
    rest: list[tuple[list[StepRow], list[EffectRecord]]] = field(default_factory=list)

    def add(
        self,
        run: RunRecord,
        steps: list[StepRow] | None = None,
        effects: list[EffectRecord] | None = None,
    ) -> None:
        self.runs.append(run)
        self.rest.append((steps or [], effects or []))


def _ids(chunk: Sequence[tuple[int, Contact | str]]) -> list[str]:
    return [item.id for _, item in chunk if not isinstance(item, str)]


def _with_history(contact: Contact, recorded: Sequence[EventRecord]) -> Contact:
    """The contact with the events recorded for it (`flowctl event`) in its history."""
    if not recorded:
        return contact
    events = [Event(e.name, e.at, dict(e.properties)) for e in recorded]
    merged = sorted((*contact.events, *events), key=lambda event: event.at)
    return Contact(contact.id, contact.attributes, tuple(merged))
