"""Zone names: IANA zones resolve; host-specific files that zoneinfo would also open do not."""

from __future__ import annotations

import pytest

from flowctl.language.timezones import zone
from tests.conftest import VALIDATOR


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_iana_zones_resolve(name: str) -> None:
    found = zone(name)
    assert found is not None and str(found) == name


@pytest.mark.parametrize(
    "name",
    ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC", "Berlin",
     "../etc/passwd", "/etc/localtime", ""],
)  # fmt: skip
def test_host_files_and_unknown_names_are_not_zones(name: str) -> None:
    assert zone(name) is None


def test_a_flow_naming_the_hosts_localtime_is_invalid() -> None:
    text = (
        "version: 1\nname: x\nsettings: {timezone: localtime}\n"
        "start: a\nnodes:\n  a: {type: goal, config: {name: g}}\n"
    )
    rules = [d.rule for d in VALIDATOR.validate_source(text, "t.yaml").diagnostics]
    assert rules == ["invalid-timezone"]
