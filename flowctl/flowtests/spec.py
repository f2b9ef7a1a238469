"""A flow test file (`*.flowtest.yaml`, DESIGN §9) read into cases; every mistake is a finding.

Reading never raises: a key the format does not have, a value of the wrong shape, a time that
does not parse or a contact that is no contact each yield a `test-invalid` finding at its place
in the file, with a "did you mean" hint where one helps, and the case it spoils is not run.
What a test file says about its flow (node ids, exits) is checked later, in `references`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.errors import InputError
from flowctl.flowtests.values import RULE as RULE
from flowctl.flowtests.values import Values, jsonable
from flowctl.language.contacts import Contact, ContactError, loads, parse_contact, set_attribute
from flowctl.loading.sources import STDIN, read_input
from flowctl.words import show

FILE_KEYS = ("flow", "now", "cases")
CASE_KEYS = ("contact", "contact_file", "set", "now", "seed", "expect")
EXPECT_KEYS = ("path", "visits", "not_visits", "exits", "status", "ended_at", "at", "effects")
NODE_LISTS = ("path", "visits", "not_visits")
MAX_CONTACT_BYTES = 1_000_000  # as for `flowctl run --contact`


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
    findings: tuple[Finding, ...] = ()  # a case with a problem is left out of `cases`


class _Reader(Values):
    """Reads one test file's data, collecting findings instead of raising."""

    def __init__(self, base: PurePath) -> None:
        super().__init__()
        self.base = base  # the directory `flow` and `contact_file` are relative to

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
        read = [self.case(name, case, now, "now" in top) for name, case in cases.items()]
        return self.spec(flow, tuple(case for case in read if case is not None))

    def spec(self, flow: str | None, cases: tuple[Case, ...] = ()) -> Spec:
        return Spec(flow, cases, tuple(self.findings))

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
