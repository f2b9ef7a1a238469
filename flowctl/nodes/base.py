"""The node-type contract: what one module must define to add a node type to flowctl.

A node type is a subclass of `NodeType` registered under the `flowctl.nodes` entry-point group.
It carries its name, a one-line summary, the JSON Schema fragment of its `config`, its exits, an
example, a hook for checks JSON Schema cannot express, and its execution logic (`execute`, or
`prepare` for per-node work done once per flow). Fragments may reference the shared definitions of
the merged schema: `#/definitions/duration`, `#/definitions/time_of_day` and
`#/definitions/condition`.

Execution never performs I/O and never sleeps: a node returns an `Outcome` whose `effect` is data
(what to send or call, a `flowctl.effects.Effect`) and whose `at`/`awaits` declare a wait. The
engine core decides when a wait ends, from timestamps; a dry run records effects, a real run hands
them to effect handlers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple

from flowctl.diagnostics.findings import Finding, Path
from flowctl.effects import Effect
from flowctl.language.contacts import Contact
from flowctl.language.references import template


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

    @classmethod
    def of(cls, node_id: str, type_name: str, node: Mapping[str, Any]) -> NodeSpec:
        """The spec of `nodes.<node_id>` of a flow document, a node of type `type_name`."""
        return cls(node_id, type_name, node.get("config") or {}, ("nodes", node_id))

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


#: `retry` of the node types whose effects a handler may fail to deliver (real runs).
RETRY_DEFAULTS: dict[str, Any] = {"max_attempts": 5, "backoff": "30s", "max_backoff": "1h"}
RETRY_SCHEMA: dict[str, Any] = object_schema(
    {
        "max_attempts": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": RETRY_DEFAULTS["max_attempts"],
            "description": "Deliveries tried before the run fails (the first one included).",
        },
        "backoff": {
            "$ref": "#/definitions/duration",
            "default": RETRY_DEFAULTS["backoff"],
            "description": "Wait before the second attempt; doubled for each later one, "
            "with jitter. A receiver's Retry-After wins.",
        },
        "max_backoff": {
            "$ref": "#/definitions/duration",
            "default": RETRY_DEFAULTS["max_backoff"],
            "description": "The longest wait between two attempts.",
        },
    },
    description="Real runs: how a failed delivery is retried (429, 5xx, time-outs, a server "
    "that is down). Other failures fail the run at once.",
)


# Final statuses of a run (DESIGN §7). A node ends the run early with `filtered`, `converted`
# or `failed`; a path that runs out of nodes ends `completed`.
COMPLETED = "completed"
FILTERED = "filtered"
CONVERTED = "converted"
FAILED = "failed"
STATUSES = (COMPLETED, FILTERED, CONVERTED, FAILED)


# RunContext and Outcome are NamedTuples, not dataclasses: one of each is made per node step, and
# a tuple is built several times faster than a frozen dataclass. Both are immutable all the same.
class RunContext(NamedTuple):
    """What a node sees when it runs for one contact."""

    contact: Contact
    now: datetime  # the simulated clock when the node starts; aware, in UTC
    timezone: tzinfo  # the flow's `settings.timezone`, else UTC
    seed: int | None = None  # `--seed`: salts the `split` hash


class Awaited(NamedTuple):
    """An event that ends a wait early: the first one called `event` whose properties match
    `where`, after the wait starts and at or before its deadline, makes the contact leave by
    `exit` at the event's time."""

    event: str
    where: Mapping[str, Any]
    exit: str


