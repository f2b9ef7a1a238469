"""A flow test file (`*.flowtest.yaml`, DESIGN §9) read into cases; every mistake is a finding.

Reading never raises: a key the format does not have, a value of the wrong shape, a time that
does not parse or a contact that is no contact each yield a `test-invalid` finding at its place
in the file, with a "did you mean" hint where one helps, and the case it spoils is not run.
What a test file says about its flow (node ids, exits) is checked later, in `references`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.errors import InputError
from flowctl.language.contacts import Contact, ContactError, loads, parse_contact, set_attribute
from flowctl.loading.sources import STDIN, read_input
from flowctl.nodes.base import STATUSES
from flowctl.words import a_type, did_you_mean, show

RULE = "test-invalid"
FILE_KEYS = ("flow", "now", "cases")
CASE_KEYS = ("contact", "contact_file", "set", "now", "seed", "expect")
EXPECT_KEYS = ("path", "visits", "not_visits", "exits", "status", "ended_at", "at", "effects")
NODE_LISTS = ("path", "visits", "not_visits")
MAX_CONTACT_BYTES = 1_000_000  # as for `flowctl run --contact`
_EXAMPLE_TIME = "2026-11-24T08:00:00Z"


@dataclass(frozen=True, slots=True)
class Expect:
    """What a case expects of its run; None where it expects nothing."""

    path: tuple[str, ...] | None = None
    visits: tuple[str, ...] | None = None
    not_visits: tuple[str, ...] | None = None
    exits: Mapping[str, str] | None = None
    status: str | None = None
    ended_at: datetime | None = None
    at: Mapping[str, datetime] | None = None
    effects: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One case, ready to run: its contact (overrides applied), clock, seed and expectations."""

    name: str
    contact: Contact
    now: datetime
    seed: int | None
    expect: Expect

    @property
    def where(self) -> Path:
        """The case's path in the test file."""
        return ("cases", self.name)


@dataclass(frozen=True)
class Spec:
    """A test file as read: its flow reference (as written), its runnable cases, its problems."""

    flow: str | None
    cases: tuple[Case, ...] = ()
    findings: tuple[Finding, ...] = ()
    # Cases with a problem are kept out of `cases`; their names still count as cases.
    spoilt: tuple[str, ...] = field(default=())


def jsonable(value: Any) -> Any:
    """A loaded YAML value as JSON data: YAML timestamps become ISO text, as in a trace.

    `ValueError` for what JSON cannot hold (`.nan`, `.inf`).
    """

    def convert(item: Any) -> Any:
        if isinstance(item, datetime):
            return iso_text(as_utc(item))
        if isinstance(item, date):
            return item.isoformat()
        raise ValueError(f"{a_type(item)} is not JSON")

    return json.loads(json.dumps(value, default=convert, allow_nan=False))


def as_utc(at: datetime) -> datetime:
    """An aware time in UTC; a naive one is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def iso_text(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (text, or a YAML timestamp) as an aware UTC time; None if it is none."""
    if isinstance(value, datetime):
        return as_utc(value)
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        return None


