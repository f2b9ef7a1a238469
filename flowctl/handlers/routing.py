"""The handlers of one command, built from the configuration, and found by an effect's channel.

`build_handlers(config, registry)` builds one handler per configuration table in use: every
channel without a table of its own (and every one whose handler is `outbox`) shares the one
outbox. All of them are built before the first effect, so a mistake in any table stops the
command (exit 2) before anything happens; none opens a file or a connection until it delivers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from flowctl.config.channels import CHANNELS, Channels, ChannelTable
from flowctl.config.limits import LIMIT_OPTIONS, ChannelLimits
from flowctl.config.settings import Config
from flowctl.effects import Effect
from flowctl.errors import ConfigError
from flowctl.handlers.base import Delivery, Handler, Result
from flowctl.handlers.registry import HandlerRegistry
from flowctl.words import did_you_mean


class ChannelHandlers:
    """Handlers by channel; `close()` (or leaving a `with` block) releases them all."""

    def __init__(self, channels: Channels, built: Mapping[str, Handler]) -> None:
        self._channels = channels
        self._by_table = dict(built)  # keyed by the table's `where`

    def for_channel(self, channel: str) -> Handler:
        """The handler for a channel name; a name outside the configurable ones is `default`'s."""
        return self._by_table[self._channels.table(channel).where]

    def limits(self, channel: str) -> ChannelLimits | None:
        """The rate limit and error budget of a channel, if its table sets them."""
        return self._channels.limits(channel)

    def for_effect(self, effect: Effect) -> Handler:
        return self.for_channel(effect.channel)

    def deliver(self, delivery: Delivery) -> Result:
        """Hand a delivery to its channel's handler; an exception that escapes the handler is a
        retryable failure with its text as the error, as `Handler` promises."""
        try:
            return self.for_effect(delivery.effect).deliver(delivery)
        except Exception as exc:
            return Result.retry(f"{type(exc).__name__}: {exc}")

    def __iter__(self) -> Iterator[Handler]:
        """Each handler once."""
        return iter(self._by_table.values())

    def flush(self) -> None:
        """Flush every handler (the outbox syncs its file): call before recording results."""
        for handler in self:
            handler.flush()

    def close(self) -> None:
        """Close every handler, each even when another fails."""
        with ExitStack() as stack:
            for handler in self:
                stack.callback(handler.close)

    def __enter__(self) -> ChannelHandlers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_handlers(
    config: Config, registry: HandlerRegistry, environ: Mapping[str, str] | None = None
) -> ChannelHandlers:
    """The handlers the configuration chooses for every channel. Paths are relative to the
    configuration file's directory (the working directory without one); secrets come from
    `environ` (the process environment by default). A mistake is a `ConfigError` naming the
    key (exit 2); a handler plugin that cannot be imported is a `PluginError` (exit 2)."""
    environment = os.environ if environ is None else environ
    built: dict[str, Handler] = {}
    try:
        for channel in CHANNELS:
            table = config.channels.table(channel)
            if table.where not in built:
                built[table.where] = _build(table, channel, registry, config.root, environment)
    except BaseException:
        ChannelHandlers(config.channels, built).close()
        raise
    return ChannelHandlers(config.channels, built)


def _build(
    table: ChannelTable,
    channel: str,
    registry: HandlerRegistry,
    base: Path,
    environ: Mapping[str, str],
) -> Handler:
    handler_type = registry.get(table.handler)
    if handler_type is None:
        names = registry.names()
        hint = did_you_mean(table.handler, names) or f"installed handlers: {', '.join(names)}"
        raise ConfigError(f"{table.where}.handler: unknown handler '{table.handler}'; {hint}")
    # The limit keys were read out already; a misspelt one is still hinted at.
    table.options.check_known(handler_type.options, table.handler, also=LIMIT_OPTIONS)
    return handler_type.from_config(channel, table.options, base, environ)
