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

from collections.abc import Iterator
from dataclasses import dataclass

from flowctl.errors import PluginError
from flowctl.nodes.base import NodeType
from flowctl.plugins.entry_points import Target, entry_points
from flowctl.plugins.lazy import LazyRegistry, import_plugin, plugin_words

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


class Registry(LazyRegistry[Registration]):
    """Node types by name, listed sorted; entry points are imported on first use."""

    kind = "node type"

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        """The node types of an entry-point group, imported when first used."""
        return cls(pending=entry_points(group))

    def __iter__(self) -> Iterator[NodeType]:
        return (registration.node_type for registration in self.registrations())

    def get(self, name: str) -> NodeType | None:
        registration = self.registration(name)
        return registration.node_type if registration else None

    def _load(self, target: Target) -> Registration:
        return _load(target)


def _load(entry_point: Target) -> Registration:
    """Import one entry point and check that it is a node type named like its entry point."""
    where = plugin_words("node", entry_point)
    loaded = import_plugin(entry_point, "node")
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
    return Registration(node_type, entry_point.distribution, entry_point.value)
