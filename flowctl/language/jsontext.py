"""Compact JSON text: no spaces, Unicode kept, keys in their order. The form of every JSON
value flowctl writes to a store, the outbox or a receiver.

One C encoder is made once and called for each value (`json.dumps` with these options makes
a `JSONEncoder` per call, and its `encode` a C encoder per call): a real run encodes a few
values per step. Values come from JSON or from flowctl itself, so they hold no cycles and no
circularity check is made.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_FALLBACK = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_C = (
    None
    if c_make_encoder is None  # an interpreter without json's C speedups
    else c_make_encoder(None, _refuse, encode_basestring, None, ":", ",", False, False, True)
)


def compact_json(value: Any) -> str:
    """`value` as compact JSON text; TypeError for what JSON cannot hold."""
    if _C is None:
        return _FALLBACK(value)
    if isinstance(value, str):
        return encode_basestring(value)
    return "".join(_C(value, 0))
