"""How the SQLite store keeps values, and what its errors say."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowctl.store.sqlite_db import decode_time, encode_json, encode_time, store_error

PATH = Path("state.db")
aware = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=11))]
    ),
)


def test_times_are_utc_text_with_microseconds() -> None:
    berlin = timezone(timedelta(hours=1))
    assert (
        encode_time(datetime(2026, 11, 20, 11, 0, tzinfo=berlin)) == "2026-11-20T10:00:00.000000Z"
    )
    assert (
        encode_time(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-01-02T03:04:05.000006Z"
    )
    back = decode_time("2026-01-02T03:04:05.000006Z")
    assert back == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC) and back.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        encode_time(datetime(2026, 1, 1))


@given(st.lists(aware, min_size=2, max_size=5))
def test_text_order_is_time_order_and_times_round_trip(times: list[datetime]) -> None:
    texts = [encode_time(at) for at in times]
    assert sorted(texts) == [encode_time(at) for at in sorted(times)]
    assert [decode_time(text) for text in texts] == times


def test_json_is_compact_and_keeps_unicode() -> None:
    assert encode_json({"a": [1, "ü"], "b": None}) == '{"a":[1,"ü"],"b":null}'


def error(kind: type[sqlite3.Error], message: str, code: int) -> sqlite3.Error:
    exc = kind(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (
            error(sqlite3.OperationalError, "database is locked", 5),
            "state.db is locked by another process (waited 2.5 s)",
        ),
        (
            error(sqlite3.DatabaseError, "file is not a database", 26),
            "state.db is not a flowctl state file",
        ),
        (
            error(sqlite3.DatabaseError, "database disk image is malformed", 11),
            "state.db is corrupt",
        ),
        (
            error(sqlite3.OperationalError, "attempt to write a readonly database", 8),
            "cannot write state.db: read-only",
        ),
        (
            error(sqlite3.OperationalError, "database or disk is full", 13),
            "cannot write state.db: disk full",
        ),
        (
            error(sqlite3.IntegrityError, "UNIQUE constraint failed: runs.id", 2067),
            "state file state.db: UNIQUE",
        ),
        (
            sqlite3.ProgrammingError("Cannot operate on a closed database."),
            "state file state.db: Cannot",
        ),
    ],
)
def test_errors_name_the_file_and_what_went_wrong(exc: sqlite3.Error, words: str) -> None:
    assert words in str(store_error(exc, PATH, 2.5))
