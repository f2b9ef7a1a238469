"""A registry of one kind of plugin (node types, effect handlers), filled from an entry-point group.

Entry points are imported lazily, one by one, when a plugin is first asked for by name: listing
the names costs no import. Each registration remembers the distribution it came from, so that a
clash or a broken plugin is reported by distribution name, not as a traceback. A subclass says
what its plugins are called in messages (`kind`) and how one entry point becomes a registration
(`_load`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Generic, Protocol, TypeVar

from flowctl.errors import PluginError
from flowctl.plugins.entry_points import Target


class Registered(Protocol):
    """What a registry keeps of an imported plugin."""

    @property
    def name(self) -> str: ...

    @property
    def distribution(self) -> str: ...

    @property
    def target(self) -> str:
        """The entry point's `module:attribute`."""
        ...


R = TypeVar("R", bound=Registered)


class LazyRegistry(Generic[R]):
    """Plugins by name, listed sorted; entry points are imported on first use."""

    #: What a plugin of this registry is, in messages: "node type", "handler".
    kind: ClassVar[str] = "plugin"

    def __init__(self, registrations: Iterable[R] = (), pending: Iterable[Target] = ()) -> None:
        # A pending entry point's name is its plugin's name (checked when it is imported).
        self._by_name: dict[str, R | Target] = {}
        for registration in registrations:
            self._add(registration)
        for target in pending:
            self._add(target)
        self._by_name = dict(sorted(self._by_name.items()))

    def _add(self, entry: R | Target) -> None:
        other = self._by_name.get(entry.name)
        if other is not None:
            raise PluginError(
                f"{self.kind} '{entry.name}' is registered twice: by distribution "
                f"'{other.distribution}' ({_target(other)}) and by '{entry.distribution}' "
                f"({_target(entry)}); uninstall one of them"
            )
        self._by_name[entry.name] = entry

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        """The registered names, sorted, without importing any plugin."""
        return list(self._by_name)

    def registrations(self) -> list[R]:
        """Every registration, sorted by name; imports every entry point not imported yet."""
        return [self._loaded(name) for name in self._by_name]

    def registration(self, name: str) -> R | None:
        if not isinstance(name, str) or name not in self._by_name:
            return None
        return self._loaded(name)

    def _loaded(self, name: str) -> R:
        entry = self._by_name[name]
        if isinstance(entry, Target):
            entry = self._by_name[name] = self._load(entry)
        return entry

    def _load(self, target: Target) -> R:
        """Import one entry point and check what it holds; a `PluginError` if it is unusable."""
        raise NotImplementedError


def _target(entry: Registered | Target) -> str:
    return entry.value if isinstance(entry, Target) else entry.target


def plugin_words(what: str, target: Target) -> str:
    """How messages name a plugin: `handler plugin 'x' (mod:Cls) from distribution 'dist'`."""
    origin = f"from distribution '{target.distribution}'"
    return f"{what} plugin '{target.name}' ({target.value}) {origin}"


def import_plugin(target: Target, what: str) -> object:
    """The object an entry point names; a failing import is a `PluginError` naming the plugin
    and its distribution."""
    try:
        return target.load()
    except Exception as exc:  # a plugin may fail in any way; report it, never a traceback
        raise PluginError(
            f"{plugin_words(what, target)} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