class _Reader:
    """Reads one test file's data, collecting findings instead of raising."""

    def __init__(self, base: PurePath) -> None:
        self.base = base  # the directory `flow` and `contact_file` are relative to
        self.findings: list[Finding] = []

    def problem(self, message: str, path: Path, hint: str | None = None, key: bool = False) -> None:
        self.findings.append(Finding(RULE, message, path, hint, at_key=key))

    def mapping(self, value: Any, path: Path, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.problem(f"{what} must be a mapping, not {a_type(value)}", path)
        return None

    def unknown_keys(self, data: Mapping[str, Any], known: tuple[str, ...], path: Path) -> None:
        for key in data:
            if key not in known:
                listed = ", ".join(known)
                message = f"unknown key '{key}'; {_where(path)} takes {listed}"
                self.problem(message, (*path, key), did_you_mean(key, known), key=True)

    def time(self, value: Any, path: Path, what: str) -> datetime | None:
        at = parse_time(value)
        if at is None:
            message = f"{what} must be an ISO 8601 time such as {_EXAMPLE_TIME}, not {show(value)}"
            hint = (
                "a date alone is not a time; add the time of day"
                if isinstance(value, date)
                else None
            )
            self.problem(message, path, hint)
        return at

    def names(self, value: Any, path: Path, what: str) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.problem(f"{what} must be a list of node ids, not {a_type(value)}", path)
            return None
        bad = [i for i, item in enumerate(value) if not isinstance(item, str) or not item]
        for index in bad:
            self.problem(
                f"{what}[{index}] must be a node id, not {show(value[index])}", (*path, index)
            )
        return None if bad else tuple(value)

    def text_map(self, value: Any, path: Path, what: str) -> Mapping[str, str] | None:
        data = self.mapping(value, path, what)
        if data is None:
            return None
        bad = [key for key, item in data.items() if not isinstance(item, str) or not item]
        for key in bad:
            self.problem(f"{what}.{key} must be an exit name, not {show(data[key])}", (*path, key))
        return None if bad else dict(data)

    def read(self, data: Any) -> Spec:
        if data is None:
            self.problem("the file is empty; a flow test needs 'flow' and 'cases'", ())
            return self.spec(None)
        top = self.mapping(data, (), "a flow test file")
        if top is None:
            return self.spec(None)
        self.unknown_keys(top, FILE_KEYS, ())
        flow = top.get("flow")
        if flow is None:
            self.problem("'flow' is missing: the flow file these cases test", (), key=False)
        elif not isinstance(flow, str) or not flow or flow == STDIN:
            self.problem(f"'flow' must be the path of a flow file, not {show(flow)}", ("flow",))
            flow = None
        now = self.time(top["now"], ("now",), "'now'") if "now" in top else None
        cases = top.get("cases")
        if cases is None:
            self.problem("'cases' is missing: a mapping of case name -> case", ())
            return self.spec(flow)
        cases = self.mapping(cases, ("cases",), "'cases'")
        if cases is None:
            return self.spec(flow)
        if not cases:
            self.problem("'cases' is empty; add at least one case", ("cases",))
        read = [(name, self.case(name, case, now, "now" in top)) for name, case in cases.items()]
        runnable = tuple(case for _, case in read if case is not None)
        spoilt = tuple(name for name, case in read if case is None)
        return self.spec(flow, runnable, spoilt)

    def spec(
        self, flow: str | None, cases: tuple[Case, ...] = (), spoilt: tuple[str, ...] = ()
    ) -> Spec:
        return Spec(flow, cases, tuple(self.findings), spoilt)

    def case(self, name: str, value: Any, file_now: datetime | None, has_now: bool) -> Case | None:
        before = len(self.findings)
        where: Path = ("cases", name)
        data = self.mapping(value, where, f"case '{name}'")
        if data is None:
            return None
        self.unknown_keys(data, CASE_KEYS, where)
        contact = self.contact(data, where, name)
        now = file_now
        if "now" in data:
            now = self.time(data["now"], (*where, "now"), "'now'")
        elif not has_now:
            hint = "add 'now:' at the top of the file for every case, or to this case"
            self.problem(f"case '{name}' has no clock: nothing sets 'now'", where, hint, key=True)
        seed = data.get("seed")
        if seed is not None and (type(seed) is not int or not 0 <= seed <= 10**18):
            self.problem(
                f"'seed' must be an integer from 0 to 10^18, not {show(seed)}", (*where, "seed")
            )
        expect = self.expect(data.get("expect"), (*where, "expect"), name, "expect" in data)
        if len(self.findings) > before or contact is None or now is None or expect is None:
            return None
        return Case(name, contact, now, seed, expect)

    def contact(self, data: Mapping[str, Any], where: Path, name: str) -> Contact | None:
        given = [key for key in ("contact", "contact_file") if key in data]
        if len(given) != 1:
            message = f"case '{name}' needs exactly one of 'contact' or 'contact_file'"
            self.problem(message, (*where, given[1]) if given else where, key=True)
            return None
        key = given[0]
        path = (*where, key)
        contact: Contact | None
        try:
            if key == "contact":
                contact = parse_contact(jsonable(data[key]))
            else:
                contact = self.contact_file(data[key], path)
        except (ContactError, ValueError, RecursionError) as exc:
            self.problem(f"not a contact: {exc}", path)
            return None
        overrides = data.get("set")
        if contact is None or overrides is None:
            return contact
        return self.overrides(contact, overrides, (*where, "set"))

    def contact_file(self, value: Any, path: Path) -> Contact | None:
        if not isinstance(value, str) or not value or value == STDIN:
            self.problem(f"'contact_file' must be the path of a file, not {show(value)}", path)
            return None
        location = self.base / value
        try:
            content = read_input(str(location), MAX_CONTACT_BYTES)
        except InputError as exc:  # a missing or unreadable file
            self.problem(f"cannot read the contact file: {exc}", path)
            return None
        if len(content) > MAX_CONTACT_BYTES:
            self.problem(f"the contact file is over {MAX_CONTACT_BYTES:,} bytes", path)
            return None
        return parse_contact(loads(content))

    def overrides(self, contact: Contact, value: Any, path: Path) -> Contact | None:
        data = self.mapping(value, path, "'set'")
        if data is None:
            return None
        attributes = contact.attributes
        for attribute, item in data.items():
            try:
                attributes = set_attribute(attributes, attribute, jsonable(item))
            except (ContactError, ValueError) as exc:
                self.problem(f"set.{attribute}: {exc}", (*path, attribute), key=True)
                return None
        return Contact(contact.id, attributes, contact.events)

    def expect(self, value: Any, path: Path, name: str, given: bool) -> Expect | None:
        if not given:
            hint = "add 'expect:' with path, visits, exits, status, effects, ..."
            self.problem(f"case '{name}' expects nothing", path[:-1], hint, key=True)
            return None
        data = self.mapping(value, path, "'expect'")
        if data is None:
            return None
        if not data:
            self.problem(f"case '{name}' expects nothing: 'expect' is empty", path)
            return None
        self.unknown_keys(data, EXPECT_KEYS, path)
        found: dict[str, Any] = {}
        for key in NODE_LISTS:
            if key in data:
                found[key] = self.names(data[key], (*path, key), key)
        if "exits" in data:
            found["exits"] = self.text_map(data["exits"], (*path, "exits"), "exits")
        if "status" in data:
            found["status"] = self.status(data["status"], (*path, "status"))
        if "ended_at" in data:
            found["ended_at"] = self.time(data["ended_at"], (*path, "ended_at"), "'ended_at'")
        if "at" in data:
            found["at"] = self.times(data["at"], (*path, "at"))
        if "effects" in data:
            found["effects"] = self.effects(data["effects"], (*path, "effects"))
        if any(item is None for item in found.values()):
            return None
        return Expect(**found)

    def status(self, value: Any, path: Path) -> str | None:
        if isinstance(value, str) and value in STATUSES:
            return value
        listed = ", ".join(STATUSES)
        self.problem(
            f"'status' must be one of {listed}, not {show(value)}",
            path,
            did_you_mean(value, STATUSES),
        )
        return None

    def times(self, value: Any, path: Path) -> Mapping[str, datetime] | None:
        data = self.mapping(value, path, "'at'")
        if data is None:
            return None
        times = {node: self.time(at, (*path, node), f"at.{node}") for node, at in data.items()}
        if any(at is None for at in times.values()):
            return None
        return {node: at for node, at in times.items() if at is not None}

    def effects(self, value: Any, path: Path) -> tuple[Any, ...] | None:
        if not isinstance(value, list):
            self.problem(f"'effects' must be a list of effect objects, not {a_type(value)}", path)
            return None
        items: list[Any] = []
        for index, item in enumerate(value):
            where = (*path, index)
            if not isinstance(item, Mapping) or not item:
                message = f"effects[{index}] must be an effect object such as "
                self.problem(message + "{send: {template_id: x}}, not " + a_type(item), where)
                continue
            try:
                items.append(jsonable(item))
            except ValueError as exc:
                self.problem(f"effects[{index}] is not JSON data: {exc}", where)
        return tuple(items) if len(items) == len(value) else None


def _where(path: Path) -> str:
    if not path:
        return "a flow test file"
    if len(path) == 2:
        return "a case"
    return f"'{path[-1]}'"


def read_spec(data: Any, base: PurePath) -> Spec:
    """The cases of a loaded test file; `base` is its directory (for `contact_file`)."""
    return _Reader(base).read(data)


def iter_nodes(case: Case) -> Iterator[tuple[Path, str]]:
    """Every node id a case names, with its place in the test file (for `references`)."""
    expect = case.expect
    base = (*case.where, "expect")
    for key in NODE_LISTS:
        for index, node in enumerate(getattr(expect, key) or ()):
            yield (*base, key, index), node
    for key in ("exits", "at"):
        for node in getattr(expect, key) or {}:
            yield (*base, key, node), node
