"""`evolve` copies a store record with changes exactly as `dataclasses.replace` does."""

from __future__ import annotations

import dataclasses

import pytest

from flowctl.store.base import ChannelState, EffectRecord, evolve
from tests.store.builders import T0, effect_record, minutes, run_record


@pytest.mark.parametrize(
    ("record", "changes"),
    [
        (run_record("r-1"), {"version": 3}),
        (run_record("r-1"), {"status": "waiting", "wake_at": T0 + minutes(5), "error": None}),
        (effect_record("r-1", 1), {"attempts": 2}),
        (effect_record("r-1", 1), {}),
        (ChannelState("email"), {"tokens": 1.5, "tokens_at": T0}),
    ],
)
def test_it_makes_what_replace_makes(record: object, changes: dict[str, object]) -> None:
    copy = evolve(record, **changes)
    assert copy == dataclasses.replace(record, **changes)  # type: ignore[type-var]
    assert type(copy) is type(record)
    assert copy is not record


def test_an_unknown_field_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="EffectRecord has no field 'attempt'"):
        evolve(effect_record("r-1", 1), attempt=2)
    assert isinstance(evolve(effect_record("r-1", 1)), EffectRecord)


@dataclasses.dataclass(frozen=True)
class _One:
    value: int


@dataclasses.dataclass(frozen=True)
class _Keywords:
    first: int
    rest: int = dataclasses.field(default=0, kw_only=True)


@pytest.mark.parametrize("record", [_One(1), _Keywords(1, rest=2)])
def test_a_class_not_built_by_position_goes_through_replace(record: object) -> None:
    changes = {"value": 5} if isinstance(record, _One) else {"rest": 5}
    assert evolve(record, **changes) == dataclasses.replace(record, **changes)  # type: ignore[type-var]
