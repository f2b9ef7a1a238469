"""Which handler performs each channel's effects: `[tool.flowctl.channels.NAME]` and
`[tool.flowctl.outbox]`, read with the rest of the configuration.

A channel table names its `handler`; its other keys are that handler's options, checked against
the handler's own list when the handlers are built (`flowctl.handlers.routing`), since only the
handler knows them. A channel without a table, and one whose handler is `outbox`, uses the one
outbox that `[tool.flowctl.outbox]` configures: one file for the whole command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flowctl.config.limits import ChannelLimits, read_limits
from flowctl.config.options import Options
from flowctl.effects.kinds import DEFAULT_CHANNEL, HTTP_CHANNEL
from flowctl.errors import ConfigError
from flowctl.words import did_you_mean, show

#: The channels of `send_message` nodes.
SEND_CHANNELS = ("email", "sms", "push", "webhook")
#: Every channel a table may configure: `http` is `webhook` nodes', `default` everything else's.
CHANNELS = (*SEND_CHANNELS, HTTP_CHANNEL, DEFAULT_CHANNEL)
OUTBOX = "outbox"
DEFAULT_OUTBOX_PATH = ".flowctl/outbox.jsonl"
#: The keys of `[tool.flowctl.outbox]`; the outbox handler documents itself with them.
OUTBOX_OPTIONS = {
    "path": f"the file effects are appended to, relative to the configuration file "
    f"(default `{DEFAULT_OUTBOX_PATH}`)",
}


@dataclass(frozen=True)
class ChannelTable:
    """A handler and its options, as one configuration table gives them; `where` names the
    table in messages (`pyproject.toml: tool.flowctl.channels.email`)."""

    handler: str
    options: Options = field(default_factory=Options)
    limits: ChannelLimits | None = None  # `rate`, `burst`, `error_budget`, `pause`

    @property
    def where(self) -> str:
        return self.options.where


@dataclass(frozen=True)
class Channels:
    """The channel tables of a configuration; the defaults send everything to the outbox."""

    tables: dict[str, ChannelTable] = field(default_factory=dict)
    outbox: ChannelTable = field(
        default_factory=lambda: ChannelTable(OUTBOX, Options(where=OUTBOX))
    )

    def table(self, channel: str) -> ChannelTable:
        """The table whose handler performs a channel's effects: the channel's own, else the
        outbox's. A channel name outside `CHANNELS` (a plugin effect's) is `default`'s."""
        own = self.tables.get(table_name(channel))
        return self.outbox if own is None or own.handler == OUTBOX else own

    def handler_name(self, channel: str) -> str:
        """The name of the handler that performs a channel's effects."""
        return self.table(channel).handler

    def limits(self, channel: str) -> ChannelLimits | None:
        """The rate limit and error budget of a channel's own table, whatever its handler."""
        own = self.tables.get(table_name(channel))
        return None if own is None else own.limits


def table_name(channel: str) -> str:
    """The channel table that configures `channel`: its own, or `default` for a name outside
    `CHANNELS` (a plugin effect's)."""
    return channel if channel in CHANNELS else DEFAULT_CHANNEL


class Checks(Protocol):
    """What the configuration reader offers: messages naming the file, and table checks."""

    where: str  # the file and the table prefix: "pyproject.toml: tool.flowctl."

    def fail(self, key: str, problem: str) -> ConfigError: ...

    def table(self, key: str, value: Any, example: str) -> dict[str, Any]: ...


def read_channels(check: Checks, channels: Any, outbox: Any) -> Channels:
    """The `channels` and `outbox` tables, checked as far as the configuration alone can."""
    tables = {
        name: _channel(check, name, table)
        for name, table in check.table("channels", channels, '{email = {handler = "smtp"}}').items()
    }
    options = Options(
        check.table("outbox", outbox, f'{{path = "{DEFAULT_OUTBOX_PATH}"}}'), check.where + "outbox"
    )
    options.check_known(OUTBOX_OPTIONS, OUTBOX)
    options.text("path", DEFAULT_OUTBOX_PATH)
    return Channels(tables, ChannelTable(OUTBOX, options))


def _channel(check: Checks, name: str, value: Any) -> ChannelTable:
    key = f"channels.{name}"
    if name not in CHANNELS:
        hint = did_you_mean(name, CHANNELS) or f"the channels are {', '.join(CHANNELS)}"
        raise check.fail(key, f"unknown channel; {hint}")
    table = check.table(key, value, '{handler = "smtp", host = "smtp.example.com"}')
    handler = table.get("handler")
    if handler is None:
        raise check.fail(f"{key}.handler", 'is required: the handler to use, e.g. "smtp"')
    if not (isinstance(handler, str) and handler):
        raise check.fail(
            f"{key}.handler", f'must be a handler name such as "smtp", not {show(handler)}'
        )
    options = Options({k: v for k, v in table.items() if k != "handler"}, check.where + key)
    limits, options = read_limits(options)
    if handler == OUTBOX:
        for extra in options:
            raise options.fail(
                extra,
                "unknown key; the outbox is set up once, in the `outbox` table, for "
                "every channel that uses it (a channel table takes `handler`, `rate`, "
                "`burst`, `error_budget` and `pause`)",
            )
    return ChannelTable(handler, options, limits)
