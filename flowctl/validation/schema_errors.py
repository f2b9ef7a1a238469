"""Turn `jsonschema` errors into findings in plain words, each at its own path.

jsonschema's messages quote Python reprs of whole sub-documents; users need "which node, what is
wrong, what was expected". Subschemas may carry `errorMessage` (the keyword VS Code's YAML
extension shows too) and `x-flowctl-rule` (the rule id, when not `schema`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.words import a_type, closest, did_you_mean, show, type_name

if TYPE_CHECKING:  # jsonschema is imported only once a document has schema errors
    from jsonschema.exceptions import ValidationError

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "a mapping",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}
_SCALARS = (str, int, float, bool, type(None))


def node_label(data: Any, node_id: str) -> str:
    """`node 'welcome' (send_message)`, or without the type when it has none."""
    node = data.get("nodes", {}).get(node_id) if isinstance(data, Mapping) else None
    node_type = node.get("type") if isinstance(node, Mapping) else None
    return f"node '{node_id}' ({node_type})" if isinstance(node_type, str) else f"node '{node_id}'"


def dotted(path: Path) -> str:
    """`config.unset[0]` for ("config", "unset", 0)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def head(data: Any, path: Path) -> str:
    """The subject of a message about the value at `path`."""
    if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], str):
        label = node_label(data, path[1])
        rest = path[2:]
        return f"{label}: {dotted(rest)}" if rest else label
    return dotted(path) if path else "the flow"


def _wants_string(schema: Any) -> bool:
    """Whether a subschema expects a string (so an unquoted YAML scalar may be the culprit)."""
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    enum = schema.get("enum", ())
    return (
        kind == "string"
        or (isinstance(kind, list) and "string" in kind)
        or "pattern" in schema
        or any(isinstance(option, str) for option in enum)
    )


class Translator:
    """Translates the errors of one document; `plain_scalar` explains YAML 1.1 traps."""

    def __init__(self, data: Any, plain_scalar: Any, node_types: list[str]) -> None:
        self.data = data
        self.plain_scalar = plain_scalar
        self.node_types = node_types

    def translate(self, error: ValidationError) -> Iterator[Finding]:
        path: Path = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        rule = str(schema.get("x-flowctl-rule", "schema"))
        keyword = error.validator
        subject = head(self.data, path)
        schema_path = list(error.absolute_schema_path)
        custom = schema.get("errorMessage")

        if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
            key_path = (*path, str(error.instance))
            message = custom or f"is not an allowed key ({error.message})"
            yield Finding(rule, f"{subject}: '{error.instance}' {message}", key_path, at_key=True)
        elif keyword == "required":
            yield from self._required(error, path, subject, rule)
        elif keyword == "additionalProperties":
            yield from self._additional(error, path, subject, rule)
        elif keyword == "enum" and len(path) == 3 and path[0] == "nodes" and path[2] == "type":
            if not isinstance(error.instance, str):
                return  # the 'type' keyword already reports a non-string type
            hint = did_you_mean(error.instance, self.node_types) or (
                "run 'flowctl nodes' to list the node types"
            )
            message = f"node '{path[1]}' has unknown type {show(error.instance)}"
            yield Finding("unknown-node-type", message, path, hint=hint)
        elif isinstance(custom, str):
            value = error.instance
            if isinstance(value, _SCALARS):
                found = f" (found {show(value)})"
            elif value is None or isinstance(value, Mapping | list):
                found = ""
            else:  # what JSON has no name for: a date, a timestamp, binary data
                found = f" (found {_found(value)})"
            yield self._with_trap(rule, f"{subject} {custom}{found}", path, error)
        elif keyword in ("oneOf", "anyOf") and error.context:
            from jsonschema.exceptions import best_match

            best = best_match(error.context)
            yield from self.translate(best)
        else:
            yield self._with_trap(rule, f"{subject} {self._describe(error)}", path, error)

    def _required(
        self, error: ValidationError, path: Path, subject: str, rule: str
    ) -> Iterator[Finding]:
        present = error.instance if isinstance(error.instance, Mapping) else {}
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        for field in required:
            if field in present:
                continue
            near = closest(field, [k for k in present if isinstance(k, str)])
            hint = f"'{near}' looks like a misspelling of '{field}'" if near else None
            message = f"{subject} is missing required field '{field}'"
            yield Finding(rule, message, path, hint=hint, at_key=bool(path))

    def _additional(
        self, error: ValidationError, path: Path, subject: str, rule: str
    ) -> Iterator[Finding]:
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = list(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        for key in instance:
            if key in allowed or (patterns and str(key).startswith("x-")):
                continue
            hint = did_you_mean(key, allowed)
            if hint is None and not path:
                hint = "extension keys at the top level must start with 'x-'"
            elif hint is None and allowed:
                hint = "allowed: " + ", ".join(allowed)
            message = f"{subject} has unknown field '{key}'"
            yield Finding(rule, message, (*path, key), hint=hint, at_key=True)

    def _describe(self, error: ValidationError) -> str:
        """What is wrong with the value, for the keywords users meet."""
        keyword, value = error.validator, error.instance
        expected: Any = error.validator_value
        if keyword == "type":
            types = [expected] if isinstance(expected, str) else list(expected)
            words = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
            return f"must be {words}, not {_found(value)}"
        if keyword == "enum":
            options = ", ".join(show(option) for option in expected)
            return f"must be one of {options}; found {show(value)}"
        if keyword == "const":
            return f"must be {show(expected)}; found {show(value)}"
        if keyword == "minLength" and expected == 1:
            return "must not be empty"
        if keyword in ("minItems", "minProperties"):
            return f"needs at least {_count(expected, keyword == 'minItems')}"
        if keyword in ("maxItems", "maxProperties"):
            return f"takes at most {_count(expected, keyword == 'maxItems')}"
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            words = {"minimum": "at least", "maximum": "at most"}.get(keyword, keyword)
            return f"must be {words} {expected}; found {show(value)}"
        if keyword == "uniqueItems":
            return "lists the same value twice"
        if keyword == "pattern":
            return f"{show(value)} does not match the pattern {expected}"
        if keyword is None or error.schema is False:
            return "is not allowed here"
        return f"is invalid: {error.message}"

    def _with_trap(self, rule: str, message: str, path: Path, error: ValidationError) -> Finding:
        """Explain a YAML 1.1 trap: an unquoted value read as a number, boolean or date."""
        raw = self.plain_scalar(path) if path else None
        if raw is None or isinstance(error.instance, str) or not _wants_string(error.schema):
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            return Finding(rule, message, path, hint=schema.get("x-flowctl-hint"))
        shown = show(error.instance)
        if raw != shown:  # say how YAML read it only when that is a surprise
            message += f"; YAML reads the unquoted {raw} as {type_name(error.instance)} {shown}"
        key = path[-1]
        fix = f'{key}: "{raw}"' if isinstance(key, str) else f'"{raw}"'
        return Finding(rule, message, path, hint=f"quote it: {fix}")


def _found(value: Any) -> str:
    """A wrong value for a type message: `integer 750`, `a list`, `null`, `date 2026-01-01`."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return a_type(value)
    if isinstance(value, float) and not math.isfinite(value):
        written = ".nan" if value != value else ".inf" if value > 0 else "-.inf"
        return f"YAML's {written}, which JSON has no number for"
    return f"{type_name(value)} {show(value)}"


def _count(number: int, items: bool) -> str:
    """`1 item`, `2 items`, `1 entry`, `2 entries`."""
    if items:
        return f"{number} item" + ("" if number == 1 else "s")
    return f"{number} " + ("entry" if number == 1 else "entries")