class Outcome(NamedTuple):
    """What running a node for one contact did; every field is optional.

    `exit` is the exit taken (None for one exit or none). `effect` is what a real run does
    (a `flowctl.effects.Effect`; a plugin may give plain `{kind: detail}` data); nodes never
    perform it. `at` declares a wait: the contact leaves the node at that time (None: at once),
    unless the event `awaits` describes comes first. `status` ends the run (`filtered`,
    `converted`, `failed` with `error`). `contact` is the updated contact, which later nodes
    see. `warnings` are plain sentences for the trace (a missing `{{ }}` reference).

    In a run's trace the outcome of a node that waited says how the wait ended: its `exit`
    and its `at` are those it left by.
    """

    exit: str | None = None
    effect: Effect | Mapping[str, Any] | None = None
    at: datetime | None = None
    status: str | None = None
    contact: Contact | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None
    awaits: Awaited | None = None


Step = Callable[[RunContext], Outcome]
"""One prepared node: runs it for one contact."""


_MISSING = "{{{{ {} }}}} is missing; rendered as empty text"


def renderer(value: Any, as_text: bool = False) -> Callable[[Contact], tuple[Any, tuple[str, ...]]]:
    """Fills `value`'s `{{ }}` references for a contact, with a warning per missing attribute.

    The value is parsed once, here; call the result per contact. `as_text`: every string
    renders as text, even one that is exactly a reference to a number or a list.
    """
    fill = template(value, as_text)

    def render_for(contact: Contact) -> tuple[Any, tuple[str, ...]]:
        result, missing = fill(contact)
        return result, tuple(_MISSING.format(name) for name in missing) if missing else ()

    return render_for


@dataclass(frozen=True, slots=True)
class Decision:
    """A condition a node decides by, as its type declares it (`NodeType.decisions`).

    A node tests its decisions in order and the first that holds decides: the contact leaves by
    `exit` (None: the node's single exit). When none holds, the node's fallback applies (a
    branch's `default`, a filter's `filtered`), so `exit` is taken only when `condition` holds.
    `path` is where the condition sits in the flow file.
    """

    label: str  # how reports name it: "case 'shoes'", "condition"
    condition: Mapping[str, Any]
    exit: str | None
    path: Path


class NodeType:
    """Base class of every node type; subclasses set the class attributes and may override hooks.

    Subclasses are instantiated once, with no arguments, by the registry.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    config_schema: ClassVar[dict[str, Any]] = object_schema({})
    exits: ClassVar[Exits] = ONE_EXIT
    example: ClassVar[dict[str, Any]] = {}
    #: Whether the exits are A/B variants: reports then show how each one converted.
    variant_exits: ClassVar[bool] = False
    #: Whether reaching the node converts the contact (a goal): validation checks some path can.
    converts: ClassVar[bool] = False
    #: Whether the node only holds the contact (a delay): one that nothing follows is useless.
    only_waits: ClassVar[bool] = False

    def decisions(self, node: NodeSpec) -> tuple[Decision, ...]:
        """The conditions the node decides by, in the order it tests them; none by default.

        Dry runs explain them (`--explain`) and validation checks them (shadowed cases,
        contradictions), so a type that routes by conditions should declare them and decide
        by them, in this order, in `prepare`. Called only on a config the schema accepted and
        `check` found nothing in, so `check` must report a malformed condition (with
        `flowctl.language.conditions.check_condition`).
        """
        return ()

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

    def prepare(self, node: NodeSpec) -> Step:
        """The function that runs `node` for one contact; called once per node per flow run.

        Override it to do per-node work once (parse durations, bind conditions) and return a
        closure. By default each contact goes through `execute`; a type that defines neither
        makes every run that reaches it fail, with a message naming the type.
        """
        if type(self).execute is NodeType.execute:
            outcome = Outcome(
                status=FAILED,
                error=f"node type '{self.name}' cannot run: it defines no execute() or prepare()",
            )
            return lambda ctx: outcome
        return functools.partial(self.execute, node)

    def execute(self, node: NodeSpec, ctx: RunContext) -> Outcome:
        """Run `node` for the contact in `ctx`: the exit taken, the effect, when it resumes.

        Must not perform I/O or mutate `ctx`. Override this or `prepare`, not both.
        """
        return self.prepare(node)(ctx)
