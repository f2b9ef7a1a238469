"""The effect kinds: a message send, an HTTP call, a contact update, a goal, a plugin's own.

Each kind is an immutable NamedTuple with its own methods: a node makes one per contact step,
and a tuple is built several times faster than a frozen dataclass. Like tuples, effects compare
by their fields: compare effects of one kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

#: The channel whose handler performs effects that name no channel of their own.
DEFAULT_CHANNEL = "default"
#: The channel of `webhook` nodes' requests (DESIGN §8).
HTTP_CHANNEL = "http"


@runtime_checkable
class Effect(Protocol):
    """What every effect offers: its JSON form keyed by its kind, words, and a channel."""

    @property
    def kind(self) -> str:
        """The JSON key of the effect: `send`, `webhook`, `update`, `goal`, a plugin's own."""
        ...

    @property
    def channel(self) -> str:
        """The configuration channel (`[tool.flowctl.channels.NAME]`) whose handler acts."""
        ...

    def to_json(self) -> dict[str, Any]:
        """`{kind: detail}`: the trace's `effect` object, and the outbox's."""
        ...

    def describe(self, simulated: bool = True) -> str:
        """One line for a timeline: what would happen (dry run) or what happened."""
        ...


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


class SendMessage(NamedTuple):
    """A templated message to the contact on a channel (`send_message`)."""

    channel: str
    template_id: str
    to: str
    params: Mapping[str, Any] | None = None

    @property
    def kind(self) -> str:
        return "send"

    def to_json(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "channel": self.channel,
            "template_id": self.template_id,
            "to": self.to,
        }
        if self.params is not None:
            message["params"] = self.params
        return {"send": message}

    def describe(self, simulated: bool = True) -> str:
        verb = "would send" if simulated else "sent"
        text = f"{verb} {self.channel} {self.template_id!r} to {self.to}"
        return text + (f" with {_json(self.params)}" if self.params is not None else "")

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> SendMessage:
        return cls(detail["channel"], detail["template_id"], detail["to"], detail.get("params"))


class HttpCall(NamedTuple):
    """An HTTP request with rendered url, headers and body (`webhook` nodes)."""

    method: str
    url: str
    timeout: str
    headers: Mapping[str, str] | None = None
    body: Any = None
    has_body: bool = False  # a body of JSON null is a body

    @property
    def kind(self) -> str:
        return "webhook"

    @property
    def channel(self) -> str:
        return HTTP_CHANNEL

    def to_json(self) -> dict[str, Any]:
        request: dict[str, Any] = {"method": self.method, "url": self.url}
        if self.headers is not None:
            request["headers"] = self.headers
        if self.has_body:
            request["body"] = self.body
        request["timeout"] = self.timeout
        return {"webhook": request}

    def describe(self, simulated: bool = True) -> str:
        text = f"{'would call' if simulated else 'called'} {self.method} {self.url}"
        return text + (f" with body {_json(self.body)}" if self.has_body else "")

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> HttpCall:
        method, url, timeout = detail["method"], detail["url"], detail["timeout"]
        return cls(
            method, url, timeout, detail.get("headers"), detail.get("body"), "body" in detail
        )


class ContactUpdate(NamedTuple):
    """Attributes set and removed on the contact (`update_contact`)."""

    set: Mapping[str, Any] | None = None
    unset: tuple[str, ...] | None = None

    @property
    def kind(self) -> str:
        return "update"

    @property
    def channel(self) -> str:
        return DEFAULT_CHANNEL

    def to_json(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if self.set:
            changes["set"] = dict(self.set)
        if self.unset:
            changes["unset"] = list(self.unset)
        return {"update": changes}

    def describe(self, simulated: bool = True) -> str:
        changes = [f"{path}={_json(value)}" for path, value in (self.set or {}).items()]
        changes += [f"unset {path}" for path in self.unset or ()]
        return f"{'would update' if simulated else 'updated'} " + ", ".join(changes)

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> ContactUpdate:
        unset = detail.get("unset")
        return cls(detail.get("set"), None if unset is None else tuple(unset))


class GoalReached(NamedTuple):
    """The contact converted (`goal`)."""

    name: str

    @property
    def kind(self) -> str:
        return "goal"

    @property
    def channel(self) -> str:
        return DEFAULT_CHANNEL

    def to_json(self) -> dict[str, Any]:
        return {"goal": {"name": self.name}}

    def describe(self, simulated: bool = True) -> str:
        return f"goal {self.name!r} reached: converted"

    @classmethod
    def from_detail(cls, detail: Mapping[str, Any]) -> GoalReached:
        return cls(detail["name"])


class OtherEffect(NamedTuple):
    """A plugin node's effect given as plain JSON data `{kind: detail}`."""

    kind: str
    data: Any = None

    @property
    def channel(self) -> str:
        return DEFAULT_CHANNEL

    def to_json(self) -> dict[str, Any]:
        return {self.kind: self.data}

    def describe(self, simulated: bool = True) -> str:
        return f"{'would ' if simulated else ''}{self.kind} {_json(self.data)}"


#: The built-in kinds by their JSON key; any other key reads back as an `OtherEffect`.
KINDS: dict[str, Any] = {
    "goal": GoalReached,
    "send": SendMessage,
    "update": ContactUpdate,
    "webhook": HttpCall,
}


def as_effect(value: Effect | Mapping[str, Any]) -> Effect:
    """An effect from a node's outcome: typed already, or a plugin's `{kind: detail}` mapping."""
    if isinstance(value, Mapping):
        (kind, detail), *_ = value.items()
        return OtherEffect(str(kind), detail)
    return value


def effect_from_json(data: Mapping[str, Any]) -> Effect:
    """The effect back from its `to_json()` form."""
    (kind, detail), *_ = data.items()
    known = KINDS.get(kind)
    if known is None or not isinstance(detail, Mapping):
        return OtherEffect(str(kind), detail)
    effect: Effect = known.from_detail(detail)
    return effect
