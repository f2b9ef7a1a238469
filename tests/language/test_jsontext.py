"""compact_json is json.dumps with compact separators and Unicode kept, value for value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowctl.language.jsontext import compact_json

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too, written as json.dumps writes them
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_it_writes_what_json_dumps_writes(value: Any) -> None:
    assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_keys_keep_their_order_and_text_its_characters() -> None:
    assert compact_json({"z": "ä\u2028", "a": [1, 2.5]}) == '{"z":"ä\u2028","a":[1,2.5]}'


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, tzinfo=UTC), {1, 2}, [b"x"]])
def test_what_json_cannot_hold_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="is not JSON serializable"):
        compact_json(value)
    assert compact_json({"after": "a failure"}) == '{"after":"a failure"}'  # still usable
