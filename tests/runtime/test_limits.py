"""Channel limits at delivery time: the rate bucket and the error budget, as pure state
transitions over the run's clock (the store only keeps the state; tests/store checks that)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.config.limits import ChannelLimits, Per
from flowctl.runtime.limits import Gate
from flowctl.store.base import ChannelState

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PER_MINUTE = ChannelLimits(Per(60, timedelta(minutes=1)), burst=5.0)
BUDGET = ChannelLimits(error_budget=Per(3, timedelta(minutes=10)), pause=timedelta(minutes=5))


def batch(
    shared: ChannelState, limits: ChannelLimits, now: datetime, wanted: int
) -> tuple[Gate, ChannelState]:
    """One worker's batch: tokens taken at its start, then as many admitted as may go."""
    gate, taken = Gate.open(shared, limits, now, wanted)
    return gate, taken


def admitted(gate: Gate, count: int) -> tuple[int, list[datetime]]:
    went, held = 0, []
    for _ in range(count):
        until = gate.admit()
        if until is None:
            went += 1
        else:
            held.append(until)
    return went, held


def test_a_new_bucket_is_full_then_refills_at_the_rate() -> None:
    gate, shared = batch(ChannelState("email"), PER_MINUTE, T0, 8)
    went, held = admitted(gate, 8)
    assert went == 5  # the burst
    # The held ones come due one token (a second) apart, not all at once.
    assert held == [T0 + timedelta(seconds=s) for s in (1, 2, 3)]
    gate, shared = batch(gate.closed(shared), PER_MINUTE, T0 + timedelta(seconds=2), 8)
    assert admitted(gate, 8)[0] == 2


def test_tokens_not_used_go_back_to_the_bucket() -> None:
    gate, taken = batch(ChannelState("email"), PER_MINUTE, T0, 4)
    assert taken.tokens == 1.0  # four taken out at the start, for everyone to see
    admitted(gate, 1)  # the other three runs were held up by an earlier effect
    assert gate.closed(taken).tokens == 4.0


def test_a_clock_that_goes_back_adds_no_tokens() -> None:
    gate, shared = batch(ChannelState("email"), PER_MINUTE, T0, 5)
    admitted(gate, 5)
    gate, shared = batch(gate.closed(shared), PER_MINUTE, T0 - timedelta(hours=1), 5)
    assert admitted(gate, 5)[0] == 0


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(0, 90_000),  # milliseconds since the previous batch
            st.integers(0, 40),  # deliveries it wants
            st.integers(1, 3),  # workers that open a gate on the same state in turn
        ),
        max_size=30,
    ),
    rate=st.integers(1, 120),
    burst=st.integers(1, 20),
)
def test_never_more_than_the_burst_plus_the_rate_over_any_time(
    steps: list[tuple[int, int, int]], rate: int, burst: int
) -> None:
    limits = ChannelLimits(Per(rate, timedelta(minutes=1)), burst=float(burst))
    shared = ChannelState("sms")
    now, total = T0, 0
    for gap, wanted, workers in steps:
        now += timedelta(milliseconds=gap)
        gates = []
        for _ in range(workers):  # each takes its tokens before the next reads the state
            gate, shared = batch(shared, limits, now, wanted)
            gates.append(gate)
        for gate in gates:
            went, held = admitted(gate, wanted)
            total += went
            assert all(until > now for until in held)
            shared = gate.closed(shared)
        elapsed = (now - T0).total_seconds()
        assert total <= burst + rate * elapsed / 60 + 1e-9


def test_a_spent_error_budget_pauses_the_channel_then_one_success_reopens_it() -> None:
    gate, shared = batch(ChannelState("http"), BUDGET, T0, 10)
    for _ in range(4):  # three failures are the budget; the fourth spends it
        assert gate.admit() is None
        gate.count(True)
    until = T0 + timedelta(minutes=5)
    assert gate.admit() == until  # the rest of the batch is held, attempts untouched
    assert "paused until 2026-11-20T10:05:00Z (more than 3 per 10 minutes" in gate.reason()
    shared = gate.closed(shared)
    assert shared.paused_until == until
    gate, shared = batch(shared, BUDGET, T0 + timedelta(minutes=4), 10)
    assert gate.admit() == until  # still paused for the next batch, of any worker
    # After the pause, one failure pauses it again ...
    gate, shared = batch(gate.closed(shared), BUDGET, until, 10)
    assert gate.admit() is None
    gate.count(True)
    assert gate.admit() == until + timedelta(minutes=5)
    # ... and one success closes it: the full budget again.
    later = until + timedelta(minutes=5)
    gate, shared = batch(gate.closed(shared), BUDGET, later, 10)
    assert gate.admit() is None
    gate.count(False)
    for _ in range(3):
        assert gate.admit() is None
        gate.count(True)
    assert gate.admit() is None
    assert gate.closed(shared).paused_until is None


def test_failures_of_an_old_period_do_not_count() -> None:
    gate, shared = batch(ChannelState("http"), BUDGET, T0, 3)
    for _ in range(3):
        gate.admit()
        gate.count(True)
    shared = gate.closed(shared)
    gate, shared = batch(shared, BUDGET, T0 + timedelta(minutes=11), 3)
    for _ in range(3):
        assert gate.admit() is None
        gate.count(True)
    assert gate.closed(shared).paused_until is None


def test_outcomes_of_two_workers_add_up_in_the_shared_state() -> None:
    first, shared = batch(ChannelState("http"), BUDGET, T0, 2)
    second, shared = batch(shared, BUDGET, T0, 2)
    for gate in (first, second):
        for _ in range(2):
            gate.admit()
            gate.count(True)
    shared = first.closed(shared)
    assert shared.paused_until is None  # two failures of three
    assert second.closed(shared).paused_until == T0 + timedelta(minutes=5)  # four of three
