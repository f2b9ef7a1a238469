"""IANA time zones by name: the one place that turns a zone name into a `tzinfo`.

`zoneinfo` also opens files that are not zones users mean: `localtime` (the machine's own
setting, different on every host), `Factory`, `posixrules`, and the `posix/` and `right/` copies
(the latter with leap seconds). A flow that names one would behave differently per machine or
oddly, so they are refused like unknown names.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import tzinfo

_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_ZONE_PREFIXES = ("posix/", "right/")


@functools.lru_cache(maxsize=512)
def zone(name: str) -> tzinfo | None:
    """The zone named `name` (`Europe/Berlin`, `UTC`), or None when it is not an IANA zone."""
    if name in _NOT_ZONES or name.startswith(_NOT_ZONE_PREFIXES):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None
