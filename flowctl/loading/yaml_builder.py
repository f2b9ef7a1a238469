"""Build plain Python values from PyYAML's event stream, recording where each key and value is.

The loader's engine: PyYAML's composer throws positions away and its constructor silently keeps
the last of two equal keys, so values are built here with an explicit stack instead. Depth and
alias expansion are counted as they grow (nodes, and characters of text: a long string aliased a
thousand times is a thousand copies for every later stage), so no input can exhaust the C or
Python stack or memory, or make validation and a dry run's trace grow past a bound.
"""

from __future__ import annotations

from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor

from flowctl.diagnostics.findings import Diagnostic, Path
from flowctl.loading.positions import event_pos, make_diagnostic, pack, unpack
from flowctl.loading.yaml_frames import Anchor, Frame, Pending, Tree

_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MERGE_TAG = _YAML_TAG + "merge"
# Only tags whose values are JSON-like data or dates: !!binary, !!set, !!omap and custom tags
# would hand the schema and the node types values they were never written for.
_SCALAR_TAGS = frozenset(
    _YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)
_MAPPING_TAGS = frozenset({None, "!", _YAML_TAG + "map"})
_SEQUENCE_TAGS = frozenset({None, "!", _YAML_TAG + "seq"})
_CONSTRUCTORS = SafeConstructor.yaml_constructors
_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_MISSING: Any = object()


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _Stop(Exception):
    """Loading cannot go on; the diagnostic says why."""


