"""A third-party effect handler: a memo line per effect in a text file. One module, nothing else
edited."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from flowctl.config.options import Options
from flowctl.handlers.base import Delivery, Result


class Memo:
    """Writes `KEY KIND CHANNEL` lines; `fail = "..."` makes every delivery raise."""

    name: ClassVar[str] = "memo"
    options: ClassVar[Mapping[str, str]] = {
        "path": "the memo file, relative to the configuration file (required)",
        "fail": "a message to raise with on every delivery (for tests of crashing handlers)",
    }

    def __init__(self, path: Path, channel: str, fail: str | None) -> None:
        self.path, self.channel, self.fail = path, channel, fail

    @classmethod
    def from_config(
        cls, channel: str, options: Options, base: Path, environ: Mapping[str, str]
    ) -> Memo:
        return cls(base / options.text("path"), channel, options.optional_text("fail"))

    def deliver(self, delivery: Delivery) -> Result:
        if self.fail:
            raise RuntimeError(self.fail)
        with self.path.open("a", encoding="utf-8") as memo:
            memo.write(f"{delivery.key} {delivery.effect.kind} {self.channel}\n")
        return Result.delivered()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass
