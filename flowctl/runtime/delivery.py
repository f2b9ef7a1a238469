"""Delivery: hand committed intents to their handlers, then record what they answered.

The intent of every effect is in the store before a handler sees it; a claim (per worker,
with a lease) keeps two workers from handing one effect over at once; a result is written only
by the worker still holding the claim, and only after the handlers made their deliveries
durable (`flush`). Effects of one run go in step order: while an earlier one is held up, the
later ones wait.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from flowctl.config.channels import table_name
from flowctl.config.limits import ChannelLimits
from flowctl.effects import effect_from_json
from flowctl.engine.state import CANCELLED
from flowctl.handlers import base as handled
from flowctl.handlers.base import Delivery, Handler, HandlerError, Result
from flowctl.nodes.base import FAILED
from flowctl.runtime.clock import Clock
from flowctl.runtime.limits import Gate
from flowctl.runtime.retry import RetryPolicy
from flowctl.store import base as stored
from flowctl.store.base import Batch, EffectRecord, RunStore, evolve

LEASE = timedelta(minutes=5)  # how long a delivery claim lasts (a killed local worker's, not)


class Handlers(Protocol):
    """The handlers of one command, one per channel, built from the configuration."""

    def for_channel(self, channel: str) -> Handler:
        """The handler that performs effects of `channel`."""

    def limits(self, channel: str) -> ChannelLimits | None:
        """The channel's rate limit and error budget, if it has any."""

    def flush(self) -> None:
        """Make every handler's deliveries durable (HandlerError when it cannot)."""


def confirms_each(handler: Handler) -> bool:
    """Whether the runtime records each of `handler`'s results before its next delivery (so a
    crash re-sends at most one effect): unless the handler says its deliveries may be confirmed
    in batches (`confirms_in_batches = True`, the outbox: it finds a re-sent key itself)."""
    return not getattr(handler, "confirms_in_batches", False)


class Held(NamedTuple):
    """A delivery a channel's limits kept back: tried again at `until`, attempts untouched."""

    until: datetime
    reason: str


