"""The run store's interface: what real runs keep, and the operations the runtime needs.

A store holds flows by digest, runs (one row each: status, where it stands, its state as
JSON, a version for optimistic updates), their step history, effects (intent first, result
after), events per contact (deduplicated by id) and enrolments (an audience being enrolled,
so that an interrupted `run` resumes where it stopped).

Writes happen in a `Batch`: many runs per transaction, never a commit per step. Every
implementation passes the contract suite in `tests/store/contract.py`; SQLite is the embedded
one, PostgreSQL comes next. Times are aware datetimes in UTC; JSON columns hold plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from flowctl.errors import FlowctlError

# Delivery statuses of an effect (DESIGN §8).
PENDING = "pending"  # intent committed; not yet confirmed by its handler
DELIVERED = "delivered"
FAILED = "failed"  # the handler refused it, or its last attempt failed
SKIPPED = "skipped"  # the handler could not reach the contact (no email address)
EFFECT_STATUSES = (PENDING, DELIVERED, FAILED, SKIPPED)


class StoreError(FlowctlError):
    """The state cannot be used: corrupt, locked past the timeout, from a newer flowctl, or
    its database failed (exit 2). Nothing of the batch in progress was written."""


class StoreUnavailable(StoreError):
    """The store's server did not answer (down, restarting, unreachable): a worker waits and
    tries again; every other command stops (exit 2)."""


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """A flow definition as it was when runs were pinned to it."""

    digest: str  # sha256 of the source bytes, hex
    name: str
    path: str  # the file it was read from, as the user named it
    source: str  # the YAML text
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run. `state` is the engine's `RunState.to_json()`; the other columns repeat what
    queries need (status, node, wake time, awaited event) so that no query parses JSON."""

    id: str
    flow: str  # the flow's name
    digest: str  # the FlowRecord it is pinned to
    contact: str
    status: str  # active, waiting, completed, filtered, converted, failed, cancelled
    node: str | None
    step: int
    wake_at: datetime | None  # when it must advance by itself (a wait's deadline)
    awaiting: str | None  # the event name it waits for, if any
    state: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    enrolment: str | None = None  # the Enrolment that created it
    attempts: int = 0  # `runs retry` so far
    error: str | None = None  # why it failed: node and error
    version: int = 1  # bumped by every update


@dataclass(frozen=True, slots=True)
class StepRow:
    """One completed step of a run's history: the §7 trace step, plus the effect's key."""

    run: str
    number: int
    node: str
    type: str
    at: datetime
    exit: str | None
    effect_key: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EffectRecord:
    """An effect's intent and its delivery. `key` is "RUN:NODE:STEP", the same on every retry."""

    key: str
    run: str
    flow: str
    contact: str
    node: str
    step: int
    at: datetime  # when the step that decided it ran (the run's clock)
    channel: str
    effect: Mapping[str, Any]  # the effect's to_json(): exactly the dry run's trace effect
    status: str = PENDING
    attempts: int = 0  # deliveries started (a claim counts one)
    next_attempt_at: datetime | None = None  # when it may be tried (again); None: at once
    reply: Any = None  # what the handler answered (JSON), for `runs show`
    error: str | None = None  # the last failure, or why it was skipped
    retry: Mapping[str, Any] | None = None  # the node's retry policy, as configured
    attributes: Mapping[str, Any] | None = None  # the contact's attributes at the step


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event of a contact. `id` deduplicates: a repeated id is recorded once."""

    id: str
    contact: str
    name: str
    at: datetime
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One `flowctl run` enrolling contacts: resumed by the same command when interrupted.

    `position` is the number of input lines handled so far, committed with the runs they
    created; `done` once the whole input was enrolled.
    """

    id: str
    digest: str
    source: str  # what identifies the input: a digest of the contacts and the options
    position: int = 0
    done: bool = False


@dataclass(frozen=True, slots=True)
class ChannelState:
    """What all workers share about one channel's limits: its rate bucket (`tokens` as of
    `tokens_at`) and its error budget (`failures` since `window_start`; no deliveries before
    `paused_until`). A channel never limited has the defaults."""

    channel: str
    tokens: float = 0.0
    tokens_at: datetime | None = None  # None: the bucket was never used, it starts full
    failures: int = 0
    window_start: datetime | None = None
    paused_until: datetime | None = None


