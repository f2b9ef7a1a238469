"""Load a flow file into plain Python values and remember where every key and value came from.

Loading never raises: bad encoding, bad syntax, repeated keys and hostile documents (huge, deep,
billion laughs) all come back as diagnostics. Mapping keys are always strings (`no:` is the key
"no"); values are what `yaml.safe_load` gives, YAML 1.1 quirks included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from flowctl.diagnostics.findings import Diagnostic, Path, PathPart
from flowctl.loading.positions import end_of, make_diagnostic, pack, source_lines, unpack
from flowctl.loading.sources import MAX_FILE_BYTES
from flowctl.loading.yaml_builder import TreeBuilder

# The C parser is several times faster; the pure-Python one gives the same events.
_PARSER: type[Any] = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_BOM = "\ufeff"
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
_LIBYAML_MAX_DEPTH = 1000


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based source range; the end is where the parser's end mark points."""

    line: int
    column: int
    end_line: int
    end_column: int


def _span(pos: int) -> Span:
    line, column, end_line, end_column = unpack(pos)
    return Span(line + 1, column + 1, end_line + 1, end_column + 1)


@dataclass(frozen=True)
class Document:
    """A loaded flow file: its text, its data and the position of every key and value."""

    path: str
    text: str
    data: Any
    # Packed positions (see flowctl.loading.yaml_builder) keyed by path; Spans are made on demand.
    _values: dict[Path, int] = field(default_factory=dict, repr=False, compare=False)
    _keys: dict[Path, int] = field(default_factory=dict, repr=False, compare=False)
    _plain: dict[Path, str] = field(default_factory=dict, repr=False, compare=False)

    def value_span(self, path: Sequence[PathPart]) -> Span:
        """Span of the value at `path`, else of its nearest ancestor with a known span, else 1:1."""
        wanted = tuple(path)
        for end in range(len(wanted), -1, -1):
            pos = self._values.get(wanted[:end])
            if pos is not None:
                return _span(pos)
        return Span(1, 1, 1, 1)

    def key_span(self, path: Sequence[PathPart]) -> Span:
        """Span of the mapping key whose value is at `path`, else the value's span."""
        pos = self._keys.get(tuple(path))
        return self.value_span(path) if pos is None else _span(pos)

    def plain_scalars(self) -> Iterator[tuple[Path, str]]:
        """Every unquoted scalar that YAML 1.1 read as no string: (path, source text)."""
        return iter(self._plain.items())

    def plain_scalar(self, path: Sequence[PathPart]) -> str | None:
        """Source text of an unquoted scalar that YAML 1.1 read as no string (`NO`, `12:30`).

        None for strings, quoted or tagged scalars and empty values.
        """
        return self._plain.get(tuple(path))


@dataclass(frozen=True)
class LoadResult:
    """The document (None when the file could not be loaded) and the problems met loading it."""

    document: Document | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep loading fast and memory-bounded on any input."""

    max_bytes: int = MAX_FILE_BYTES
    max_depth: int = 100
    max_nodes: int = 1_000_000  # every key, value and collection, aliases expanded
    max_text: int = MAX_FILE_BYTES  # characters of keys and values, aliases expanded


DEFAULT_LIMITS = Limits()


def load(source: str | bytes, path: str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """Load one flow file; every problem, however bad the input, comes back as a diagnostic."""
    if isinstance(source, bytes) and len(source) > limits.max_bytes:
        return LoadResult(None, (_too_large(len(source), path, limits),))
    data, text, problem = _decode(source, path)
    if problem is not None:
        return LoadResult(None, (problem,))
    if len(data) > limits.max_bytes:
        return LoadResult(None, (_too_large(len(data), path, limits),))
    c_parser = _PARSER is not yaml.SafeLoader  # yaml.CSafeLoader exists only with libyaml
    builder = TreeBuilder(path, limits.max_depth, limits.max_nodes, limits.max_text)
    try:
        # The pure-Python reader checks characters already while it is being set up.
        tree = builder.build(_PARSER(data if c_parser else text))
    except yaml.YAMLError as error:
        offsets = data if c_parser else None
        problem = _syntax_error(error, path, text, offsets, limits.max_depth)
        return LoadResult(None, (*builder.diagnostics, problem))
    diagnostics = tuple(builder.diagnostics)
    if not tree.complete:
        return LoadResult(None, diagnostics)
    return LoadResult(
        Document(path, text, tree.data, tree.values, tree.keys, tree.plain), diagnostics
    )


def _too_large(size: int, path: str, limits: Limits) -> Diagnostic:
    message = f"the file is {size:,} bytes, over the limit of {limits.max_bytes:,}"
    return make_diagnostic("yaml-limits", message, path, pack(0, 0, 0, 0))


def _decode(source: str | bytes, path: str) -> tuple[bytes, str, Diagnostic | None]:
    """The UTF-8 bytes and the text of `source` without a BOM, or why it is not valid text."""
    if isinstance(source, str):
        text = source.removeprefix(_BOM)
        try:
            return text.encode("utf-8"), text, None
        except UnicodeEncodeError as error:
            message = f"the text holds an unpaired surrogate U+{ord(text[error.start]):04X}"
            pos = end_of(text[: error.start])
            return b"", text, make_diagnostic("yaml-syntax", message, path, pos)
    data = source.removeprefix(_BOM.encode("utf-8"))
    try:
        return data, data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8")
        message = f"the file is not valid UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
        hint = "save the file as UTF-8"
        return b"", "", make_diagnostic("yaml-syntax", message, path, end_of(before), hint=hint)


def _syntax_error(
    error: yaml.YAMLError, path: str, text: str, utf8: bytes | None, max_depth: int
) -> Diagnostic:
    """A parser error in plain words, at the position the parser points to.

    `utf8` is the parsed bytes when the parser counts a forbidden character's offset in bytes.
    """
    if isinstance(error, yaml.reader.ReaderError):
        offset = error.position
        before = text[:offset] if utf8 is None else utf8[:offset].decode("utf-8", "replace")
        character = error.character
        code = character if isinstance(character, int) else ord(character)
        message = f"character U+{code:04X} is not allowed in YAML ({error.reason})"
        return make_diagnostic("yaml-syntax", message, path, end_of(before))
    if not isinstance(error, yaml.MarkedYAMLError):
        return make_diagnostic("yaml-syntax", str(error), path, pack(0, 0, 0, 0))
    mark = error.problem_mark or error.context_mark
    line, column = (0, 0) if mark is None else (mark.line, mark.column)
    pos = pack(line, column, line, column)
    if error.problem == _LIBYAML_TOO_DEEP:
        # libyaml looks this far ahead before it hands over the first event of a deep document.
        message = f"nesting is deeper than {min(max_depth, _LIBYAML_MAX_DEPTH)} levels"
        return make_diagnostic("yaml-limits", message, path, pos)
    message = error.problem or error.context or "invalid YAML"
    context = error.context_mark
    if error.problem and error.context and context is not None:
        where = (context.line, context.column)
        if where != (line, column):
            message += f" ({error.context} at line {where[0] + 1}, column {where[1] + 1})"
    source_line = source_lines(text)[line : line + 1]
    hint = None
    if source_line and source_line[0][column : column + 1] == "\t":
        hint = "YAML does not allow tabs for indentation; use spaces"
    return make_diagnostic("yaml-syntax", message, path, pos, hint=hint)
