"""Run inputs: one contact from its JSON document, with attribute overrides applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowctl.errors import InputError
from flowctl.language.contacts import Contact, ContactError, loads, parse_contact, set_attribute


def with_overrides(contact: Contact, overrides: Sequence[tuple[str, Any]]) -> Contact:
    """The contact with overrides (attribute path, value) applied, in order."""
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
