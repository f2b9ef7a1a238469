"""The entry points of a group, remembered between runs so that start-up skips importlib.metadata.

Importing importlib.metadata and scanning every distribution takes longer than validating a
flow does. The entry points found are cached in the user's cache directory under a fingerprint
of all the metadata on `sys.path`: the name of every `*.dist-info` and `*.egg-info` entry and
the size and modification time of its `entry_points.txt`. Installing, removing, upgrading or
reinstalling any distribution changes the fingerprint, and the next run scans again. Set
FLOWCTL_NO_CACHE=1 to always scan; FLOWCTL_CACHE_DIR moves the cache.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

_METADATA = (".dist-info", ".egg-info")
_KEPT = 16  # cache files kept: one per set of installed distributions (and sys.path) seen


@dataclass(frozen=True, slots=True)
class Target:
    """An entry point: its name, its `module:attribute` value and its distribution."""

    name: str
    value: str
    distribution: str

    def load(self) -> object:
        """Import the module and look the attribute up, as `EntryPoint.load` does."""
        module, _, attribute = self.value.partition(":")
        found: object = importlib.import_module(module.strip())
        for part in attribute.strip().split(".") if attribute.strip() else ():
            found = getattr(found, part)
        return found


def cache_dir() -> Path:
    if os.environ.get("FLOWCTL_CACHE_DIR"):
        return Path(os.environ["FLOWCTL_CACHE_DIR"])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "flowctl" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flowctl"


def fingerprint(group: str) -> str | None:
    """A digest of every distribution's entry points on sys.path; None when some source of
    distributions is not a plain directory scan (a custom finder), so the cache cannot tell."""
    import importlib.machinery

    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    if any(finder is not importlib.machinery.PathFinder for finder in finders):
        return None
    digest = hashlib.blake2b(f"{group}\0{sys.version}\0".encode(), digest_size=16)
    for entry in sys.path:
        directory = Path(entry or ".")
        digest.update(f"\0{entry}\0".encode())
        try:
            names = sorted(path.name for path in directory.iterdir() if path.suffix in _METADATA)
        except OSError:  # a zip file or a missing directory: its size and time stand for it
            digest.update(_stat(directory).encode())
            continue
        for name in names:
            digest.update(f"{name}:{_stat(directory / name / 'entry_points.txt')}\0".encode())
    return digest.hexdigest()


def _stat(path: Path) -> str:
    try:
        found = path.stat()
    except OSError:
        return "-"
    return f"{found.st_size}/{found.st_mtime_ns}"


def entry_points(group: str) -> list[Target]:
    """The group's entry points, from the cache when the installed distributions are unchanged."""
    key = None if os.environ.get("FLOWCTL_NO_CACHE") else fingerprint(group)
    try:
        cached = cache_dir() / f"entry-points-{key}.json" if key else None
    except RuntimeError:  # no home directory to keep a cache in
        cached = None
    if cached is not None:
        try:
            return [Target(**item) for item in json.loads(cached.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            pass  # not cached yet, or unreadable: scan
    found = _scan(group)
    if cached is not None:
        _store(cached, found)
    return found


def _scan(group: str) -> list[Target]:
    from importlib.metadata import entry_points as scan

    return [
        Target(point.name, point.value, point.dist.name if point.dist else "<unknown distribution>")
        for point in scan(group=group)
    ]


def _store(path: Path, found: list[Target]) -> None:
    """Write the cache atomically; a cache that cannot be written is only slower."""
    text = json.dumps(
        [{"name": t.name, "value": t.value, "distribution": t.distribution} for t in found]
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        stale = sorted(path.parent.glob("entry-points-*.json"), key=_modified, reverse=True)
        for old in stale[_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