_Record = TypeVar("_Record")
_LAYOUTS: dict[type, tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]]] = {}


def evolve(record: _Record, **changes: Any) -> _Record:
    """A copy of one of the records above with `changes`: `dataclasses.replace` at about two
    thirds of its cost (a real run makes one or two per run and per effect, and `replace`
    looks up the class's fields each time). A class whose fields cannot all be passed by
    position goes through `replace` itself."""
    cls = type(record)
    layout = _LAYOUTS.get(cls)
    if layout is None:
        found = fields(cls)  # type: ignore[arg-type]
        if len(found) < 2 or any(not item.init or item.kw_only for item in found):
            return replace(record, **changes)  # type: ignore[type-var]
        names = [item.name for item in found]
        layout = _LAYOUTS[cls] = (attrgetter(*names), {n: i for i, n in enumerate(names)})
    get, index = layout
    values = list(get(record))
    for name, value in changes.items():
        if name not in index:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        values[index[name]] = value
    return cls(*values)


class Batch(Protocol):
    """The writes of one transaction; committed when the `with` block ends without error,
    rolled back (nothing written) when it raises."""

    def add_flow(self, flow: FlowRecord) -> None:
        """Store a flow definition; one already stored under the digest is kept as it is."""

    def add_runs(self, runs: Sequence[RunRecord]) -> None:
        """Insert new runs as given (a new `RunRecord` has version 1). A run id stored already
        is a StoreError."""

    def update_run(self, run: RunRecord) -> RunRecord | None:
        """Write `run` over the stored row if that row still has `run.version`; return it with
        the version bumped. None when the row moved on (another process advanced the run
        first) or is gone: nothing is written, and the caller drops that run's transition."""

    def update_runs(self, runs: Sequence[RunRecord]) -> list[RunRecord | None]:
        """`update_run` for each of `runs` in turn, in as few statements as the store can:
        what each returned, in order."""

    def add_steps(self, steps: Sequence[StepRow]) -> None:
        """Append completed steps to runs' histories; (run, number) is unique: a step stored
        already is a StoreError."""

    def add_effects(self, effects: Sequence[EffectRecord]) -> None:
        """Commit effects' intents; an effect whose key exists already is left as it is."""

    def add_claimed_effects(
        self, effects: Sequence[EffectRecord], worker: str, until: datetime
    ) -> list[EffectRecord]:
        """Commit new effects' intents already claimed by `worker` until `until`, as
        `claim_effects` would claim them (their first attempt counted): what a command that
        delivers its own intents at once writes, one statement instead of an insert, a read and
        an update. They must be new, as the intents of runs this batch inserted are: a key
        stored already is a StoreError. Returns them as claimed."""

    def update_effect(self, effect: EffectRecord, worker: str | None = None) -> bool:
        """Write an effect's delivery state (status, attempts, next attempt, reply, error) and
        end its claim: the delivery it records is over. With `worker`, only while that worker
        still holds the claim, so that a worker whose lease ran out (and whose effect another
        worker claimed since) cannot overwrite the newer delivery. False when nothing was
        written: no such key, or the claim is gone."""

    def update_effects(self, effects: Sequence[EffectRecord], worker: str) -> None:
        """`update_effect(effect, worker)` for each of `effects`, in one statement: the results
        of one worker's deliveries. An effect whose claim is gone is left as it is."""

    def claim_effects(
        self, keys: Sequence[str], worker: str, until: datetime
    ) -> list[EffectRecord]:
        """Claim pending effects for delivery: those of `keys` that no other live worker holds,
        each with `attempts` bumped. Returns what was claimed, as claimed.

        A claim lasts until `until` (wall-clock time), `update_effect` or `release_claims`.
        A worker may claim again what it holds (attempts are bumped again). Worker ids are
        `HOST:PID:NONCE`: a store on one machine also voids at once the claims of a process of
        this host that no longer runs, so a worker killed mid-delivery does not hold its
        effects until the lease ends."""

    def release_claims(self, worker: str) -> None:
        """Drop every claim `worker` holds (it stops, or it is known to be dead)."""

    def add_event(self, event: EventRecord) -> bool:
        """Record an event; False when its id was recorded already (nothing changes)."""

    def add_events(self, events: Sequence[EventRecord]) -> list[EventRecord]:
        """Record many events; returns those that were new, in the given order (the first of
        a repeated id counts)."""

    def put_enrolment(self, enrolment: Enrolment) -> None:
        """Insert or update an enrolment."""

    def channel_state(self, channel: str) -> ChannelState:
        """A channel's shared state, held for this transaction: another batch asking for it
        waits until this one ends, so that two workers never spend one token twice."""

    def put_channel_state(self, state: ChannelState) -> None:
        """Store a channel's state (read with `channel_state` in this batch)."""

    def live_contacts(self, flow: str, contacts: Iterable[str]) -> set[str]:
        """Those of `contacts` that have an active or waiting run of `flow` (by name). Read
        inside the transaction, with this batch's own runs, and no other writer between the
        check and the batch's inserts: the check that enrols a contact once."""


