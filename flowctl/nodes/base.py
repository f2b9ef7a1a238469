"""The node-type contract: what one module must define to add a node type to flowctl.

A node type is a subclass of `NodeType` registered under the `flowctl.nodes` entry-point group.
It carries its name, a one-line summary, the JSON Schema fragment of its `config`, its exits, an
example, and a hook for checks JSON Schema cannot express. Fragments may reference the shared
definitions of the merged schema: `#/definitions/duration`, `#/definitions/time_of_day` and
`#/definitions/condition`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from flowctl.diagnostics import Finding, Path


class ExitKind(StrEnum):
    """How a node leaves: not at all, through one exit, or through named exits."""

    NONE = "none"
    SINGLE = "single"
    NAMED = "named"


@dataclass(frozen=True, slots=True)
class Exits:
    """The exits of one node: `next` is omitted (NONE), a node id (SINGLE) or a mapping (NAMED)."""

    kind: ExitKind
    names: tuple[str, ...] = ()
    doc: str = ""  # for exits that derive from the config: how, in words

    @classmethod
    def named(cls, *names: str) -> Exits:
        return cls(ExitKind.NAMED, names)

    @classmethod
    def from_config(cls, doc: str) -> Exits:
        """Named exits that `NodeType.exits_for` derives from the config, described in words."""
        return cls(ExitKind.NAMED, (), doc)

    def describe(self) -> str:
        if self.kind is ExitKind.NONE:
            return "none (ends the flow)"
        if self.kind is ExitKind.SINGLE:
            return "one"
        return ", ".join(self.names) if self.names else self.doc


NO_EXIT = Exits(ExitKind.NONE)
ONE_EXIT = Exits(ExitKind.SINGLE)


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node as written in a flow: its id, type name, config and where it sits in the file."""

    id: str
    type: str
    config: Mapping[str, Any]
    path: Path

    @property
    def config_path(self) -> Path:
        return (*self.path, "config")


def object_schema(
    properties: dict[str, Any], *, required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    """A closed config object: unknown fields are errors (with a 'did you mean' hint)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    schema.update(extra)
    return schema


class NodeType:
    """Base class of every node type; subclasses set the class attributes and may override hooks.

    Subclasses are instantiated once, with no arguments, by the registry.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    config_schema: ClassVar[dict[str, Any]] = object_schema({})
    exits: ClassVar[Exits] = ONE_EXIT
    example: ClassVar[dict[str, Any]] = {}

    def exits_for(self, config: Mapping[str, Any]) -> Exits:
        """The exits of a node with this config; override when they derive from the config."""
        return self.exits

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        """Checks JSON Schema cannot express; runs only on a config the schema accepted.

        Each finding's message is about the value at its path; flowctl prefixes the node and
        field (``node 'ab' (split): config.variants: ...``), so do not repeat them.
        """
        return iter(())

    @property
    def config_required(self) -> bool:
        """Whether `config` may be omitted: only when the fragment requires nothing."""
        schema = self.config_schema
        return bool(schema.get("required") or schema.get("minProperties") or schema.get("allOf"))