class Courier:
    """Delivers effects for one worker, over one store, with one set of handlers."""

    def __init__(
        self, store: RunStore, handlers: Handlers, clock: Clock, worker: str, batch_size: int
    ) -> None:
        self.store, self.handlers, self.clock, self.worker = store, handlers, clock, worker
        self.batch_size = batch_size
        self.failed: set[str] = set()  # runs a delivery failed, until the caller clears it

    def deliver(self, effects: Sequence[EffectRecord] | None = None) -> int:
        """Hand effects to their handlers and record the results: `effects` (just committed
        intents) or one batch of those due. How many were handled."""
        now = self.clock.now()
        with self.store.batch() as batch:
            if effects is None:
                effects = self.store.due_effects(now, self.batch_size, self.worker)
            if not effects:
                return 0
            claimed = batch.claim_effects([e.key for e in effects], self.worker, lease_end())
        return self.deliver_claimed(claimed)

    def deliver_claimed(self, claimed: Sequence[EffectRecord]) -> int:
        """Hand effects this worker claimed to their handlers, in order, and record the
        results; how many were handled."""
        if not claimed:
            return 0
        results: list[tuple[EffectRecord, Result | Held | None]] = []
        blocked: set[str] = set()  # runs whose earlier effect did not go through: keep order
        handled_count = 0
        gates = self._open_gates(claimed)
        try:
            for effect in claimed:
                handled_count += 1
                if effect.run in blocked:
                    results.append((effect, None))
                    continue
                gate = gates.get(table_name(effect.channel))
                if gate is not None and (until := gate.admit()) is not None:
                    results.append((effect, Held(until, gate.reason())))
                    blocked.add(effect.run)
                    continue
                handler = self.handlers.for_channel(effect.channel)
                outcome = self._deliver_one(handler, effect)
                if gate is not None and outcome.status in (handled.DELIVERED, handled.RETRY):
                    gate.count(outcome.status == handled.RETRY)
                if outcome.status not in (handled.DELIVERED, handled.SKIPPED):
                    blocked.add(effect.run)
                if confirms_each(handler):
                    # Mail and HTTP calls cannot be looked up afterwards: confirm this one
                    # before the next, so a crash re-sends at most this one.
                    handler.flush()
                    with self.store.batch() as batch:
                        self._record(batch, effect, outcome, self.clock.now())
                else:
                    results.append((effect, outcome))
            self.handlers.flush()
        except HandlerError:
            # The handlers could not make these deliveries durable: record none of them. Their
            # intents stay pending with their keys, for the next worker to send again.
            with self.store.batch() as batch:
                batch.release_claims(self.worker)
            raise
        with self.store.batch() as batch:
            for name in sorted(gates):  # one order everywhere: no two batches deadlock
                batch.put_channel_state(gates[name].closed(batch.channel_state(name)))
            now = self.clock.now()
            settled = []
            for effect, result in results:
                written = self._settled(effect, result)
                if written is None:
                    self._record(batch, effect, result, now)
                else:
                    settled.append(written)
            batch.update_effects(settled, self.worker)
        return handled_count

    def _open_gates(self, claimed: Sequence[EffectRecord]) -> dict[str, Gate]:
        """The limits of the channels in `claimed` that have any, with their tokens taken
        from the shared bucket in a transaction of their own (short: other workers wait for
        it). No store access at all when no channel is limited."""
        wanted = Counter(table_name(effect.channel) for effect in claimed)
        limited = {
            name: limits
            for name in sorted(wanted)
            if (limits := self.handlers.limits(name)) is not None
        }
        if not limited:
            return {}
        now = self.clock.now()
        gates = {}
        with self.store.batch() as batch:
            for name, limits in limited.items():
                gates[name], taken = Gate.open(batch.channel_state(name), limits, now, wanted[name])
                batch.put_channel_state(taken)
        return gates

    @staticmethod
    def _settled(effect: EffectRecord, result: Result | Held | None) -> EffectRecord | None:
        """The effect as `result` leaves it when that needs no decision (it went through, was
        skipped, or was not tried), for `update_effects` to write with the others; None when
        `_record` must decide (a retry, or the run's failure)."""
        if result is None:  # claimed but not tried: an earlier effect of its run is held up
            return evolve(effect, attempts=effect.attempts - 1)
        if isinstance(result, Held):  # not tried either, and due again when the limit allows
            return evolve(
                effect,
                attempts=effect.attempts - 1,
                next_attempt_at=result.until,
                error=result.reason,
            )
        if result.status == handled.DELIVERED:
            return evolve(effect, status=stored.DELIVERED, reply=result.reply, error=None)
        if result.status == handled.SKIPPED:
            return evolve(effect, status=stored.SKIPPED, reply=result.reply, error=result.error)
        return None

    def _deliver_one(self, handler: Handler, effect: EffectRecord) -> Result:
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
            return handler.deliver(delivery)
        except HandlerError:
            raise  # the handler itself cannot work (its outbox file, say): stop the command
        except Exception as exc:  # a handler's bug is a failed attempt, never a crash
            return Result.retry(f"{type(exc).__name__}: {exc}")

    def _record(
        self, batch: Batch, effect: EffectRecord, result: Result | Held | None, now: datetime
    ) -> None:
        settled = self._settled(effect, result)
        if settled is not None:
            batch.update_effect(settled, self.worker)
            return
        assert isinstance(result, Result)  # what `_settled` leaves: a retry or a failure
        policy = RetryPolicy.of(effect.retry)
        later = None
        if result.status != handled.FAILED:
            later = policy.next_attempt(effect.key, effect.attempts, now, result.retry_after)
        if later is not None:
            batch.update_effect(
                replace(effect, next_attempt_at=later, reply=result.reply, error=result.error),
                self.worker,
            )
            return
        error = result.error or "the handler failed"
        if result.status != handled.FAILED:
            error = (
                f"{error} (after {effect.attempts} attempt{'s' if effect.attempts != 1 else ''})"
            )
        failed = replace(effect, status=stored.FAILED, reply=result.reply, error=error)
        if batch.update_effect(failed, self.worker):
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


def lease_end() -> datetime:
    """When a claim taken now ends: wall-clock time, for leases are about processes, not the
    run's clock."""
    return datetime.now(UTC) + LEASE
