"""The handler registry: every effect handler comes in through the `flowctl.handlers` entry points.

The built-ins `outbox`, `smtp` and `http` are declared in flowctl's own pyproject.toml, like any
plugin. As with node types, entry points are imported one by one when a handler is first asked
for by name, and a broken or clashing plugin is reported by its distribution's name (exit 2).
There is no process-wide registry: a command builds one (`HandlerRegistry.from_entry_points()`)
and passes it on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from flowctl.errors import PluginError
from flowctl.handlers.base import HandlerType
from flowctl.plugins.entry_points import Target, entry_points
from flowctl.plugins.lazy import LazyRegistry, import_plugin, plugin_words

ENTRY_POINT_GROUP = "flowctl.handlers"


@dataclass(frozen=True, slots=True)
class HandlerRegistration:
    """One registered handler class and where it came from."""

    handler_type: HandlerType
    distribution: str
    target: str  # the entry point's "module:Class"

    @property
    def name(self) -> str:
        return self.handler_type.name


class HandlerRegistry(LazyRegistry[HandlerRegistration]):
    """Handler classes by name, listed sorted; entry points are imported on first use."""

    kind = "handler"

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> HandlerRegistry:
        """The handlers of an entry-point group, imported when first used."""
        return cls(pending=entry_points(group))

    def get(self, name: str) -> HandlerType | None:
        registration = self.registration(name)
        return registration.handler_type if registration else None

    def _load(self, target: Target) -> HandlerRegistration:
        return _load(target)


def _load(entry_point: Target) -> HandlerRegistration:
    """Import one entry point and check that it is a handler class named like its entry point."""
    where = plugin_words("handler", entry_point)
    loaded = import_plugin(entry_point, "handler")
    if not isinstance(loaded, type):
        raise PluginError(f"{where} is not a class")
    name = getattr(loaded, "name", None)
    options = getattr(loaded, "options", None)
    missing = [
        what
        for what, ok in (
            ("a `name` string", isinstance(name, str)),
            ("an `options` mapping of key -> description", isinstance(options, Mapping)),
            ("a `from_config` class method", callable(getattr(loaded, "from_config", None))),
        )
        if not ok
    ]
    if missing:
        raise PluginError(f"{where} is incomplete: it needs {', '.join(missing)}")
    if name != entry_point.name:
        raise PluginError(
            f"{where} defines handler '{name}'; the entry point must have the same name"
        )
    return HandlerRegistration(
        cast(HandlerType, loaded), entry_point.distribution, entry_point.value
    )
