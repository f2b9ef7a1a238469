"""The node registry: every node type comes in through the `flowctl.nodes` entry-point group.

Built-ins are declared in flowctl's own pyproject.toml, so they take the same door as third-party
plugins. The registry remembers which distribution provided each type, so a clash or a broken
plugin is reported by distribution name, not as a traceback.

Entry points are imported lazily, one by one, when a type is first asked for by name: listing the
names costs no plugin import, and a command that needs two types imports two modules. Iterating
the registry (as building the merged schema does) imports them all. Which entry points exist is
remembered between runs (`flowctl.plugins.entry_points`), so start-up does not scan every
distribution.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flowctl.errors import PluginError
from flowctl.nodes.base import NodeType
from flowctl.plugins.entry_points import Target, entry_points

ENTRY_POINT_GROUP = "flowctl.nodes"


@dataclass(frozen=True, slots=True)
class Registration:
    """One registered node type and where it came from."""

    node_type: NodeType
    distribution: str
    target: str  # the entry point's "module:Class"

    @property
    def name(self) -> str:
        return self.node_type.name


class Registry:
    """Node types by name, listed sorted; entry points are imported on first use."""

    def __init__(
        self, registrations: Iterable[Registration] = (), pending: Iterable[Target] = ()
    ) -> None:
        # A pending entry point's name is its node type's name (checked when it is imported).
        self._by_name: dict[str, Registration | Target] = {}
        for registration in registrations:
            self._add(registration)
        for target in pending:
            self._add(target)
        self._by_name = dict(sorted(self._by_name.items()))

    def _add(self, entry: Registration | Target) -> None:
        other = self._by_name.get(entry.name)
        if other is not None:
            raise PluginError(
                f"node type '{entry.name}' is registered twice: by distribution "
                f"'{other.distribution}' ({_target(other)}) and by '{entry.distribution}' "
                f"({_target(entry)}); uninstall one of them"
            )
        self._by_name[entry.name] = entry

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        """The node types of an entry-point group, imported when first used."""
        return cls(pending=entry_points(group))

    def __iter__(self) -> Iterator[NodeType]:
        return (registration.node_type for registration in self.registrations())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> NodeType | None:
        registration = self.registration(name)
        return registration.node_type if registration else None

    def names(self) -> list[str]:
        """The registered type names, sorted, without importing any plugin."""
        return list(self._by_name)

    def registrations(self) -> list[Registration]:
        """Every registration, sorted by name; imports every entry point not imported yet."""
        return [self._loaded(name) for name in self._by_name]

    def registration(self, name: str) -> Registration | None:
        if not isinstance(name, str) or name not in self._by_name:
            return None
        return self._loaded(name)

    def _loaded(self, name: str) -> Registration:
        entry = self._by_name[name]
        if isinstance(entry, Target):
            entry = self._by_name[name] = _load(entry)
        return entry


def _target(entry: Registration | Target) -> str:
    return entry.target if isinstance(entry, Registration) else entry.value


def _load(entry_point: Target) -> Registration:
    """Import one entry point and check that it is a node type named like its entry point."""
    distribution = entry_point.distribution
    where = (
        f"node plugin '{entry_point.name}' ({entry_point.value}) from distribution '{distribution}'"
    )
    try:
        loaded = entry_point.load()
    except Exception as exc:  # a plugin may fail in any way; report it, never a traceback
        raise PluginError(f"{where} failed to import: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, NodeType)):
        raise PluginError(f"{where} is not a subclass of flowctl.nodes.base.NodeType")
    try:
        node_type = loaded()
        name = node_type.name
        node_type.summary  # noqa: B018 - fail here, with the plugin named, if it is missing
    except Exception as exc:
        raise PluginError(f"{where} is incomplete: {type(exc).__name__}: {exc}") from exc
    if name != entry_point.name:
        raise PluginError(
            f"{where} defines node type '{name}'; the entry point must have the same name"
        )
    return Registration(node_type, distribution, entry_point.value)


@functools.cache
def default_registry() -> Registry:
    """The registry of the running interpreter's installed node types, found once per process."""
    return Registry.from_entry_points()
