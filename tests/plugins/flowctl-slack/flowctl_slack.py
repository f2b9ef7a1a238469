"""A third-party node type: post a note to a Slack channel. One module, nothing else edited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from flowctl.diagnostics.findings import Finding
from flowctl.nodes.base import NodeSpec, NodeType, object_schema


class SlackNotify(NodeType):
    """Tell the team on Slack that a contact got here."""

    name = "slack_notify"
    summary = "Post a note about the contact to a Slack channel."
    config_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "channel": {"type": "string", "description": "Channel name, starting with '#'."},
            "text": {"type": "string", "minLength": 1, "description": "The note."},
        },
        required=("channel", "text"),
    )
    example: ClassVar[dict[str, Any]] = {
        "type": "slack_notify",
        "config": {"channel": "#growth", "text": "a VIP converted"},
    }

    def check(self, node: NodeSpec) -> Iterator[Finding]:
        channel = node.config.get("channel", "")
        if not channel.startswith("#"):
            yield Finding(
                "schema",
                "must start with '#'",
                (*node.config_path, "channel"),
                hint=f"write '#{channel}'",
            )
