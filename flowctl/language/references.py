"""`{{ }}` references in message params and webhook url, headers and body (DESIGN §4).

`{{ id }}` is the contact id and `{{ attributes.PATH }}` one of its attributes. A string that is
exactly one reference keeps the value's JSON type; anywhere else a value is interpolated as text.
There is no escape for a literal `{{`: flows have had no need for one.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flowctl.diagnostics.findings import Finding, Path
from flowctl.language.contacts import Contact, ContactError, get_attribute, split_path
from flowctl.words import closest, show

RULE = "invalid-reference"
TEMPLATE_DESCRIPTION = (
    "Text in which `{{ id }}` is the contact id and `{{ attributes.PATH }}` an attribute (dots "
    "for nesting); a value that is exactly one reference keeps the attribute's type."
)

# Non-greedy: a reference ends at the first `}}`. Whitespace inside the braces is optional.
_REFERENCE_RE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PREFIX = "attributes."
_EXPECTED = "expected {{ id }} or {{ attributes.PATH }}"


def check_references(value: Any, path: Path) -> Iterator[Finding]:
    """`invalid-reference` findings for the strings anywhere inside `value` (keys are not read).

    Each finding is at the path of the string that holds the bad reference.
    """
    stack: list[tuple[Any, Path]] = [(value, tuple(path))]
    while stack:  # an explicit stack, so deep JSON bodies cannot exhaust Python's
        item, where = stack.pop()
        if isinstance(item, str):
            yield from _check_text(item, where)
        elif isinstance(item, Mapping | list):
            pairs = item.items() if isinstance(item, Mapping) else enumerate(item)
            stack.extend((child, (*where, key)) for key, child in reversed(list(pairs)))


def _check_text(text: str, where: Path) -> Iterator[Finding]:
    end = 0
    for match in _REFERENCE_RE.finditer(text):
        end = match.end()
        problem = _problem(match[1].strip())
        if problem is not None:
            message, hint = problem
            subject = show(text) if match[0] == text else f"{show(match[0])} in {show(text)}"
            yield Finding(RULE, f"{subject}: {message}", where, hint=hint)
    if "{{" in text[end:]:
        message = f"{show(text)} opens a reference with '{{{{' but never closes it with '}}}}'"
        yield Finding(RULE, message, where)


def _problem(name: str) -> tuple[str, str | None] | None:
    """What is wrong with a reference name (the text between the braces), with a hint."""
    if name == "id":
        return None
    if not name:
        return f"the reference is empty; {_EXPECTED}", None
    if name in ("attributes", _PREFIX):
        return "'attributes' needs a path, e.g. {{ attributes.first_name }}", None
    if name.startswith(_PREFIX):
        try:
            split_path(name.removeprefix(_PREFIX))
        except ContactError as error:
            return str(error), None
        return None
    return f"names neither the contact id nor an attribute; {_EXPECTED}", _hint(name)


def _hint(name: str) -> str | None:
    head, dot, rest = name.partition(".")
    if name.lower() in ("id", "contact.id"):
        return "did you mean 'id'?"
    close = head == "contact" or closest(head, ["attributes"], cutoff=0.5) is not None
    if dot and close and _is_path(rest):
        return f"did you mean 'attributes.{rest}'?"  # attribute.x, attrs.x, contact.x
    if not dot and _is_path(name):
        return f"did you mean 'attributes.{name}'?"  # a bare {{ first_name }}
    return None


def _is_path(text: str) -> bool:
    try:
        split_path(text)
    except ContactError:
        return False
    return True


def render(value: Any, contact: Contact) -> tuple[Any, tuple[str, ...]]:
    """`(rendered value, missing reference names)`, e.g. `("Hi ", ("attributes.first_name",))`.

    Strings are rendered anywhere inside dicts and lists; other values are kept. A missing
    attribute renders as "" and is named once in `missing`. A reference `check_references`
    rejects is left as written. The flow's own nesting bounds the recursion.
    """
    return template(value)(contact)


def template(value: Any, as_text: bool = False) -> Callable[[Contact], tuple[Any, tuple[str, ...]]]:
    """`render` for a value rendered many times (a flow node, per contact): parsed once, here.

    With `as_text`, a string that is exactly one reference renders as text too (a URL or an
    HTTP header has no other type), instead of keeping the attribute's JSON type.
    """
    renderer = _compile(value, as_text)

    def render_for(contact: Contact) -> tuple[Any, tuple[str, ...]]:
        missing: list[str] = []
        rendered = renderer(contact, missing)
        return rendered, tuple(dict.fromkeys(missing)) if missing else ()

    return render_for


# A compiled value: renders it for a contact, appending the names it could not resolve.
_Renderer = Callable[[Contact, list[str]], Any]


def _compile(value: Any, as_text: bool) -> _Renderer:
    if isinstance(value, str):
        return _compile_text(value, as_text)
    if isinstance(value, Mapping):
        items = [(key, _compile(child, as_text)) for key, child in value.items()]
        return lambda contact, missing: {key: child(contact, missing) for key, child in items}
    if isinstance(value, list):
        children = [_compile(child, as_text) for child in value]
        return lambda contact, missing: [child(contact, missing) for child in children]
    return lambda contact, missing: value


def _compile_text(text: str, as_text: bool) -> _Renderer:
    if "{{" not in text:
        return lambda contact, missing: text
    matches = list(_REFERENCE_RE.finditer(text))
    if not as_text and len(matches) == 1 and matches[0].span() == (0, len(text)):
        name = matches[0][1].strip()
        if _problem(name) is None:
            return functools.partial(_render_exact, name)
    # Literal text and reference names, alternating; a rejected reference stays in the text.
    parts: list[str] = []
    end = 0
    for match in matches:
        name = match[1].strip()
        if _problem(name) is None:
            parts += [text[end : match.start()], name]
            end = match.end()
    parts.append(text[end:])
    return functools.partial(_interpolate, parts)


def _render_exact(name: str, contact: Contact, missing: list[str]) -> Any:
    """A string that is exactly one reference: the value itself, with its JSON type."""
    found, value = _resolve(name, contact)
    if not found:
        missing.append(name)
        return ""
    if isinstance(value, dict | list):
        return copy.deepcopy(value)  # the contact is shared: hand out a copy
    return value


def _interpolate(parts: list[str], contact: Contact, missing: list[str]) -> str:
    pieces = [parts[0]]
    for index in range(1, len(parts), 2):
        name = parts[index]
        found, value = _resolve(name, contact)
        if not found:
            missing.append(name)
        elif isinstance(value, str):
            pieces.append(value)
        else:
            pieces.append(_as_text(value))
        pieces.append(parts[index + 1])
    return "".join(pieces)


def _resolve(name: str, contact: Contact) -> tuple[bool, Any]:
    if name == "id":
        return True, contact.id
    return get_attribute(contact.attributes, name.removeprefix(_PREFIX))


def _as_text(value: Any) -> str:
    """Compact JSON: `42`, `true`, `null`, `["a","b"]`; anything else (a date) as str()."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
