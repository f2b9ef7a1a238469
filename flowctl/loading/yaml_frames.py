"""The data the YAML tree builder works with: the finished tree, the collections being built,
and the anchors defined so far."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flowctl.diagnostics.findings import Path


@dataclass(frozen=True, slots=True)
class Tree:
    """What the events built: the data, the positions, and whether loading got to the end."""

    data: Any
    values: dict[Path, int]  # path -> packed position of the value
    keys: dict[Path, int]  # path -> packed position of the mapping key holding the value
    plain: dict[Path, str]  # path -> source text of a plain scalar YAML 1.1 made a non-string
    complete: bool  # False: a fatal diagnostic stopped loading


class Pending(enum.Enum):
    """What a mapping frame expects next when it is not holding a key."""

    KEY = enum.auto()
    MERGE = enum.auto()  # the value of a `<<` merge key
    SKIP = enum.auto()  # the value of a rejected key, to be dropped


class Frame:
    """A mapping or sequence being built."""

    __slots__ = (
        "anchor", "first_node", "first_text", "height", "is_map", "key", "key_path", "merges",
        "path", "repeats", "start", "value",
    )  # fmt: skip

    def __init__(
        self, is_map: bool, path: Path, start: Any, anchor: str | None, first: int, text: int
    ) -> None:
        self.is_map = is_map
        self.value: Any = {} if is_map else []
        self.path = path
        self.start = start
        self.anchor = anchor
        self.first_node = first
        self.first_text = text  # characters of scalar text before this collection
        self.height = 1  # levels of nesting from here down, aliases expanded
        self.key: str | Pending = Pending.KEY
        self.key_path: Path = ()  # shared by the key's and the value's position entries
        self.merges: list[tuple[dict[str, Any], int]] = []
        self.repeats: dict[str, tuple[int, int]] = {}  # repeated key -> (first line, count)


@dataclass(frozen=True, slots=True)
class Anchor:
    value: Any
    weight: int  # nodes after expansion
    text: int  # characters of scalar text after expansion
    height: int
    line: int
    key_text: str | None  # a scalar's source text, so that an alias can be a mapping key
    plain: str | None
