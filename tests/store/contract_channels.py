"""The run store contract, part three: the channels' shared state (rate buckets, error
budgets), which every worker reads and writes in turn. `StoreContract` gathers it too."""

from __future__ import annotations

import threading

import pytest

from flowctl.store.base import ChannelState, RunStore
from tests.store.builders import T0, StoreFactory, minutes


class Aborted(Exception):
    """Raised inside a batch to see it rolled back."""


class ChannelContract:
    """A channel's state round-trips, starts empty, and is held by one batch at a time."""

    def test_a_channel_never_used_has_the_empty_state(self, store: RunStore) -> None:
        with store.batch() as batch:
            assert batch.channel_state("email") == ChannelState("email")

    def test_a_channel_state_round_trips_and_is_overwritten(self, store: RunStore) -> None:
        written = ChannelState("sms", 3.25, T0, 4, T0 + minutes(1), T0 + minutes(5))
        with store.batch() as batch:
            batch.channel_state("sms")
            batch.put_channel_state(written)
        with store.batch() as batch:
            assert batch.channel_state("sms") == written
            assert batch.channel_state("email") == ChannelState("email")
            batch.put_channel_state(ChannelState("sms", 0.5, T0 + minutes(2)))
        with store.batch() as batch:
            assert batch.channel_state("sms") == ChannelState("sms", 0.5, T0 + minutes(2))

    def test_a_rolled_back_batch_leaves_the_state_as_it_was(self, store: RunStore) -> None:
        with pytest.raises(Aborted), store.batch() as batch:
            batch.channel_state("email")
            batch.put_channel_state(ChannelState("email", 9.0, T0))
            raise Aborted
        with store.batch() as batch:
            assert batch.channel_state("email") == ChannelState("email")

    def test_a_second_worker_waits_for_the_first_ones_state(
        self, store: RunStore, store_factory: StoreFactory
    ) -> None:
        """Worker B asks for the state while A holds it: B gets what A wrote, never what A
        read, so that no token is spent twice."""
        with store.batch() as batch:
            batch.put_channel_state(ChannelState("email", 5.0, T0))
        seen: list[ChannelState] = []
        asking = threading.Event()

        def second() -> None:
            other = store_factory()  # a connection of its own, in its own thread
            asking.set()
            with other.batch() as later:
                seen.append(later.channel_state("email"))
            other.close()

        with store.batch() as batch:
            state = batch.channel_state("email")
            thread = threading.Thread(target=second)
            thread.start()
            assert asking.wait(10)
            thread.join(0.3)  # B is stuck behind this batch for as long as it lasts
            assert seen == []
            batch.put_channel_state(ChannelState("email", state.tokens - 1, T0))
        thread.join(10)
        assert not thread.is_alive()
        assert seen == [ChannelState("email", 4.0, T0)], seen
