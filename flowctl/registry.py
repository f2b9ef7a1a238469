"""The node registry: every node type comes in through the `flowctl.nodes` entry-point group.

Built-ins are declared in flowctl's own pyproject.toml, so they take the same door as third-party
plugins. The registry remembers which distribution provided each type, so a clash or a broken
plugin is reported by distribution name, not as a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from flowctl.errors import PluginError
from flowctl.nodes.base import NodeType

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
    """Node types by name, listed sorted."""

    def __init__(self, registrations: Iterable[Registration]) -> None:
        self._by_name: dict[str, Registration] = {}
        for registration in registrations:
            other = self._by_name.get(registration.name)
            if other is not None:
                raise PluginError(
                    f"node type '{registration.name}' is registered twice: by distribution "
                    f"'{other.distribution}' ({other.target}) and by '{registration.distribution}' "
                    f"({registration.target}); uninstall one of them"
                )
            self._by_name[registration.name] = registration
        self._by_name = dict(sorted(self._by_name.items()))

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Registry:
        """Load every node type of the entry-point group."""
        return cls(_load(entry_point) for entry_point in entry_points(group=group))

    def __iter__(self) -> Iterator[NodeType]:
        return (registration.node_type for registration in self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> NodeType | None:
        registration = self._by_name.get(name)
        return registration.node_type if registration else None

    def names(self) -> list[str]:
        return list(self._by_name)

    def registrations(self) -> list[Registration]:
        return list(self._by_name.values())

    def registration(self, name: str) -> Registration | None:
        return self._by_name.get(name)


def _distribution_name(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    return dist.name if dist is not None else "<unknown distribution>"


def _load(entry_point: EntryPoint) -> Registration:
    """Import one entry point and check that it is a node type named like its entry point."""
    distribution = _distribution_name(entry_point)
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
    """The registry of the running interpreter's installed node types, loaded once per process."""
    return Registry.from_entry_points()
