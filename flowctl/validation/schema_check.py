"""Check a document against the merged schema, picking each node's config fragment by its type.

The merged schema dispatches on a node's `type` with one `if`/`then` per node type (editors
need that). `jsonschema` evaluates every `if` for every node: with nine types, nine
sub-validations per node, which made the dispatch most of the time spent on a large flow. The
checker validates against the same schema without those entries and applies the `then` of the
node's own type itself, in O(1) per node. It yields the same errors, with the same instance and
schema paths, as validating against the merged schema would.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError

from flowctl.language.json_values import is_integer, is_number, python_pattern
from flowctl.validation.type_dispatch import dispatched_type

_NODES_TO_NODE = ("properties", "nodes", "additionalProperties")  # `$ref` adds no path part
_LOCAL = "#/definitions/"
# Draft-07 keywords whose value is a subschema, a list of them, or a mapping to them.
_SUBSCHEMA = frozenset(
    {"additionalItems", "additionalProperties", "contains", "else", "if", "items", "not",
     "propertyNames", "then"}
)  # fmt: skip
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "items", "oneOf"})
_SUBSCHEMA_MAPS = frozenset({"dependencies", "patternProperties", "properties"})


def inline_refs(schema: Any, definitions: Mapping[str, Any], within: tuple[str, ...] = ()) -> Any:
    """`schema` with each `#/definitions/NAME` reference replaced by NAME, unless it recurses.

    In Draft-07 a `$ref` ignores its siblings, so the definition alone can stand in for the
    object; `jsonschema` then skips a reference lookup for every value it checks there.
    `definitions` are not walked: the references left (recursive ones) resolve as before.
    """
    if not isinstance(schema, Mapping):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_LOCAL):
        name = ref.removeprefix(_LOCAL)
        if name in within or name not in definitions or "~" in name:
            return schema
        return inline_refs(definitions[name], definitions, (*within, name))
    inlined = dict(schema)
    for key, value in schema.items():
        if key in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            inlined[key] = {k: inline_refs(v, definitions, within) for k, v in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            inlined[key] = [inline_refs(v, definitions, within) for v in value]
        elif key in _SUBSCHEMA:
            inlined[key] = inline_refs(value, definitions, within)
    return inlined


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not python_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft-07 as `jsonschema` has it, with flowctl's two stricter rules (`json_values`): finite
#: numbers only, and a final `$` that ends the string.
FlowValidator: Any = validators.extend(  # type: ignore[no-untyped-call]
    Draft7Validator,
    validators={"pattern": _pattern},
    type_checker=Draft7Validator.TYPE_CHECKER.redefine_many(
        {"number": lambda _, value: is_number(value), "integer": lambda _, value: is_integer(value)}
    ),
)


class SchemaChecker:
    """`iter_errors(data)` as a `Draft7Validator` of the merged schema gives, type by type."""

    def __init__(self, schema: dict[str, Any]) -> None:
        node = schema["definitions"]["node"]
        entries = list(node.get("allOf", ()))
        dispatch: dict[str, tuple[int, Any]] = {}  # type -> (index in allOf, its `then`)
        for index, entry in enumerate(entries):
            name = dispatched_type(entry)
            if name is not None and name not in dispatch:
                dispatch[name] = (index, entry["then"])
                entries[index] = True  # always valid; the other entries keep their index
        lean_node = {key: value for key, value in node.items() if key != "allOf"}
        if any(entry is not True for entry in entries):
            lean_node["allOf"] = entries
        definitions = {**schema["definitions"], "node": lean_node}
        root = inline_refs({**schema, "definitions": definitions}, definitions)
        self._validator = FlowValidator(root)
        # `evolve` keeps the root's resolver, so `#/definitions/...` references still resolve.
        self._by_type = {
            name: (index, self._validator.evolve(schema=inline_refs(then, definitions)))
            for name, (index, then) in dispatch.items()
        }

    def iter_errors(self, data: Any) -> Iterator[ValidationError]:
        yield from self._validator.iter_errors(data)
        # `dict`, not Mapping: what `jsonschema` takes for an object, so dispatch where it would.
        nodes = data.get("nodes") if isinstance(data, dict) else None
        if not isinstance(nodes, dict):
            return
        for node_id, node in nodes.items():
            node_type = node.get("type") if isinstance(node, dict) else None
            found = self._by_type.get(node_type) if isinstance(node_type, str) else None
            if found is None:
                continue
            index, validator = found
            for error in validator.iter_errors(node):
                # What `jsonschema` would have prefixed on its way down from the root.
                error.path.extendleft((node_id, "nodes"))
                error.schema_path.extendleft(("then", index, "allOf", *reversed(_NODES_TO_NODE)))
                yield error
