"""`--set PATH=VALUE` overrides, parsed by the command line: a bad one is a usage error."""

from __future__ import annotations

from typing import Any

import pytest

from flowctl.cli._options import parse_override
from flowctl.errors import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('plan="pro"', ("plan", "pro")),
        ("plan=pro", ("plan", "pro")),
        ("age=42", ("age", 42)),
        ("total=120.5", ("total", 120.5)),
        ("vip=true", ("vip", True)),
        ("gone=null", ("gone", None)),
        ('tags=["a"]', ("tags", ["a"])),
        ('last_order={"total": 1}', ("last_order", {"total": 1})),
        ("note=a=b", ("note", "a=b")),
        ("empty=", ("empty", "")),
        ("x=NaN", ("x", "NaN")),
        ("last_order.category=shoes", ("last_order.category", "shoes")),
        (" plan =pro", ("plan", "pro")),
    ],
)
def test_parse_override(text: str, expected: tuple[str, Any]) -> None:
    assert parse_override(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("plan", "PATH=VALUE"), ("=pro", "needs a path"), ("a..b=1", "bad segment")],
)
def test_parse_override_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_override(text)