class TreeBuilder:
    """Turns a parser's events into a `Tree`; parser errors propagate as `yaml.YAMLError`."""

    def __init__(self, file: str, max_depth: int, max_nodes: int, max_text: int) -> None:
        self.parser: Any = None
        self.file = file
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.max_text = max_text
        self.text = 0  # characters of scalar text, aliases expanded
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[Frame] = []
        self.anchors: dict[str, Anchor] = {}
        self.open_anchors: dict[str, int] = {}  # anchors of unfinished collections -> line
        self.nodes = 0
        self.root: Any = None
        self.values: dict[Path, int] = {}
        self.keys: dict[Path, int] = {}
        self.plain: dict[Path, str] = {}
        self.scalars: dict[str, Any] = {}  # plain scalar text -> value; flows repeat a lot

    def build(self, parser: Any) -> Tree:
        """Read the parser's stream to its end, or to the first problem that stops loading."""
        self.parser = parser
        try:
            self._stream()
        except _Stop:
            return Tree(None, {}, {}, {}, complete=False)
        finally:
            parser.dispose()
        return Tree(self.root, self.values, self.keys, self.plain, complete=True)

    def _stream(self) -> None:
        get = self.parser.get_event
        get()  # StreamStartEvent
        if isinstance(get(), yaml.StreamEndEvent):
            return  # empty, or only comments
        self._document()
        event = get()
        if isinstance(event, yaml.DocumentStartEvent):
            message = "a flow file holds one YAML document; found a second one here"
            self._report("yaml-syntax", message, event_pos(event), None, "use one file per flow")

    def _document(self) -> None:
        get = self.parser.get_event
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        while True:
            event = get()
            kind = event.__class__
            if kind is scalar:
                self._scalar(event)
            elif kind is map_end or kind is seq_end:
                self._end(event)
            elif kind is map_start:
                self._start(event, True)
            elif kind is seq_start:
                self._start(event, False)
            elif kind is alias:
                self._alias(event)
            else:
                return  # DocumentEndEvent

    def _scalar(self, event: Any) -> None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            self._too_many(event, alias=False)
        self.text += len(event.value)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_map:
            if top.key is Pending.KEY:
                self._key(top, event)
                return
            if top.key is Pending.SKIP:
                top.key = Pending.KEY
                return
        path = self._path_in(top)
        value, plain = self._scalar_value(event, path)
        if event.anchor is not None:
            self._define_scalar(event, value, plain)
        self._place(top, path, value, event_pos(event), plain, 0)

    def _key(self, top: Frame, event: Any) -> None:
        tag = event.tag
        if event.anchor is not None:
            self._define_scalar(event, *self._scalar_value(event, top.path))
        elif tag is not None and tag not in _SCALAR_TAGS and tag not in ("!", _MERGE_TAG):
            self._unsupported_tag(tag, event_pos(event), top.path)
        if tag == _MERGE_TAG or (tag is None and event.implicit[0] and event.value == "<<"):
            top.key = Pending.MERGE
        else:
            self._set_key(top, event.value, event_pos(event))

    def _set_key(self, top: Frame, key: str, pos: int) -> None:
        path = (*top.path, key)
        if key in top.value:
            first, count = top.repeats.get(key) or (unpack(self.keys[path])[0] + 1, 1)
            top.repeats[key] = (first, count + 1)
            times = "twice" if count == 1 else f"{count + 1} times"
            message = f"key '{key}' is defined {times} (first at line {first}); "
            message += "YAML keeps only the last one"
            self._report("duplicate-key", message, pos, path, "rename one of them or merge the two")
        top.key = key
        top.key_path = path
        self.keys[path] = pos

    def _scalar_value(self, event: Any, at: Path) -> tuple[Any, str | None]:
        """The value `yaml.safe_load` gives, and the source text if YAML 1.1 made it no string."""
        text: str = event.value
        tag: str | None = event.tag
        if tag is None or tag == "!":  # "!" too: PyYAML resolves `! 12` as if it had no tag
            if not event.implicit[0]:
                return text, None  # quoted or block scalar
            value = self.scalars.get(text, _MISSING)
            if value is _MISSING:
                value = self.scalars[text] = self._resolve(text)
            # `! "12"` is 12 too, but not unquoted; an empty value has no text to show
            plain = None if value.__class__ is str or event.style or not text else text
            return value, plain
        if tag == _STR_TAG:
            return text, None
        if tag not in _SCALAR_TAGS:
            self._unsupported_tag(tag, event_pos(event), at)
            return text, None
        try:
            return _CONSTRUCTORS[tag](self.parser, yaml.ScalarNode(tag, text)), None
        except Exception:  # the constructors raise whatever int(), float() or date() raise
            message = f"{text!r} cannot be read as {_show_tag(tag)}"
            self._report("yaml-syntax", message, event_pos(event), at)
            return text, None

    def _resolve(self, text: str) -> Any:
        tag = self.parser.resolve(yaml.ScalarNode, text, (True, False))
        constructor = _CONSTRUCTORS.get(tag)
        if tag == _STR_TAG or constructor is None:
            return text  # also `<<` or `=` as a value, which safe_load would reject
        try:
            return constructor(self.parser, yaml.ScalarNode(tag, text))
        except ValueError:
            return text  # looks like a number or a date but is neither (`0b_`, `2026-02-30`)

    def _start(self, event: Any, is_map: bool) -> None:
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_map and top.key in (Pending.KEY, Pending.SKIP):
            if top.key is Pending.KEY:
                message = "mapping keys must be plain strings, not a mapping or a list"
                self._report("yaml-syntax", message, event_pos(event), top.path)
            top.key = Pending.SKIP if top.key is Pending.KEY else Pending.KEY
            self._skip()
            return
        if len(self.stack) >= self.max_depth:
            self._stop("yaml-limits", f"nesting is deeper than {self.max_depth} levels", event)
        self.nodes += 1
        if self.nodes > self.max_nodes:
            self._too_many(event, alias=False)
        path = self._path_in(top)
        if event.tag not in (_MAPPING_TAGS if is_map else _SEQUENCE_TAGS):
            self._unsupported_tag(event.tag, event_pos(event), path)
        anchor = event.anchor
        if anchor is not None:
            self._check_new_anchor(anchor, event)
            self.open_anchors[anchor] = event.start_mark.line
        self.stack.append(Frame(is_map, path, event.start_mark, anchor, self.nodes - 1, self.text))

    def _end(self, event: Any) -> None:
        frame = self.stack.pop()
        value = self._merged(frame) if frame.merges else frame.value
        start, end = frame.start, event.end_mark
        pos = pack(start.line, start.column, end.line, end.column)
        if frame.anchor is not None:
            del self.open_anchors[frame.anchor]
            weight, text = self.nodes - frame.first_node, self.text - frame.first_text
            self.anchors[frame.anchor] = Anchor(
                value, weight, text, frame.height, start.line, None, None
            )
        self._place(
            self.stack[-1] if self.stack else None, frame.path, value, pos, None, frame.height
        )

    def _alias(self, event: Any) -> None:
        name: str = event.anchor
        if name in self.open_anchors:
            message = f"alias *{name} is used inside its own anchor &{name}"
            self._stop("yaml-syntax", message, event, "an anchor cannot contain itself")
        anchor = self.anchors.get(name)
        if anchor is None:
            self._stop("yaml-syntax", f"alias *{name} refers to no anchor defined before it", event)
        top = self.stack[-1] if self.stack else None
        pos = event_pos(event)
        if top is not None and top.is_map and top.key in (Pending.KEY, Pending.SKIP):
            self.nodes += 1
            self.text += anchor.text
            if top.key is Pending.SKIP:
                top.key = Pending.KEY
            elif anchor.key_text is not None:
                self._set_key(top, anchor.key_text, pos)
            else:
                message = f"mapping keys must be plain strings; *{name} is a mapping or a list"
                self._report("yaml-syntax", message, pos, top.path)
                top.key = Pending.SKIP
            return
        if anchor.height and len(self.stack) + anchor.height > self.max_depth:
            message = f"alias *{name} nests deeper than {self.max_depth} levels"
            self._stop("yaml-limits", message, event)
        self.nodes += anchor.weight
        if self.nodes > self.max_nodes:
            self._too_many(event, alias=True)
        self.text += anchor.text
        if self.text > self.max_text:
            message = f"aliases expand the document to more than {self.max_text:,} characters"
            self._stop("yaml-limits", message, event, "use fewer aliases of long values")
        self._place(top, self._path_in(top), anchor.value, pos, anchor.plain, anchor.height)

    def _place(
        self, top: Frame | None, path: Path, value: Any, pos: int, plain: str | None, height: int
    ) -> None:
        """Put a finished value into its parent and record where it came from."""
        self.values[path] = pos
        if plain is not None:
            self.plain[path] = plain
        if top is None:
            self.root = value
            return
        if height >= top.height:
            top.height = height + 1
        if not top.is_map:
            top.value.append(value)
            return
        key, top.key = top.key, Pending.KEY
        if isinstance(key, str):
            top.value[key] = value
        else:
            self._add_merge(top, path, value, pos)

    def _add_merge(self, top: Frame, path: Path, value: Any, pos: int) -> None:
        """Queue the value of a `<<` key; in a list of mappings, YAML 1.1 lets the first win."""
        if isinstance(value, list):
            sources = [(item, self.values.get((*path, i), pos)) for i, item in enumerate(value)]
            sources.reverse()
        else:
            sources = [(value, pos)]
        for source, source_pos in sources:
            if isinstance(source, dict):
                top.merges.append((source, source_pos))
            else:
                message = "the merge key '<<' takes a mapping, an alias to one, or a list of those"
                self._report("yaml-syntax", message, source_pos, path)

    def _merged(self, frame: Frame) -> dict[str, Any]:
        """Apply merge keys: merged entries come first and never override explicit ones."""
        explicit: dict[str, Any] = frame.value
        merged: dict[str, Any] = {}
        for source, pos in frame.merges:
            for key in source:
                if key not in explicit:
                    path = (*frame.path, key)
                    self.values[path] = self.keys[path] = pos  # the merge source's position
            merged.update(source)
        merged.update(explicit)
        return merged

    def _skip(self) -> None:
        """Consume the rest of a collection that cannot be used (a mapping or list as a key)."""
        get = self.parser.get_event
        depth = 1
        while depth:
            event = get()
            if isinstance(event, _STARTS):
                depth += 1
            elif isinstance(event, _ENDS):
                depth -= 1

    def _path_in(self, top: Frame | None) -> Path:
        """The path of the next value to go into `top`."""
        if top is None:
            return ()
        if not top.is_map:
            return (*top.path, len(top.value))
        return top.key_path if isinstance(top.key, str) else (*top.path, "<<")

    def _define_scalar(self, event: Any, value: Any, plain: str | None) -> None:
        text = event.value
        self._define(event, Anchor(value, 1, len(text), 0, event.start_mark.line, text, plain))

    def _define(self, event: Any, anchor: Anchor) -> None:
        self._check_new_anchor(event.anchor, event)
        self.anchors[event.anchor] = anchor

    def _check_new_anchor(self, name: str, event: Any) -> None:
        # PyYAML's composer rejects a reused anchor name, so this does too.
        first = self.anchors[name].line if name in self.anchors else self.open_anchors.get(name)
        if first is not None:
            message = f"anchor &{name} is defined twice (first at line {first + 1})"
            self._stop("yaml-syntax", message, event, "give each anchor its own name")

    def _unsupported_tag(self, tag: str, pos: int, at: Path) -> None:
        message = f"tag {_show_tag(tag)} is not supported in flow files"
        hint = "remove the tag: a flow file holds plain YAML values"
        self._report("yaml-syntax", message, pos, at, hint)

    def _too_many(self, event: Any, alias: bool) -> NoReturn:
        what = "aliases expand to" if alias else "the document has"
        self._stop("yaml-limits", f"{what} more than {self.max_nodes:,} nodes", event)

    def _report(
        self, rule: str, message: str, pos: int, at: Path | None, hint: str | None = None
    ) -> None:
        self.diagnostics.append(make_diagnostic(rule, message, self.file, pos, at, hint))

    def _stop(self, rule: str, message: str, event: Any, hint: str | None = None) -> NoReturn:
        self._report(rule, message, event_pos(event), None, hint)
        raise _Stop
