"""The run store contract: what every implementation of `flowctl.store.base.RunStore` does.

A test module subclasses `StoreContract` as `Test...` and provides the fixture `store_factory`
(`tests.store.builders.StoreFactory`): `store_factory()` opens the test's main state,
`store_factory(name)` another one, each call a new connection. The SQLite store runs it in
test_sqlite.py; a PostgreSQL store will run the very same class.
"""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowctl.engine.state import RUN_STATUSES
from flowctl.store.base import Enrolment, RunStore, StepRow, StoreError
from tests.store.builders import (
    BERLIN,
    DIGEST,
    FLOW,
    T0,
    StoreFactory,
    effect_record,
    event_record,
    flow_record,
    minutes,
    run_record,
    seed,
)
from tests.store.contract_channels import ChannelContract
from tests.store.contract_delivery import DeliveryContract

_states = itertools.count()
# Each example of a property gets a state of its own, from the test's function-scoped factory.
PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Aborted(Exception):
    """Raised inside a batch to see it rolled back."""


class StoreContract(DeliveryContract, ChannelContract):
    """Records round-trip, queries filter and order, updates are optimistic, batches atomic."""

    @pytest.fixture
    def store(self, store_factory: StoreFactory) -> RunStore:
        return store_factory()

    # -- records round-trip -------------------------------------------------------------

    def test_a_flow_round_trips_and_is_stored_once_per_digest(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_flow(flow_record())
            batch.add_flow(replace(flow_record(), name="renamed", source="other"))
        assert store.flow(DIGEST) == flow_record()
        assert store.flow("no-such-digest") is None

    def test_a_run_round_trips_with_every_field(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_flow(flow_record())
            batch.put_enrolment(Enrolment("enrol-1", DIGEST, "contacts-digest"))
        run = run_record(
            "r-1",
            status="failed",
            node="send",
            step=7,
            wake_at=datetime(2026, 11, 23, 11, 0, 0, 1, tzinfo=BERLIN),
            awaiting="purchased",
            created_at=datetime(2026, 11, 20, 11, 0, 0, 999999, tzinfo=BERLIN),
            updated_at=T0 + minutes(5),
            enrolment="enrol-1",
            attempts=2,
            error="send: the handler refused it",
        )
        seed(store, [run])
        stored = store.run("r-1")
        assert stored == run
        assert stored is not None and stored.state == run.state
        for at in (stored.wake_at, stored.created_at, stored.updated_at):
            assert at is not None and at.utcoffset() is not None and not at.utcoffset()
        assert stored.created_at.microsecond == 999999
        assert store.run("r-2") is None

    def test_naive_datetimes_are_refused(self, store: RunStore) -> None:
        with pytest.raises(ValueError, match="naive"), store.batch() as batch:
            batch.add_flow(flow_record())
            batch.add_runs([run_record("r-1", created_at=datetime(2026, 1, 1))])
        assert store.flow(DIGEST) is None

    def test_steps_come_back_in_step_order(self, store: RunStore) -> None:
        seed(store, [run_record("r-1"), run_record("r-2")])
        steps = [
            StepRow("r-1", 2, "wait_3d", "delay", T0 + minutes(1), None),
            StepRow("r-1", 0, "thank_you", "send_message", T0, None, "r-1:thank_you:0"),
            StepRow("r-1", 1, "by_category", "branch", T0, "shoes", None, ("missing 'x'", "b")),
            StepRow("r-2", 0, "thank_you", "send_message", T0, None, "r-2:thank_you:0"),
        ]
        with store.batch() as batch:
            batch.add_steps(steps)
        assert store.steps("r-1") == sorted(steps[:3], key=lambda step: step.number)
        assert store.steps("r-1")[1].warnings == ("missing 'x'", "b")
        assert store.steps("r-3") == []

    def test_a_step_recorded_twice_is_a_store_error_and_nothing_is_written(
        self, store: RunStore
    ) -> None:
        seed(store, [run_record("r-1")])
        step = StepRow("r-1", 0, "thank_you", "send_message", T0, None)
        with store.batch() as batch:
            batch.add_steps([step])
        with pytest.raises(StoreError), store.batch() as batch:
            batch.add_steps([replace(step, number=1)])
            batch.add_steps([step])
        assert store.steps("r-1") == [step]

    def test_a_run_id_added_twice_is_a_store_error(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")])
        with pytest.raises(StoreError), store.batch() as batch:
            batch.add_runs([run_record("r-2"), run_record("r-1", contact="someone else")])
        assert store.run("r-2") is None
        assert store.run("r-1") == run_record("r-1")

    def test_a_run_of_an_unknown_flow_is_a_store_error(self, store: RunStore) -> None:
        with pytest.raises(StoreError), store.batch() as batch:
            batch.add_runs([run_record("r-1", digest="never-stored")])
        assert store.run("r-1") is None
        seed(store, [run_record("r-1")])  # the store is still usable
        assert store.run("r-1") == run_record("r-1")

    def test_a_run_may_come_before_its_flow_in_one_batch(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_runs([run_record("r-1")])
            batch.add_flow(flow_record())
        assert store.run("r-1") == run_record("r-1")

    def test_an_enrolment_is_inserted_then_updated(self, store: RunStore) -> None:
        seed(store)
        first = Enrolment("enrol-1", DIGEST, "audience-digest")
        with store.batch() as batch:
            batch.put_enrolment(first)
        assert store.enrolment("enrol-1") == first
        moved = replace(first, position=5000, done=True)
        with store.batch() as batch:
            batch.put_enrolment(moved)
        assert store.enrolment("enrol-1") == moved
        assert store.enrolment("enrol-2") is None

    # -- queries -----------------------------------------------------------------------

    def test_runs_filter_on_every_given_column_oldest_first(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_flow(flow_record())
            batch.add_flow(flow_record("ab" * 32, "welcome"))
            batch.put_enrolment(Enrolment("enrol-1", DIGEST, "audience"))
        runs = [
            run_record("r-b", created_at=T0 + minutes(2), enrolment="enrol-1"),
            run_record("r-a", created_at=T0 + minutes(2), contact="c-1", enrolment="enrol-1"),
            run_record("r-c", created_at=T0, status="completed", wake_at=None, contact="c-1"),
            run_record("r-d", created_at=T0 + minutes(1), flow="welcome", digest="ab" * 32),
        ]
        with store.batch() as batch:
            batch.add_runs(runs)

        def ids(**filters: object) -> list[str]:
            return [run.id for run in store.runs(**filters)]  # type: ignore[arg-type]

        assert ids() == ["r-c", "r-d", "r-a", "r-b"]
        assert ids(flow=FLOW) == ["r-c", "r-a", "r-b"]
        assert ids(status="waiting") == ["r-d", "r-a", "r-b"]
        assert ids(contact="c-1") == ["r-c", "r-a"]
        assert ids(enrolment="enrol-1") == ["r-a", "r-b"]
        assert ids(flow=FLOW, status="waiting", contact="c-1") == ["r-a"]
        assert ids(flow="welcome", status="completed") == []
        assert ids(limit=2) == ["r-c", "r-d"]
        assert ids(flow=FLOW, limit=0) == []
        assert next(store.runs(contact="c-1")) == runs[2]

    def test_runs_pages_through_many_runs_in_order(self, store: RunStore) -> None:
        runs = [
            run_record(f"r-{index:04}", created_at=T0 + minutes(-index)) for index in range(1234)
        ]
        seed(store, runs)
        assert list(store.runs()) == runs[::-1]
        assert [run.id for run in store.runs(limit=501)] == [run.id for run in runs[:-502:-1]]

    def test_runs_can_be_iterated_while_batches_write(self, store: RunStore) -> None:
        seed(store, [run_record(f"r-{index:04}") for index in range(1100)])
        seen = 0
        for run in store.runs(status="waiting"):
            with store.batch() as batch:
                assert batch.update_run(replace(run, status="completed", wake_at=None))
            seen += 1
        assert seen == 1100
        assert store.counts()["completed"] == 1100

    def test_live_runs_are_the_active_and_waiting_ones(self, store: RunStore) -> None:
        with store.batch() as batch:
            batch.add_flow(flow_record("ab" * 32, "welcome"))
        seed(
            store,
            [
                run_record("r-done", contact="c-1", status="completed", wake_at=None),
                run_record("r-2", contact="c-1", created_at=T0 + minutes(1)),
                run_record("r-1", contact="c-1", status="active", wake_at=None, created_at=T0),
                run_record("r-other", contact="c-1", flow="welcome", digest="ab" * 32),
                run_record("r-3", contact="c-2", status="cancelled", wake_at=None),
            ],
        )
        live = store.live_run_of(FLOW, "c-1")
        assert live is not None and live.id == "r-1"
        assert store.live_run_of(FLOW, "c-2") is None
        assert store.live_run_of("welcome", "c-1") is not None
        assert store.live_run_of("no-such-flow", "c-1") is None
        assert [run.id for run in store.live_runs_of_contact("c-1")] == ["r-1", "r-other", "r-2"]
        assert store.live_runs_of_contact("c-2") == []

    def test_live_contacts_sees_the_batch_own_runs(self, store: RunStore) -> None:
        contacts = [f"c-{index}" for index in range(1200)]
        seed(
            store,
            [
                run_record("r-1", contact="c-7"),
                run_record("r-2", contact="c-1100", status="active", wake_at=None),
                run_record("r-3", contact="c-8", status="converted", wake_at=None),
            ],
        )
        with store.batch() as batch:
            assert batch.live_contacts(FLOW, contacts) == {"c-7", "c-1100"}
            assert batch.live_contacts("welcome", contacts) == set()
            batch.add_runs([run_record("r-4", contact="c-9")])
            assert batch.live_contacts(FLOW, iter(["c-9", "c-9", "c-10"])) == {"c-9"}

    def test_counts_give_every_status_with_zeros(self, store: RunStore) -> None:
        assert store.counts() == dict.fromkeys(RUN_STATUSES, 0)
        with store.batch() as batch:
            batch.add_flow(flow_record("ab" * 32, "welcome"))
        seed(
            store,
            [
                run_record("r-1"),
                run_record("r-2"),
                run_record("r-3", status="failed", wake_at=None),
                run_record("r-4", flow="welcome", digest="ab" * 32),
            ],
        )
        assert store.counts() == dict.fromkeys(RUN_STATUSES, 0) | {"waiting": 3, "failed": 1}
        assert store.counts(FLOW) == dict.fromkeys(RUN_STATUSES, 0) | {"waiting": 2, "failed": 1}
        assert store.counts("welcome")["waiting"] == 1
        assert list(store.counts()) == list(RUN_STATUSES)

    def test_due_runs_are_active_ones_then_waiting_ones_by_wake_time(self, store: RunStore) -> None:
        now = T0 + minutes(60)
        seed(
            store,
            [
                run_record("w-late", wake_at=now + minutes(1)),
                run_record("w-now", wake_at=now),
                run_record("w-b", wake_at=now - minutes(5)),
                run_record("w-a", wake_at=now - minutes(5)),
                run_record("w-first", wake_at=datetime(2026, 11, 20, 11, 0, tzinfo=BERLIN)),
                run_record("a-2", status="active", wake_at=None),
                run_record("a-1", status="active", wake_at=now + minutes(600)),
                run_record("done", status="completed", wake_at=now - minutes(60)),
            ],
        )
        due = [run.id for run in store.due_runs(now, 100)]
        assert due == ["a-2", "a-1", "w-first", "w-a", "w-b", "w-now"]
        assert [run.id for run in store.due_runs(now, 1)] == ["a-2"]
        assert [run.id for run in store.due_runs(now, 3)] == ["a-2", "a-1", "w-first"]
        assert [run.id for run in store.due_runs(T0 - minutes(1), 10)] == ["a-2", "a-1"]
        on_the_hour = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # w-first's time, in UTC
        assert [run.id for run in store.due_runs(on_the_hour, 10)] == ["a-2", "a-1", "w-first"]
        assert store.due_runs(now, 0) == []

    def test_next_wake_is_the_earliest_wait_or_retry(self, store: RunStore) -> None:
        assert store.next_wake() is None
        seed(
            store,
            [
                run_record("r-1", wake_at=T0 + minutes(30)),
                run_record("r-2", status="active", wake_at=None),
                run_record("r-3", status="completed", wake_at=T0),
            ],
        )
        assert store.next_wake() == T0 + minutes(30)
        with store.batch() as batch:
            batch.add_effects(
                [
                    effect_record("r-1", 0, next_attempt_at=T0 + minutes(10)),
                    effect_record("r-1", 1, next_attempt_at=T0 + minutes(1), status="delivered"),
                    effect_record("r-2", 0),
                ]
            )
        assert store.next_wake() == T0 + minutes(10)

    # -- updates and transactions --------------------------------------------------------

    def test_update_run_bumps_the_version_and_refuses_a_stale_one(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")])
        moved = replace(run_record("r-1"), status="active", wake_at=None, step=3, state={"step": 3})
        with store.batch() as batch:
            updated = batch.update_run(moved)
            assert updated == replace(moved, version=2)
            assert batch.update_run(moved) is None  # version 1 is gone
            assert batch.update_run(run_record("r-9")) is None
        assert store.run("r-1") == replace(moved, version=2)

    def test_update_runs_writes_those_still_as_read(self, store: RunStore) -> None:
        seed(store, [run_record(f"r-{n}") for n in range(4)])
        with store.batch() as batch:
            batch.update_run(run_record("r-2"))  # another process moved r-2 on first
        moved = [replace(run_record(f"r-{n}"), step=7, state={"n": n}) for n in range(4)]
        with store.batch() as batch:
            assert batch.update_runs([]) == []
            assert batch.update_runs([moved[0], moved[1]]) == [
                replace(moved[0], version=2),
                replace(moved[1], version=2),
            ]
            result = batch.update_runs([moved[2], moved[3], moved[3], run_record("r-9")])
            assert result == [None, replace(moved[3], version=2), None, None]
        assert [run.version for run in store.runs()] == [2, 2, 2, 2]
        assert [run.step for run in store.runs()] == [7, 7, run_record("r-2").step, 7]

    def test_an_updated_run_is_found_by_its_new_status_only(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")])
        with store.batch() as batch:
            batch.update_run(replace(run_record("r-1"), status="completed", wake_at=None))
        assert [run.id for run in store.runs(contact="contact-of-r-1")] == ["r-1"]
        assert [run.id for run in store.runs(flow=FLOW, status="completed")] == ["r-1"]
        assert list(store.runs(status="waiting")) == []
        assert store.live_run_of(FLOW, "contact-of-r-1") is None
        assert store.due_runs(T0 + minutes(600), 10) == []
        assert store.next_wake() is None

    def test_a_batch_that_raises_writes_nothing(self, store: RunStore) -> None:
        seed(store, [run_record("r-1")])
        with pytest.raises(Aborted), store.batch() as batch:
            batch.add_flow(flow_record("ab" * 32, "welcome"))
            batch.add_runs([run_record("r-2")])
            batch.update_run(replace(run_record("r-1"), status="completed"))
            batch.add_steps([StepRow("r-1", 0, "n", "delay", T0, None)])
            batch.add_effects([effect_record("r-1", 0)])
            batch.add_event(event_record("e-1"))
            batch.put_enrolment(Enrolment("enrol-1", DIGEST, "x"))
            raise Aborted
        assert store.flow("ab" * 32) is None
        assert store.run("r-2") is None
        assert store.run("r-1") == run_record("r-1")
        assert store.steps("r-1") == []
        assert store.effects_of("r-1") == []
        assert store.events_of("c-1") == []
        assert store.enrolment("enrol-1") is None
        with store.batch() as batch:  # the store is still usable
            assert batch.add_event(event_record("e-1"))

    def test_another_connection_sees_a_batch_only_once_committed(
        self, store: RunStore, store_factory: StoreFactory
    ) -> None:
        other = store_factory()
        seed(store)
        with store.batch() as batch:
            batch.add_runs([run_record("r-1")])
            assert store.run("r-1") == run_record("r-1")  # its own writes
            assert other.run("r-1") is None
        assert other.run("r-1") == run_record("r-1")

    def test_a_batch_is_one_at_a_time_and_ends_with_its_block(self, store: RunStore) -> None:
        with store.batch() as batch:
            with pytest.raises(RuntimeError), store.batch():
                pass
            batch.add_flow(flow_record())
        with pytest.raises(RuntimeError):
            batch.add_runs([run_record("r-1")])
        assert store.run("r-1") is None

    def test_states_are_separate(self, store: RunStore, store_factory: StoreFactory) -> None:
        seed(store, [run_record("r-1")])
        assert store_factory("elsewhere").run("r-1") is None

    @PROPERTY
    @given(
        batches=st.lists(
            st.tuples(
                st.lists(
                    st.tuples(
                        st.integers(0, 3),  # which run
                        st.booleans(),  # with the version it has (else a stale one)
                        st.sampled_from(RUN_STATUSES),
                        st.integers(0, 10**6),
                    ),
                    max_size=6,
                ),
                st.booleans(),  # the batch raises at its end
            ),
            max_size=8,
        )
    )
    def test_updates_behave_like_a_dict_with_versions(
        self,
        store_factory: StoreFactory,
        batches: list[tuple[list[tuple[int, bool, str, int]], bool]],
    ) -> None:
        store = store_factory(f"updates-{next(_states)}")
        model = {run.id: run for run in (run_record(f"r-{index}") for index in range(4))}
        seed(store, list(model.values()))
        for updates, aborts in batches:
            draft = dict(model)
            with pytest.raises(Aborted) if aborts else nullcontext(), store.batch() as batch:
                for index, fresh, status, step in updates:
                    current = draft[f"r-{index}"]
                    version = current.version if fresh else current.version - 1
                    change = replace(current, status=status, step=step, state={"s": step})
                    result = batch.update_run(replace(change, version=version))
                    if fresh:
                        assert result == replace(change, version=current.version + 1)
                        draft[current.id] = result
                    else:
                        assert result is None
                if aborts:
                    raise Aborted
            if not aborts:
                model = draft
        assert {run.id: run for run in store.runs()} == model
        expected = dict.fromkeys(RUN_STATUSES, 0)
        for run in model.values():
            expected[run.status] += 1
        assert store.counts() == expected
