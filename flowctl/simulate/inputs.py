"""Run inputs from the command line: the simulated start (`--now`), one contact, overrides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flowctl.errors import InputError, UsageError
from flowctl.language.contacts import (
    Contact,
    ContactError,
    loads,
    parse_contact,
    parse_override,
    set_attribute,
)
from flowctl.words import show


def parse_now(text: str | None) -> datetime:
    """`--now` as an aware UTC time (a naive one is UTC); the current second when omitted."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now {show(text)} is not an ISO 8601 time, e.g. 2026-11-20T10:00:00Z"
        ) from None
    try:
        return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise UsageError(f"--now {show(text)} is out of the range of years 1 to 9999") from None


def parse_overrides(texts: Sequence[str]) -> list[tuple[str, Any]]:
    """`--set path=value` arguments as (path, value) pairs; a bad one is a usage error."""
    try:
        return [parse_override(text) for text in texts]
    except ContactError as exc:
        raise UsageError(str(exc)) from None


def with_overrides(contact: Contact, overrides: Sequence[tuple[str, Any]]) -> Contact:
    """The contact with `--set` overrides applied, in order."""
    if not overrides:
        return contact
    attributes = contact.attributes
    for path, value in overrides:
        attributes = set_attribute(attributes, path, value)
    return Contact(contact.id, attributes, contact.events)


def read_contact(content: bytes | str, name: str, overrides: Sequence[tuple[str, Any]]) -> Contact:
    """One contact from a JSON document; `InputError` (exit 2) names the file and the problem."""
    try:
        return with_overrides(parse_contact(loads(content)), overrides)
    except ContactError as exc:
        raise InputError(f"{name}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{name}: not a JSON contact: {exc}") from None
