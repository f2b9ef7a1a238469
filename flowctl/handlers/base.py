"""The effect-handler contract: what one module must define to perform effects for a channel.

A handler is a class registered under the `flowctl.handlers` entry-point group (the built-ins
`outbox`, `smtp` and `http` come through the same door). The configuration picks one per
channel (`[tool.flowctl.channels.NAME]`, `handler = "smtp"`); `from_config` builds it from that
table once per command, and the runtime then calls `deliver` for each effect, in order, and
`flush` after a batch, before it records the results.

A handler reports failures as data (`Result`), never by raising: an exception escaping
`deliver` is treated as a retryable failure with its text as the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flowctl.config.options import Options
from flowctl.effects import Effect
from flowctl.engine.trace import iso
from flowctl.errors import FlowctlError

DELIVERED = "delivered"
SKIPPED = "skipped"  # the handler cannot reach the contact: the run moves on
RETRY = "retry"  # a transient failure: tried again after a back-off, until attempts run out
FAILED = "failed"  # a permanent failure: the run fails at the node


@dataclass(frozen=True, slots=True)
class Delivery:
    """One effect to perform. `key` is the same on every attempt and after every crash:
    handlers pass it on (`Message-ID`, `Idempotency-Key`) so that the receiver can drop a
    repeat. `in_doubt` says that an earlier attempt may have gone through (its result was
    never recorded: the process died)."""

    key: str
    run: str
    flow: str
    contact: str
    node: str
    at: datetime
    effect: Effect
    attributes: Mapping[str, Any]  # the contact's attributes when the step ran
    attempt: int = 1
    in_doubt: bool = False

    def envelope(self) -> dict[str, Any]:
        """The effect with where it comes from, as the outbox writes it and `http` posts it:
        `{"key", "run", "flow", "contact", "node", "at", "effect"}`, `at` in UTC with a `Z`
        and `effect` exactly the dry run's effect object of the step."""
        return {
            "key": self.key,
            "run": self.run,
            "flow": self.flow,
            "contact": self.contact,
            "node": self.node,
            "at": iso(self.at),
            "effect": self.effect.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Result:
    """How a delivery went. `reply` is kept for `runs show` (JSON data); `retry_after` is the
    receiver's own wish, in seconds (HTTP `Retry-After`), honoured over the back-off."""

    status: str
    reply: Any = None
    error: str | None = None
    retry_after: float | None = None

    @classmethod
    def delivered(cls, reply: Any = None) -> Result:
        return cls(DELIVERED, reply)

    @classmethod
    def skipped(cls, reason: str) -> Result:
        return cls(SKIPPED, error=reason)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None, reply: Any = None) -> Result:
        return cls(RETRY, reply, error, retry_after)

    @classmethod
    def failed(cls, error: str, reply: Any = None) -> Result:
        return cls(FAILED, reply, error)


class HandlerError(FlowctlError):
    """A handler cannot make its deliveries durable, e.g. the outbox's disk is full (exit 2)."""


class Handler(Protocol):
    """Performs the effects of one channel.

    By default the runtime records each result (after `flush`) before the next delivery, so a
    crash re-sends at most the one effect in flight. A handler that finds a re-sent key by
    itself (the outbox) sets a class attribute `confirms_in_batches = True`; its results are
    then recorded once per batch."""

    def deliver(self, delivery: Delivery) -> Result:
        """Perform one effect; never raise for the receiver's failures."""

    def flush(self) -> None:
        """Make what was delivered durable (the outbox syncs its file) before the runtime
        records the results. Raises `HandlerError` when it cannot: then none of the results
        since the last flush may be recorded as delivered (they stay in doubt)."""

    def close(self) -> None:
        """Release connections and files."""


class HandlerType(Protocol):
    """A registered handler class (the class object itself matches this protocol): its name,
    its configuration keys, and a factory."""

    # Read-only properties here, so that a class object matches (mypy cannot match a ClassVar
    # protocol member); a handler class declares both as plain class attributes (ClassVar).
    @property
    def name(self) -> str:
        """The `handler = "..."` name; it must equal the entry point's name."""
        ...

    @property
    def options(self) -> Mapping[str, str]:
        """Configuration keys beyond `handler`, each with a one-line description (for docs
        and for "unknown key" errors with a did-you-mean hint)."""
        ...

    @classmethod
    def from_config(
        cls, channel: str, options: Options, base: Path, environ: Mapping[str, str]
    ) -> Handler:
        """The handler for `channel`, from its table (keys already checked against `options`;
        paths relative to `base`, the configuration file's directory; secrets read from
        `environ` by the variable names the table gives). A mistake raises `ConfigError`
        naming the key (exit 2): `options`' readers do. Nothing is opened or connected yet:
        that waits for the first delivery, so a command that delivers nothing touches nothing.
        Channels that share one table (every channel that uses the outbox) share one handler,
        built with the first of them."""