class RunStore(Protocol):
    """A place where real runs live. Reads see committed data, and while a batch of this
    store is open, also that batch's writes."""

    def batch(self) -> AbstractContextManager[Batch]:
        """A write transaction. Writers take turns: a batch waits for another process's up to
        the store's timeout (then StoreError). A batch inside a batch of the same store is an
        error (RuntimeError)."""

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    def flow(self, digest: str) -> FlowRecord | None:
        """The flow stored under `digest`."""

    def run(self, run_id: str) -> RunRecord | None:
        """One run by id."""

    def runs(
        self,
        *,
        flow: str | None = None,
        status: str | None = None,
        contact: str | None = None,
        enrolment: str | None = None,
        limit: int | None = None,
    ) -> Iterator[RunRecord]:
        """Runs matching every given filter, oldest first (`created_at`, then id)."""

    def live_run_of(self, flow: str, contact: str) -> RunRecord | None:
        """A run of `flow` (by name) for `contact` that is active or waiting, if any (the
        oldest, when re-entry made several)."""

    def live_runs_of_contact(self, contact: str) -> list[RunRecord]:
        """Every active or waiting run of `contact`, of any flow, oldest first."""

    def due_runs(self, now: datetime, limit: int) -> list[RunRecord]:
        """Up to `limit` runs to advance at `now`: active ones (left mid-step) and waiting ones
        whose `wake_at` is at or before `now`; active ones first of all (by id), then the
        earliest wake first (ties: by id)."""

    def next_wake(self) -> datetime | None:
        """The earliest `wake_at` of a waiting run, or of a pending effect's next attempt.
        Active runs and effects due at once (no next attempt) are not counted: they are due
        now, and `due_runs` and `due_effects` return them."""

    def steps(self, run_id: str) -> list[StepRow]:
        """A run's history, in step order."""

    def effects_of(self, run_id: str) -> list[EffectRecord]:
        """A run's effects, in step order."""

    def effect(self, key: str) -> EffectRecord | None:
        """One effect by key."""

    def due_effects(self, now: datetime, limit: int, worker: str) -> list[EffectRecord]:
        """Up to `limit` pending effects that may be delivered at `now`, in (run, step) order:
        their next attempt is due, no earlier effect of the same run is still pending or has
        failed (a failed effect holds its run's later ones until `runs retry` or `runs cancel`),
        and no live worker other than `worker` holds a claim on them."""

    def undelivered_runs(self, run_ids: Sequence[str]) -> set[str]:
        """Those of `run_ids` with an effect pending or failed: runs whose next effect must
        wait for it (`due_effects` holds it back)."""

    def events_of(self, contact: str) -> list[EventRecord]:
        """A contact's recorded events, in time order (ties: recording order)."""

    def events_of_contacts(self, contacts: Sequence[str]) -> dict[str, list[EventRecord]]:
        """`events_of` for many contacts in one query: those with recorded events only."""

    def enrolment(self, enrolment_id: str) -> Enrolment | None:
        """One enrolment by id."""

    def counts(self, flow: str | None = None) -> dict[str, int]:
        """Runs per status, of every run or of `flow` (by name): every status of
        `flowctl.engine.state.RUN_STATUSES` present, zeros included."""
