"""A yes/no Draft-07 check that needs no `jsonschema` import: the fast path for valid files.

Importing `jsonschema` (with `referencing`, `attrs` and its format checkers) costs more than
validating a flow does, and most files that `flowctl validate` sees in pre-commit and editors
are valid. So the merged schema is first compiled into plain Python predicates that answer one
question, "is this document valid?", with the semantics of `jsonschema.Draft7Validator` (no
format assertion, `$ref` siblings ignored, `bool` is not a number, `1.0` is an integer). Only a
document it rejects goes to `jsonschema`, which says what is wrong and where.

The answer must never be "valid" where `jsonschema` finds an error; a test checks both on every
fixture and on generated documents. Where this module cannot be sure, it does not guess:
`compile_schema` returns None for a schema it does not fully understand (a remote `$ref`, an
`$id`, an unknown type name), and a predicate raises `Undecided` for a value it cannot judge
exactly (`uniqueItems` over values other than strings and numbers); both mean "ask jsonschema".
Why not jsonschema-rs: docs/benchmarks.md (`predicate`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flowctl.language.json_values import TYPES, Predicate, equal, is_number, python_pattern
from flowctl.validation.type_dispatch import dispatched_type


class Undecided(Exception):
    """This value needs `jsonschema` to be judged exactly."""


class _Unsupported(Exception):
    """The schema uses something this module does not implement."""


def compile_schema(schema: Any) -> Predicate | None:
    """A predicate equivalent to `Draft7Validator(schema).is_valid`, or None when unsure."""
    try:
        return _Compiler(schema).compile(schema)
    except (_Unsupported, re.error):  # a bad pattern: jsonschema reports it when it is reached
        return None


def _unique(items: list[Any]) -> bool:
    if all(isinstance(item, str) for item in items):
        return len(set(items)) == len(items)
    if all(is_number(item) and item == item for item in items):  # NaN is not even itself
        return len(set(items)) == len(items)  # 1 == 1.0 in a set too, as in `equal`
    raise Undecided


class _Compiler:
    def __init__(self, root: Any) -> None:
        self._root = root
        self._refs: dict[str, Predicate] = {}

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise _Unsupported
        if "$id" in schema:
            raise _Unsupported  # a new base URI for references: leave it to jsonschema
        if "$ref" in schema:  # Draft-07: a reference ignores its siblings
            return self._ref(schema["$ref"])
        checks = [self._keyword(key, value, schema) for key, value in schema.items()]
        found = [check for check in checks if check is not None]
        if len(found) == 1:
            return found[0]
        return lambda value: all(check(value) for check in found)

    def _ref(self, ref: Any) -> Predicate:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise _Unsupported
        if ref not in self._refs:
            compiled: list[Predicate] = []
            # Bound before compiling, so that a recursive reference finds itself.
            self._refs[ref] = lambda value: compiled[0](value)
            compiled.append(self.compile(_resolve(self._root, ref)))
        return self._refs[ref]

    def _keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Predicate | None:
        build = _KEYWORDS.get(key)
        return build(self, value, schema) if build is not None else None  # others: annotations

    def compile_all(self, schemas: Any) -> list[Predicate]:
        if not isinstance(schemas, list):
            raise _Unsupported
        return [self.compile(each) for each in schemas]


def _text(key: Any) -> str:
    """A mapping key as the regex-matching keywords see it; jsonschema fails on other keys."""
    if not isinstance(key, str):
        raise Undecided
    return key


def _resolve(root: Any, ref: str) -> Any:
    """The subschema a local JSON Pointer reference names."""
    target = root
    pointer = ref[1:]
    if (pointer and not pointer.startswith("/")) or "%" in pointer:
        raise _Unsupported  # a plain-name fragment needs an `$id` anchor
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and "$id" in target:
            raise _Unsupported  # an `$id` on the way changes what later references mean
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif (
            isinstance(target, list)
            and part.isascii()
            and part.isdigit()
            and int(part) < len(target)
        ):
            target = target[int(part)]
        else:
            raise _Unsupported
    return target


def _type(compiler: _Compiler, types: Any, schema: dict[str, Any]) -> Predicate:
    names = types if isinstance(types, list) else [types]
    if not all(isinstance(name, str) and name in TYPES for name in names):
        raise _Unsupported
    checks = [TYPES[name] for name in names]
    if len(checks) == 1:
        return checks[0]
    return lambda value: any(check(value) for check in checks)


def _enum(compiler: _Compiler, enums: Any, schema: dict[str, Any]) -> Predicate:
    if isinstance(enums, list) and all(isinstance(each, str) for each in enums):
        strings = frozenset(enums)
        return lambda value: isinstance(value, str) and value in strings
    if not isinstance(enums, list | dict | str):
        raise _Unsupported
    return lambda value: any(equal(each, value) for each in enums)


def _const(compiler: _Compiler, const: Any, schema: dict[str, Any]) -> Predicate:
    return lambda value: equal(value, const)


def _properties(compiler: _Compiler, properties: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(properties, dict):
        raise _Unsupported
    checks = [(name, compiler.compile(sub)) for name, sub in properties.items()]

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(sub(value[name]) for name, sub in checks if name in value)

    return check


def _pattern_properties(compiler: _Compiler, patterns: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(patterns, dict):
        raise _Unsupported
    checks = [(re.compile(pattern), compiler.compile(sub)) for pattern, sub in patterns.items()]

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(
            sub(item) for regex, sub in checks for key, item in value.items()
            if regex.search(_text(key))
        )  # fmt: skip

    return check


def _additional_properties(compiler: _Compiler, extra: Any, schema: dict[str, Any]) -> Predicate:
    named = schema.get("properties", {})
    # jsonschema joins the patterns into one alternation; so does this, to match it exactly.
    joined = "|".join(schema.get("patternProperties", {}))
    regex = re.compile(joined) if joined else None

    def extras(value: dict[Any, Any]) -> list[Any]:
        return [
            key for key in value
            if key not in named and not (regex is not None and regex.search(_text(key)))
        ]  # fmt: skip

    if isinstance(extra, dict):
        sub = compiler.compile(extra)
        return lambda value: (
            not isinstance(value, dict) or all(sub(value[key]) for key in extras(value))
        )
    if extra:  # `true`, or any other truthy non-schema: jsonschema allows every extra
        return lambda value: True
    return lambda value: not isinstance(value, dict) or not extras(value)


def _required(compiler: _Compiler, required: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(required, list):
        raise _Unsupported
    return lambda value: not isinstance(value, dict) or all(name in value for name in required)


def _property_names(compiler: _Compiler, names: Any, schema: dict[str, Any]) -> Predicate:
    sub = compiler.compile(names)
    return lambda value: not isinstance(value, dict) or all(sub(key) for key in value)


def _dependencies(compiler: _Compiler, dependencies: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(dependencies, dict):
        raise _Unsupported
    checks: list[tuple[str, Predicate]] = []
    for name, dependency in dependencies.items():
        if isinstance(dependency, list):
            checks.append((name, _has_all(dependency)))
        else:
            checks.append((name, compiler.compile(dependency)))
    return lambda value: (
        not isinstance(value, dict) or all(check(value) for name, check in checks if name in value)
    )


def _has_all(names: list[Any]) -> Predicate:
    return lambda value: all(name in value for name in names)


def _items(compiler: _Compiler, items: Any, schema: dict[str, Any]) -> Predicate:
    if isinstance(items, list):
        checks = compiler.compile_all(items)
        return lambda value: (
            not isinstance(value, list)
            or all(check(item) for check, item in zip(checks, value, strict=False))
        )
    sub = compiler.compile(items)
    return lambda value: not isinstance(value, list) or all(sub(item) for item in value)


def _additional_items(compiler: _Compiler, extra: Any, schema: dict[str, Any]) -> Predicate | None:
    items = schema.get("items", {})
    if not isinstance(items, list):
        return None  # only a list of `items` leaves items over
    sub = compiler.compile(extra)
    return lambda value: (
        not isinstance(value, list) or all(sub(item) for item in value[len(items) :])
    )


def _contains(compiler: _Compiler, contains: Any, schema: dict[str, Any]) -> Predicate:
    sub = compiler.compile(contains)
    return lambda value: not isinstance(value, list) or any(sub(item) for item in value)


def _sized(kind: Predicate, ok: Callable[[int, Any], bool]) -> Callable[..., Predicate]:
    def build(compiler: _Compiler, limit: Any, schema: dict[str, Any]) -> Predicate:
        if not is_number(limit):
            raise _Unsupported
        return lambda value: not kind(value) or ok(len(value), limit)

    return build


def _bound(ok: Callable[[Any, Any], bool]) -> Callable[..., Predicate]:
    def build(compiler: _Compiler, limit: Any, schema: dict[str, Any]) -> Predicate:
        if not is_number(limit):
            raise _Unsupported
        return lambda value: not is_number(value) or ok(value, limit)

    return build


def _multiple_of(compiler: _Compiler, divisor: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor <= 0:
        raise _Unsupported  # float divisors have rounding rules of their own

    def check(value: Any) -> bool:
        if not is_number(value):
            return True
        if not isinstance(value, int):
            raise Undecided
        return value % divisor == 0

    return check


def _pattern(compiler: _Compiler, pattern: Any, schema: dict[str, Any]) -> Predicate:
    if not isinstance(pattern, str):
        raise _Unsupported
    regex = python_pattern(pattern)
    return lambda value: not isinstance(value, str) or regex.search(value) is not None


def _unique_items(compiler: _Compiler, unique: Any, schema: dict[str, Any]) -> Predicate | None:
    if not unique:
        return None
    return lambda value: not isinstance(value, list) or _unique(value)


def _all_of(compiler: _Compiler, schemas: Any, schema: dict[str, Any]) -> Predicate:
    dispatch = _type_dispatch(compiler, schemas)
    if dispatch is not None:
        return dispatch
    checks = compiler.compile_all(schemas)
    return lambda value: all(check(value) for check in checks)


def _any_of(compiler: _Compiler, schemas: Any, schema: dict[str, Any]) -> Predicate:
    checks = compiler.compile_all(schemas)
    return lambda value: any(check(value) for check in checks)


def _one_of(compiler: _Compiler, schemas: Any, schema: dict[str, Any]) -> Predicate:
    checks = compiler.compile_all(schemas)
    return lambda value: sum(1 for check in checks if check(value)) == 1


def _not(compiler: _Compiler, negated: Any, schema: dict[str, Any]) -> Predicate:
    sub = compiler.compile(negated)
    return lambda value: not sub(value)


def _if(compiler: _Compiler, condition: Any, schema: dict[str, Any]) -> Predicate | None:
    then = compiler.compile(schema["then"]) if "then" in schema else None
    otherwise = compiler.compile(schema["else"]) if "else" in schema else None
    if then is None and otherwise is None:
        return None
    test = compiler.compile(condition)

    def check(value: Any) -> bool:
        if test(value):
            return then is None or then(value)
        return otherwise is None or otherwise(value)

    return check


def _type_dispatch(compiler: _Compiler, schemas: Any) -> Predicate | None:
    """The merged schema's `allOf` of `{if: {type: const T}, then}` entries, as one look-up.

    Exactly what the entries say: a non-object meets every `if` (`properties` and `required`
    only constrain objects), an object meets the `if` of the string in its `type`, if any.
    """
    if not isinstance(schemas, list) or not schemas:
        return None
    by_type: dict[str, Predicate] = {}
    for entry in schemas:
        name = dispatched_type(entry)
        if name is None or name in by_type:
            return None
        by_type[name] = compiler.compile(entry["then"])
    every = list(by_type.values())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return all(then(value) for then in every)
        name = value.get("type")
        then = by_type.get(name) if isinstance(name, str) else None
        return then is None or then(value)

    return check


_Builder = Callable[[_Compiler, Any, dict[str, Any]], Predicate | None]

#: Draft-07's assertion keywords, as `jsonschema.Draft7Validator` has them; `format` asserts
#: nothing there either, and every other keyword is an annotation.
_KEYWORDS: dict[str, _Builder] = {
    "additionalItems": _additional_items,
    "additionalProperties": _additional_properties,
    "allOf": _all_of,
    "anyOf": _any_of,
    "const": _const,
    "contains": _contains,
    "dependencies": _dependencies,
    "enum": _enum,
    "exclusiveMaximum": _bound(lambda value, limit: not value >= limit),
    "exclusiveMinimum": _bound(lambda value, limit: not value <= limit),
    "if": _if,
    "items": _items,
    "maxItems": _sized(TYPES["array"], lambda size, limit: size <= limit),
    "maxLength": _sized(TYPES["string"], lambda size, limit: size <= limit),
    "maxProperties": _sized(TYPES["object"], lambda size, limit: size <= limit),
    "maximum": _bound(lambda value, limit: not value > limit),
    "minItems": _sized(TYPES["array"], lambda size, limit: size >= limit),
    "minLength": _sized(TYPES["string"], lambda size, limit: size >= limit),
    "minProperties": _sized(TYPES["object"], lambda size, limit: size >= limit),
    "minimum": _bound(lambda value, limit: not value < limit),
    "multipleOf": _multiple_of,
    "not": _not,
    "oneOf": _one_of,
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "properties": _properties,
    "propertyNames": _property_names,
    "required": _required,
    "type": _type,
    "uniqueItems": _unique_items,
}
