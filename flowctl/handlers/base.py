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
from typing import Any, ClassVar, Protocol

from flowctl.effects import Effect

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


class Handler(Protocol):
    """Performs the effects of one channel."""

    def deliver(self, delivery: Delivery) -> Result:
        """Perform one effect; never raise for the receiver's failures."""

    def flush(self) -> None:
        """Make what was delivered durable (the outbox syncs its file) before the runtime
        records the results."""

    def close(self) -> None:
        """Release connections and files."""


class HandlerType(Protocol):
    """A registered handler class: its name, its configuration keys, and a factory."""

    name: ClassVar[str]
    #: Configuration keys beyond `handler`, each with a one-line description (for docs and
    #: for "unknown key" errors with a did-you-mean hint).
    options: ClassVar[Mapping[str, str]]

    @classmethod
    def from_config(
        cls, channel: str, options: Mapping[str, Any], base: Path, environ: Mapping[str, str]
    ) -> Handler:
        """The handler for `channel`, from its table (keys checked against `options`; paths
        relative to `base`, the configuration file's directory; secrets read from `environ`
        by the variable names the table gives). A mistake raises `ConfigError` naming the
        key (exit 2)."""
