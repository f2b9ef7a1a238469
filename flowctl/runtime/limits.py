"""Channel limits at delivery time: a rate bucket and an error budget shared by all workers.

The state lives in the store (`ChannelState`, one row per channel), read and written in one
short transaction before a batch of deliveries and one after it; the arithmetic here is pure
and goes by the run's clock, so `worker --once --now T` replays it exactly.

- **Rate**: a token bucket of `burst` tokens, refilled at `rate`. A delivery takes a token; one
  that finds none is *held*: put back unattempted, due again when its token will be there.
- **Error budget**: transient failures (a retry: connection refused, a timeout, HTTP 5xx or
  429) are counted per period. One more than the budget pauses the channel for `pause`: its
  effects are held, their attempts untouched, so the runs wait instead of failing one by one.
  After a pause a single failure pauses it again, until a delivery goes through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flowctl.config.limits import ChannelLimits
from flowctl.engine.trace import iso
from flowctl.store.base import ChannelState


def refilled(state: ChannelState, limits: ChannelLimits, now: datetime) -> ChannelState:
    """The bucket as of `now`: full when never used; a clock that went back adds nothing."""
    if limits.rate is None:
        return state
    if state.tokens_at is None:
        return replace(state, tokens=limits.burst, tokens_at=now)
    elapsed = (now - state.tokens_at).total_seconds()
    if elapsed <= 0:
        return state
    tokens = min(limits.burst, state.tokens + elapsed * limits.rate.per_second)
    return replace(state, tokens=tokens, tokens_at=now)


def in_window(state: ChannelState, limits: ChannelLimits, now: datetime) -> ChannelState:
    """The failure count of the budget's current period (a new period starts at 0)."""
    budget = limits.error_budget
    if budget is None or state.window_start is None:
        return state
    if now >= state.window_start + budget.period:
        return replace(state, failures=0, window_start=None)
    return state


def counted(
    state: ChannelState, limits: ChannelLimits, now: datetime, transient_failure: bool
) -> ChannelState:
    """The state after one delivery's outcome is counted against the error budget."""
    if not transient_failure:
        if state.paused_until is not None and state.paused_until <= now:  # first success after
            return replace(state, failures=0, window_start=None, paused_until=None)
        return state
    budget = limits.error_budget
    if budget is None:
        return state
    state = in_window(state, limits, now)
    failures = state.failures + 1
    if failures <= budget.count:
        return replace(state, failures=failures, window_start=state.window_start or now)
    until = now + limits.pause
    # Half open after the pause: one more failure in the next period pauses it again.
    return replace(state, failures=budget.count, window_start=until, paused_until=until)


@dataclass
class Gate:
    """One channel's limits over one batch of deliveries of one worker: the tokens it took
    from the shared bucket when the batch began, and the outcomes it saw."""

    limits: ChannelLimits
    state: ChannelState  # as this worker sees it: shared state, then its own outcomes
    now: datetime
    granted: int = 0  # tokens taken for this batch
    used: int = 0
    held: int = 0  # deliveries held by the rate so far
    outcomes: list[bool] = field(default_factory=list)  # transient failure or not, in order

    @classmethod
    def open(
        cls, shared: ChannelState, limits: ChannelLimits, now: datetime, wanted: int
    ) -> tuple[Gate, ChannelState]:
        """The gate for a batch that may deliver up to `wanted` effects of the channel, and
        the shared state to write back at once (the tokens taken out)."""
        state = in_window(refilled(shared, limits, now), limits, now)
        granted = wanted
        if state.paused_until is not None and state.paused_until > now:
            granted = 0
        elif limits.rate is not None:
            granted = min(wanted, math.floor(state.tokens))
            state = replace(state, tokens=state.tokens - granted)
        return cls(limits, state, now, granted), state

    @property
    def paused_until(self) -> datetime | None:
        until = self.state.paused_until
        return until if until is not None and until > self.now else None

    def admit(self) -> datetime | None:
        """None when the next delivery may go; else when it may be tried again."""
        paused = self.paused_until
        if paused is not None:
            return paused
        if self.used < self.granted:
            self.used += 1
            return None
        rate = self.limits.rate
        assert rate is not None  # without a rate, every wanted delivery was granted
        # The n-th held delivery waits for the n-th token from now, so that they come due
        # one token apart instead of all at once.
        self.held += 1
        wait = (self.held - self.state.tokens) / rate.per_second
        return self.now + timedelta(milliseconds=math.ceil(wait * 1000))

    def count(self, transient_failure: bool) -> None:
        """Count a delivery that went through (False) or failed for a while (True); a pause
        takes effect for the rest of the batch. Skips and permanent failures are the
        contact's, not the channel's: they are not counted."""
        self.outcomes.append(transient_failure)
        self.state = counted(self.state, self.limits, self.now, transient_failure)

    def closed(self, shared: ChannelState) -> ChannelState:
        """The shared state as read again after the batch, with the tokens not used given
        back and this batch's outcomes counted."""
        state = shared
        if self.limits.rate is not None and self.used < self.granted:
            tokens = min(self.limits.burst, state.tokens + self.granted - self.used)
            state = replace(state, tokens=tokens)
        for failure in self.outcomes:
            state = counted(state, self.limits, self.now, failure)
        return state

    def reason(self) -> str:
        """Why a delivery was held, for `runs show`."""
        channel = self.state.channel
        paused = self.paused_until
        if paused is not None:
            budget = self.limits.error_budget
            spent = f"{budget.count} per {_period(budget.period)}" if budget else "its budget"
            return (
                f"held: the {channel} channel is paused until {iso(paused)} (more than {spent} "
                "transient failures)"
            )
        rate = self.limits.rate
        limit = f"{rate.count} per {_period(rate.period)}" if rate else "its rate"
        return f"held: the {channel} channel's rate limit ({limit})"


def _period(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"
