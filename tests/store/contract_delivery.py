"""The run store contract, part two: effects and their delivery (order, claims, leases) and
events (deduplicated by id). `StoreContract` in contract.py gathers both parts."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.store.base import EffectRecord, EventRecord, RunStore, StoreError
from tests.store.builders import (
    T0,
    StoreFactory,
    dead_worker,
    effect_record,
    event_record,
    lease,
    live_worker,
    minutes,
    remote_worker,
    run_record,
    seed,
)

_states = itertools.count()
ME, OTHER = live_worker("me"), live_worker("other")


def keys(effects: list[EffectRecord]) -> list[str]:
    return [effect.key for effect in effects]


class DeliveryContract:
    """Effects: intent first, one claim at a time, per-run order; events: once per id."""

    # -- effects -----------------------------------------------------------------------

    def test_an_effect_round_trips_with_every_field(self, store: RunStore) -> None:
        effect = effect_record(
            "r-1",
            3,
            status="failed",
            attempts=4,
            next_attempt_at=T0 + minutes(90),
            reply={"status": 503, "body": "try later ✓"},
            error="503 Service Unavailable",
            retry={"max_attempts": 4, "backoff": "1m", "max_backoff": "1h"},
            attributes={"email": "zoë@example.com", "total": 1.5, "tags": ["a"]},
        )
        seed(store, [run_record("r-1")], [effect, effect_record("r-1", 1)])
        assert store.effect(effect.key) == effect
        assert store.effect("r-1:send:2") is None
        assert store.effects_of("r-1") == [effect_record("r-1", 1), effect]
        assert store.effects_of("r-2") == []

    def test_a_reply_may_be_any_json(self, store: RunStore) -> None:
        replies = ["text", 3, [1, "two"], {"nested": {"list": [None, True]}}]
        effects = [effect_record("r-1", step, reply=reply) for step, reply in enumerate(replies)]
        seed(store, [run_record("r-1")], effects)
        assert [effect.reply for effect in store.effects_of("r-1")] == replies

    def test_an_effect_added_again_is_left_as_it_is(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        delivered = replace(effect_record("r-1", 0), status="delivered", attempts=1)
        with store.batch() as batch:
            assert batch.update_effect(delivered)
        with store.batch() as batch:
            batch.add_effects([effect_record("r-1", 0, channel="sms"), effect_record("r-1", 1)])
        assert store.effects_of("r-1") == [delivered, effect_record("r-1", 1)]

    def test_update_effect_writes_the_delivery_state_only(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        later = replace(
            effect_record("r-1", 0),
            status="pending",
            attempts=2,
            next_attempt_at=T0 + minutes(5),
            reply={"status": 429},
            error="429 Too Many Requests",
        )
        with store.batch() as batch:
            assert batch.update_effect(replace(later, channel="sms", node="elsewhere"))
            assert not batch.update_effect(effect_record("r-1", 9))
        assert store.effect(later.key) == later

    def test_due_effects_keep_each_run_in_step_order(self, store: RunStore) -> None:
        seed(
            store,
            [run_record("r-a"), run_record("r-b"), run_record("r-c")],
            [
                effect_record("r-b", 4),
                effect_record("r-a", 2),
                effect_record("r-a", 1),
                effect_record("r-b", 3, next_attempt_at=T0 + minutes(30)),
                effect_record("r-c", 0, status="delivered"),
                effect_record("r-c", 1),
            ],
        )
        assert keys(store.due_effects(T0, 10, ME)) == ["r-a:send:1", "r-c:send:1"]
        assert keys(store.due_effects(T0 + minutes(30), 10, ME)) == [
            "r-a:send:1",
            "r-b:send:3",
            "r-c:send:1",
        ]
        assert keys(store.due_effects(T0 + minutes(30), 2, ME)) == ["r-a:send:1", "r-b:send:3"]
        with store.batch() as batch:
            batch.update_effect(replace(effect_record("r-a", 1), status="delivered"))
            batch.update_effect(replace(effect_record("r-b", 3), status="failed"))
        # A failed effect holds its run's later ones (until retried, or skipped by a cancel).
        assert keys(store.due_effects(T0, 10, ME)) == ["r-a:send:2", "r-c:send:1"]
        with store.batch() as batch:
            batch.update_effect(replace(effect_record("r-b", 3), status="skipped"))
        assert keys(store.due_effects(T0, 10, ME)) == ["r-a:send:2", "r-b:send:4", "r-c:send:1"]
        assert store.due_effects(T0, 0, ME) == []

    def test_a_claim_bumps_attempts_and_returns_what_it_claimed(self, store: RunStore) -> None:
        seed(
            store,
            [run_record("r-1")],
            [effect_record("r-1", 0), effect_record("r-1", 1, status="delivered")],
        )
        with store.batch() as batch:
            claimed = batch.claim_effects(["r-1:send:1", "r-1:send:0", "nope"], ME, lease(60))
        assert claimed == [replace(effect_record("r-1", 0), attempts=1)]
        assert store.effect("r-1:send:0") == claimed[0]
        with store.batch() as batch:  # the holder may claim again: a new attempt
            assert keys(batch.claim_effects(["r-1:send:0"], ME, lease(60))) == ["r-1:send:0"]
        assert store.effect("r-1:send:0") == replace(effect_record("r-1", 0), attempts=2)

    @pytest.mark.parametrize("holder", [OTHER, remote_worker()], ids=["this host", "remote"])
    def test_what_a_live_worker_holds_nobody_else_claims(
        self, store: RunStore, holder: str
    ) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        with store.batch() as batch:
            batch.claim_effects(["r-1:send:0"], holder, lease(60))
        with store.batch() as batch:
            assert batch.claim_effects(["r-1:send:0"], ME, lease(60)) == []
        assert store.due_effects(T0, 10, ME) == []
        assert keys(store.due_effects(T0, 10, holder)) == ["r-1:send:0"]
        assert store.effect("r-1:send:0") == replace(effect_record("r-1", 0), attempts=1)

    def test_an_expired_lease_can_be_claimed(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        with store.batch() as batch:
            batch.claim_effects(["r-1:send:0"], remote_worker(), lease(-1))
        assert keys(store.due_effects(T0, 10, ME)) == ["r-1:send:0"]
        with store.batch() as batch:
            claimed = batch.claim_effects(["r-1:send:0"], ME, lease(60))
        assert [effect.attempts for effect in claimed] == [2]

    def test_the_claim_of_a_dead_process_is_void_at_once(self, store: RunStore) -> None:
        runs = [run_record("r-1"), run_record("r-2")]
        seed(store, runs, [effect_record("r-1", 0), effect_record("r-2", 0)])
        with store.batch() as batch:
            batch.claim_effects(["r-1:send:0"], dead_worker(), lease(3600))
            batch.claim_effects(["r-2:send:0"], OTHER, lease(3600))
        assert keys(store.due_effects(T0, 10, ME)) == ["r-1:send:0"]
        with store.batch() as batch:
            claimed = batch.claim_effects(["r-1:send:0", "r-2:send:0"], ME, lease(60))
        assert keys(claimed) == ["r-1:send:0"]

    def test_released_claims_are_free(self, store: RunStore) -> None:
        runs = [run_record("r-1"), run_record("r-2")]
        seed(store, runs, [effect_record("r-1", 0), effect_record("r-2", 0)])
        with store.batch() as batch:
            batch.claim_effects(["r-1:send:0"], OTHER, lease(60))
            batch.claim_effects(["r-2:send:0"], remote_worker(), lease(60))
            batch.release_claims(OTHER)
        assert keys(store.due_effects(T0, 10, ME)) == ["r-1:send:0"]

    def test_recording_a_result_ends_the_claim(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        with store.batch() as batch:
            (claimed,) = batch.claim_effects(["r-1:send:0"], OTHER, lease(60))
        retry = replace(claimed, next_attempt_at=T0 + minutes(1), error="timed out")
        with store.batch() as batch:
            assert not batch.update_effect(retry, ME)  # not ME's claim
            assert batch.update_effect(retry, OTHER)
            assert not batch.update_effect(retry, OTHER)  # the claim is over
        assert store.effect(retry.key) == retry
        assert keys(store.due_effects(T0 + minutes(1), 10, ME)) == ["r-1:send:0"]

    def test_a_worker_whose_claim_was_taken_over_cannot_record(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        slow = remote_worker()
        with store.batch() as batch:
            (first,) = batch.claim_effects(["r-1:send:0"], slow, lease(-1))
        with store.batch() as batch:
            (second,) = batch.claim_effects(["r-1:send:0"], ME, lease(60))
            assert batch.update_effect(replace(second, status="delivered"), ME)
            assert not batch.update_effect(replace(first, status="failed"), slow)
        assert store.effect("r-1:send:0") == replace(second, status="delivered")

    def test_intents_added_claimed_are_held_by_their_worker(self, store: RunStore) -> None:
        seed(store, [run_record("r-1"), run_record("r-2")])
        with store.batch() as batch:
            claimed = batch.add_claimed_effects(
                [effect_record("r-1", 0), effect_record("r-2", 0)], OTHER, lease(60)
            )
        assert claimed == [
            replace(effect_record("r-1", 0), attempts=1),
            replace(effect_record("r-2", 0), attempts=1),
        ]
        assert store.effects_of("r-1") == claimed[:1]
        assert store.due_effects(T0, 10, ME) == []
        assert keys(store.due_effects(T0, 10, OTHER)) == ["r-1:send:0", "r-2:send:0"]
        with store.batch() as batch:
            assert batch.claim_effects(keys(claimed), ME, lease(60)) == []
            assert batch.update_effect(replace(claimed[0], status="delivered"), OTHER)

    def test_intents_added_claimed_must_be_new(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")], [effect_record("r-1", 0)])
        with pytest.raises(StoreError), store.batch() as batch:
            batch.add_claimed_effects([effect_record("r-1", 1)], ME, lease(60))
            batch.add_claimed_effects([effect_record("r-1", 0)], ME, lease(60))
        assert store.effects_of("r-1") == [effect_record("r-1", 0)]

    def test_a_claim_of_a_dead_adder_is_void(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")])
        with store.batch() as batch:
            batch.add_claimed_effects([effect_record("r-1", 0)], dead_worker(), lease(3600))
        with store.batch() as batch:
            (claimed,) = batch.claim_effects(["r-1:send:0"], ME, lease(60))
        assert claimed.attempts == 2  # the dead worker's attempt counts: it may have sent it

    def test_update_effects_writes_what_the_worker_still_holds(self, store: RunStore) -> None:
        runs = [run_record(f"r-{n}") for n in range(3)]
        seed(store, runs, [effect_record(run.id, 0) for run in runs])
        slow = remote_worker()
        with store.batch() as batch:
            mine = batch.claim_effects(["r-0:send:0", "r-1:send:0"], ME, lease(60))
            (theirs,) = batch.claim_effects(["r-2:send:0"], slow, lease(60))
        results = [
            replace(mine[0], status="delivered", reply={"id": "m-0"}),
            replace(mine[1], next_attempt_at=T0 + minutes(2), error="timed out"),
            replace(theirs, status="delivered"),  # not ME's claim: left alone
        ]
        with store.batch() as batch:
            batch.update_effects(results, ME)
            batch.update_effects([], ME)
        assert store.effect("r-0:send:0") == results[0]
        assert store.effect("r-1:send:0") == results[1]
        assert store.effect("r-2:send:0") == theirs
        with store.batch() as batch:  # the claims ended with the results
            assert keys(batch.claim_effects(["r-0:send:0", "r-1:send:0"], OTHER, lease(60))) == [
                "r-1:send:0"
            ]

    def test_undelivered_runs_have_an_effect_pending_or_failed(self, store: RunStore) -> None:
        statuses = {"r-a": "pending", "r-b": "failed", "r-c": "delivered", "r-d": "skipped"}
        runs = [run_record(run) for run in (*statuses, "r-e")]
        seed(store, runs, [effect_record(run, 0, status=s) for run, s in statuses.items()])
        assert store.undelivered_runs([run.id for run in runs]) == {"r-a", "r-b"}
        assert store.undelivered_runs(["r-c", "nope"]) == set()
        assert store.undelivered_runs([]) == set()
        with store.batch() as batch:  # a batch's own intents count
            batch.add_effects([effect_record("r-e", 0)])
            assert store.undelivered_runs(["r-e", "r-e"]) == {"r-e"}

    def test_only_pending_effects_are_claimed_or_due(self, store: RunStore) -> None:
        final = ["delivered", "failed", "skipped"]
        effects = [effect_record("r-1", step, status=status) for step, status in enumerate(final)]
        seed(store, [run_record("r-1")], effects)
        with store.batch() as batch:
            assert batch.claim_effects(keys(effects), ME, lease(60)) == []
        assert store.due_effects(T0, 10, ME) == []
        assert store.effects_of("r-1") == effects

    # -- events ------------------------------------------------------------------------

    def test_events_are_kept_once_per_id_in_time_order(self, store: RunStore) -> None:
        with store.batch() as batch:
            assert batch.add_event(event_record("e-2", at=T0 + minutes(5)))
            assert batch.add_event(event_record("e-1", at=T0 + minutes(5), name="opened"))
            assert batch.add_event(event_record("e-0", at=T0, properties={}))
            assert not batch.add_event(event_record("e-2", at=T0 - minutes(60)))
            assert batch.add_event(event_record("e-9", contact="c-2"))
        assert store.events_of("c-1") == [
            event_record("e-0", at=T0, properties={}),
            event_record("e-2", at=T0 + minutes(5)),
            event_record("e-1", at=T0 + minutes(5), name="opened"),
        ]
        assert [event.id for event in store.events_of("c-2")] == ["e-9"]
        assert store.events_of("c-3") == []
        many = store.events_of_contacts(["c-3", "c-2", "c-1", "c-2"])
        assert many == {"c-1": store.events_of("c-1"), "c-2": store.events_of("c-2")}
        assert store.events_of_contacts([]) == {}

    def test_add_events_returns_the_new_ones(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_event(event_record("e-1"))
        events = [event_record(f"e-{index}", at=T0 + minutes(index)) for index in range(1200)]
        repeated = event_record("e-5", at=T0 - minutes(1))
        with store.batch() as batch:
            new = batch.add_events([*events, repeated])
            assert batch.add_events([]) == []
        assert new == [events[0], *events[2:]]
        # e-1 kept its first recording (at T0): it ties with e-0 and was recorded first.
        assert store.events_of("c-1")[:2] == [event_record("e-1"), events[0]]
        assert len(store.events_of("c-1")) == 1200

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        batches=st.lists(
            st.tuples(
                st.booleans(),  # one add_events call, or add_event per event
                st.lists(
                    st.tuples(
                        st.sampled_from("abcdefgh"),
                        st.sampled_from(["c-1", "c-2"]),
                        st.integers(0, 3),  # minutes: ties happen
                    ),
                    max_size=8,
                ),
            ),
            max_size=5,
        )
    )
    def test_events_behave_like_a_log_deduplicated_by_id(
        self, store_factory: StoreFactory, batches: list[tuple[bool, list[tuple[str, str, int]]]]
    ) -> None:
        store = store_factory(f"events-{next(_states)}")
        model: dict[str, EventRecord] = {}  # in recording order
        for together, drawn in batches:
            events = [event_record(i, contact, T0 + minutes(at)) for i, contact, at in drawn]
            expected = [
                e
                for n, e in enumerate(events)
                if e.id not in model and e.id not in {earlier.id for earlier in events[:n]}
            ]
            with store.batch() as batch:
                if together:
                    assert batch.add_events(events) == expected
                else:
                    assert [e for e in events if batch.add_event(e)] == expected
            model.update((event.id, event) for event in expected)
        for contact in ("c-1", "c-2"):
            mine = [event for event in model.values() if event.contact == contact]
            assert store.events_of(contact) == sorted(mine, key=lambda event: event.at)
