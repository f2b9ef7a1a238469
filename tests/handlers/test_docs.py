"""docs/handlers.md documents every key of every built-in handler, and the settings name them."""

from __future__ import annotations

import re

from flowctl.config.settings import KEYS
from flowctl.handlers.registry import HandlerRegistry
from tests.conftest import ROOT

HANDLERS_DOC = (ROOT / "docs" / "handlers.md").read_text(encoding="utf-8")


def section(name: str) -> str:
    match = re.search(rf"^### `{name}`\n(.*?)(?=^##)", HANDLERS_DOC, re.MULTILINE | re.DOTALL)
    assert match, f"docs/handlers.md has no section for the {name} handler"
    return match.group(1)


def test_every_key_of_every_builtin_is_in_its_table(registry: HandlerRegistry) -> None:
    for registration in registry.registrations():
        table = section(registration.name).split("| key | type | default | meaning |\n", 1)[1]
        rows = set(re.findall(r"^\| `([a-z_]+)` \|", table.split("\n\n", 1)[0], re.MULTILINE))
        assert rows == set(registration.handler_type.options), registration.name


def test_the_settings_document_channels_and_outbox() -> None:
    config_doc = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for key in KEYS:
        assert f"| `{key}` |" in config_doc
