"""The real-run driver: enrol contacts, advance due runs, deliver events and effects.

Every change goes through the store in batches (many runs per transaction, never a commit
per step), and always in this order: a run's new state, its steps and its effects' intents
are committed together; only then are the effects handed to their handlers; their results are
committed after. A process killed at any moment therefore loses nothing, and re-sends at most
an effect whose result was not yet recorded, with the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Protocol

from flowctl.effects import effect_from_json
from flowctl.engine.core import Tick, Transition, advance, start
from flowctl.engine.plan import PreparedFlow
from flowctl.engine.state import ACTIVE, CANCELLED, LIVE, state_from_json
from flowctl.handlers import base as handled
from flowctl.handlers.base import Delivery, Handler, Result
from flowctl.language.contacts import Contact, Event
from flowctl.nodes.base import FAILED
from flowctl.runtime.clock import Clock
from flowctl.runtime.plans import PlanError, Plans
from flowctl.runtime.records import effect_records, run_id_for, run_record, step_rows, updated
from flowctl.runtime.retry import RetryPolicy
from flowctl.store import base as stored
from flowctl.store.base import Batch, EffectRecord, Enrolment, EventRecord, RunRecord, RunStore

BATCH = 500  # runs per transaction: large enough to amortise a commit, small enough to resume
LEASE = timedelta(minutes=5)  # how long a delivery claim lasts (a killed local worker's, not)
MAX_PASSES = 100_000  # a bound on `run_due` passes; each pass makes progress


class Handlers(Protocol):
    """The handlers of one command, one per channel, built from the configuration."""

    def for_channel(self, channel: str) -> Handler:
        """The handler that performs effects of `channel`."""

    def flush(self) -> None:
        """Make every handler's deliveries durable."""


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
        self.failed: set[str] = set()  # runs a delivery failed, since `enrol` last looked

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
                enrolled = [
                    self._enrol_one(batch, plan, digest, line, item, enrolment.id, reentry, now)
                    for line, item in chunk
                ]
                enrolled = self._dedupe(enrolled, reentry)
                self._write_new(batch, plan, enrolled)
                batch.put_enrolment(replace(enrolment, position=last))
            self.failed.clear()
            self.deliver([e for item in enrolled if item.run for e in self._intents(item, plan)])
            yield from (self._refreshed(item) for item in enrolled)
        with self.store.batch() as batch:
            batch.put_enrolment(replace(enrolment, position=last, done=True))

    def _enrol_one(
        self,
        batch: Batch,
        plan: PreparedFlow,
        digest: str,
        line: int,
        item: Contact | str,
        enrolment: str,
        reentry: bool,
        now: datetime,
    ) -> Enrolled:
        if isinstance(item, str):
            return Enrolled(line, None, skipped=item)
        if not reentry and self.store.live_run_of(plan.name, item.id) is not None:
            return Enrolled(line, item.id, skipped="already has an active or waiting run")
        contact = _with_history(item, self.store.events_of(item.id))
        transition = advance(plan, start(plan, contact, now), Tick(now))
        record = run_record(
            run_id_for(enrolment, line), plan, digest, transition.state, now, enrolment
        )
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

    def _write_new(self, batch: Batch, plan: PreparedFlow, enrolled: list[Enrolled]) -> None:
        made = [item for item in enrolled if item.run is not None and item.transition is not None]
        batch.add_runs([item.run for item in made if item.run is not None])
        steps, effects = [], []
        for item in made:
            assert item.run is not None and item.transition is not None
            steps += step_rows(item.run.id, item.transition)
            effects += effect_records(item.run, plan, item.transition.effects)
        batch.add_steps(steps)
        batch.add_effects(effects)

    def _refreshed(self, item: Enrolled) -> Enrolled:
        """The item with its run as stored now, when a delivery failed it meanwhile."""
        if item.run is None or item.run.id not in self.failed:
            return item
        return replace(item, run=self.store.run(item.run.id) or item.run)

    @staticmethod
    def _intents(item: Enrolled, plan: PreparedFlow) -> list[EffectRecord]:
        assert item.run is not None and item.transition is not None
        return effect_records(item.run, plan, item.transition.effects)

    # -- advancing -------------------------------------------------------------------------

    def run_due(self) -> tuple[int, int]:
        """Advance every run due by the clock and deliver every effect due, including what
        becomes due before the clock meanwhile; (runs advanced, effects handled)."""
        advanced = handled = 0
        for _ in range(MAX_PASSES):
            runs, effects = self.advance_due(), self.deliver()
            advanced, handled = advanced + runs, handled + effects
            if not runs and not effects:
                break
        return advanced, handled

    def advance_due(self) -> int:
        """Advance one batch of due runs; how many were advanced."""
        now = self.clock.now()
        with self.store.batch() as batch:
            due = self.store.due_runs(now, self.batch_size)
            for record in due:
                self._advance(batch, record, Tick(now), now)
        return len(due)

    def advance_records(self, records: Sequence[RunRecord]) -> int:
        """Advance the given runs, as they were read, in one batch (a queued job names them);
        one that moved on since is left alone. How many were advanced."""
        now = self.clock.now()
        with self.store.batch() as batch:
            moved = [r for r in records if self._advance(batch, r, Tick(now), now) is not None]
        return len(moved)

    def _advance(
        self, batch: Batch, record: RunRecord, tick: Tick, now: datetime
    ) -> RunRecord | None:
        """Move one run in `batch`; its steps and intents go with it. None on a conflict."""
        try:
            plan = self.plans.get(record.digest)
        except PlanError as exc:
            return batch.update_run(
                replace(
                    record,
                    status=FAILED,
                    error=str(exc),
                    wake_at=None,
                    awaiting=None,
                    updated_at=now,
                )
            )
        transition = advance(plan, state_from_json(record.state), tick)
        written = batch.update_run(updated(record, transition.state, now))
        if written is not None:
            batch.add_steps(step_rows(record.id, transition))
            batch.add_effects(effect_records(record, plan, transition.effects))
        return written

    # -- events ----------------------------------------------------------------------------

    def record_event(self, event: EventRecord) -> list[RunRecord] | None:
        """Record an event and, in the same transaction, advance every live run of its
        contact to the event's time with the event delivered; None for a repeated id."""
        now = self.clock.now()
        arrived = Event(event.name, event.at, dict(event.properties))
        with self.store.batch() as batch:
            if not batch.add_event(event):
                return None
            moved = []
            for record in self.store.live_runs_of_contact(event.contact):
                written = self._advance(batch, record, Tick(event.at, (arrived,)), now)
                if written is not None:
                    moved.append(written)
        self.deliver()
        return moved

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, effects: Sequence[EffectRecord] | None = None) -> int:
        """Hand effects to their handlers and record the results: `effects` (just committed
        intents) or one batch of those due. How many were handled."""
        now = self.clock.now()
        with self.store.batch() as batch:
            if effects is None:
                effects = self.store.due_effects(now, self.batch_size, self.worker)
            if not effects:
                return 0
            claimed = batch.claim_effects([e.key for e in effects], self.worker, _wall() + LEASE)
        results: list[tuple[EffectRecord, Result | None]] = []
        blocked: set[str] = set()  # runs whose earlier effect did not go through: keep order
        for effect in claimed:
            if effect.run in blocked:
                results.append((effect, None))
                continue
            outcome = self._deliver_one(effect)
            if outcome.status not in (handled.DELIVERED, handled.SKIPPED):
                blocked.add(effect.run)
            results.append((effect, outcome))
        self.handlers.flush()
        with self.store.batch() as batch:
            for effect, result in results:
                self._record(batch, effect, result, self.clock.now())
        return len(results)

    def _deliver_one(self, effect: EffectRecord) -> Result:
        delivery = Delivery(
            key=effect.key,
            run=effect.run,
            flow=effect.flow,
            contact=effect.contact,
            node=effect.node,
            at=effect.at,
            effect=effect_from_json(effect.effect),
            attributes=effect.attributes or {},
            attempt=effect.attempts,
            in_doubt=effect.attempts > 1,
        )
        try:
            return self.handlers.for_channel(effect.channel).deliver(delivery)
        except Exception as exc:  # a handler's bug is a failed attempt, never a crash
            return Result.retry(f"{type(exc).__name__}: {exc}")

    def _record(
        self, batch: Batch, effect: EffectRecord, result: Result | None, now: datetime
    ) -> None:
        if result is None:  # claimed but not tried: an earlier effect of its run is held up
            batch.update_effect(replace(effect, attempts=effect.attempts - 1))
            return
        if result.status == handled.DELIVERED:
            batch.update_effect(
                replace(effect, status=stored.DELIVERED, reply=result.reply, error=None)
            )
            return
        if result.status == handled.SKIPPED:
            batch.update_effect(
                replace(effect, status=stored.SKIPPED, reply=result.reply, error=result.error)
            )
            return
        policy = RetryPolicy.of(effect.retry)
        later = None
        if result.status != handled.FAILED:
            later = policy.next_attempt(effect.key, effect.attempts, now, result.retry_after)
        if later is not None:
            batch.update_effect(
                replace(effect, next_attempt_at=later, reply=result.reply, error=result.error)
            )
            return
        error = result.error or "the handler failed"
        if result.status != handled.FAILED:
            error = (
                f"{error} (after {effect.attempts} attempt{'s' if effect.attempts != 1 else ''})"
            )
        batch.update_effect(replace(effect, status=stored.FAILED, reply=result.reply, error=error))
        self._fail_run(batch, effect, error, now)

    def _fail_run(self, batch: Batch, effect: EffectRecord, error: str, now: datetime) -> None:
        """An effect that cannot be delivered fails its run at the effect's node."""
        record = self.store.run(effect.run)
        if record is None or record.status in (FAILED, CANCELLED):
            return
        message = f"node '{effect.node}': {effect.channel} delivery failed: {error}"
        failed = replace(record, status=FAILED, node=effect.node, error=message, updated_at=now)
        if batch.update_run(failed) is not None:
            self.failed.add(record.id)

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
        """Stop live (or failed) runs for good; their undelivered effects are skipped."""
        now = self.clock.now()
        cancelled = []
        with self.store.batch() as batch:
            for run_id in run_ids:
                record = self.store.run(run_id)
                if record is None or record.status not in (*LIVE, FAILED):
                    continue
                for effect in self.store.effects_of(run_id):
                    if effect.status in (stored.PENDING, stored.FAILED):
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


def _with_history(contact: Contact, recorded: Sequence[EventRecord]) -> Contact:
    """The contact with the events recorded for it (`flowctl event`) in its history."""
    if not recorded:
        return contact
    events = [Event(e.name, e.at, dict(e.properties)) for e in recorded]
    merged = sorted((*contact.events, *events), key=lambda event: event.at)
    return Contact(contact.id, contact.attributes, tuple(merged))


def _wall() -> datetime:
    """Wall-clock time for claims' leases: they are about processes, not the run's clock."""
    from datetime import UTC

    return datetime.now(UTC)
