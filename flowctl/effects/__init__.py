"""Effects as data: what a run does to the world, decided by nodes, performed only by handlers.

Each kind is a small frozen type that owns its JSON form (the `effect` of a DESIGN §7 trace
step, byte for byte), its one-line words for the timeline, and the configuration channel whose
handler performs it. A node returns one in its `Outcome`; a dry run records it, a real run
commits its intent and hands it to the channel's handler.
"""

from __future__ import annotations

from flowctl.effects.kinds import (
    KINDS,
    ContactUpdate,
    Effect,
    GoalReached,
    HttpCall,
    OtherEffect,
    SendMessage,
    as_effect,
    effect_from_json,
)

__all__ = [
    "KINDS",
    "ContactUpdate",
    "Effect",
    "GoalReached",
    "HttpCall",
    "OtherEffect",
    "SendMessage",
    "as_effect",
    "effect_from_json",
]
