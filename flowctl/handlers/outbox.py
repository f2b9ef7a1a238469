"""`outbox`: effects appended to a JSON Lines file, each key exactly once, even across crashes.

One line per effect, UTF-8, keys in this order, no spaces, ending in `\\n`:

    {"key":"r-1:thank_you:1","run":"r-1","flow":"post-purchase","contact":"c-1001",
     "node":"thank_you","at":"2026-11-20T10:00:00Z","effect":{"send":{...}}}

(one line in the file). `effect` is exactly the dry run's effect object of the step, `at` the
step's time in UTC. Lines are kept in memory until `flush()` (the runtime calls it after each
batch, before it records a result), which appends them with one `write` to a file opened for
appending, so lines from several processes never interleave, and syncs the file to disk. A
crash before `flush()` loses only lines whose effects are still pending in the store: they are
written on the next delivery.

Exactly once: a delivery that is not `in_doubt` is appended without looking at the file. One
that is in doubt (a crash came between writing it and recording the result) is first looked up:
the file is read once, lazily, for its set of keys, which is then kept up to date; a key found
there is not written again.

A crash mid-`write` can leave the last line cut short, anywhere, even right before its
newline. A line counts only with its newline: one without does not (its effect's result was
never recorded, so it is written again whole), and the next append first cuts it off, so that
the file holds whole lines again. Every append holds an exclusive `flock` of the file, so a
line that another live process is writing is never taken for one cut short. On a file system
without `flock` nothing is cut: the next append starts on a fresh line instead.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from flowctl.config.channels import DEFAULT_OUTBOX_PATH, OUTBOX, OUTBOX_OPTIONS
from flowctl.config.options import Options
from flowctl.handlers.base import Delivery, HandlerError, HandlerType, Result
from flowctl.language.jsontext import compact_json


class Outbox:
    """Appends one JSON line per effect to a file."""

    name: ClassVar[str] = OUTBOX
    options: ClassVar[Mapping[str, str]] = OUTBOX_OPTIONS
    # A key written before a crash is found in the file again (`in_doubt`), so results may be
    # recorded once per batch, after one sync: the runtime does not confirm each line.
    confirms_in_batches: ClassVar[bool] = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._keys: set[str] | None = None  # read on the first in-doubt delivery
        self._unsynced = False
        self._buffer: list[bytes] = []  # lines not yet written, until `flush`
        self._buffered = 0

    @classmethod
    def from_config(
        cls, channel: str, options: Options, base: Path, environ: Mapping[str, str]
    ) -> Outbox:
        return cls(options.path("path", DEFAULT_OUTBOX_PATH, base))

    def deliver(self, delivery: Delivery) -> Result:
        try:
            if delivery.in_doubt and delivery.key in self._written_keys():
                return Result.delivered({"path": str(self.path), "written_before": True})
            data = line(delivery)
            self._buffer.append(data)
            self._buffered += len(data)
            if self._buffered >= _WRITE_AT:
                self._write()
        except OSError as exc:
            # Not the receiver's failure but the outbox's own (a folder, a full disk, a path
            # that cannot exist): stop the command (exit 2) rather than retry for ever.
            raise HandlerError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        if self._keys is not None:
            self._keys.add(delivery.key)
        return Result.delivered({"path": str(self.path)})

    def flush(self) -> None:
        try:
            self._write()
        except OSError as exc:
            raise HandlerError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        if self._fd is None or not self._unsynced:
            return
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise HandlerError(f"cannot sync {self.path}: {exc.strerror or exc}") from exc
        self._unsynced = False

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _write(self) -> None:
        """Append the buffered lines with one `write`. On failure they are dropped, and the
        keys read from the file are read again: what is on disk is what counts."""
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        try:
            self._append(data)
        except OSError:
            self._keys = None
            raise

    def _append(self, data: bytes) -> None:
        fd = self._open()
        locked = _lock(fd)
        try:
            if locked:
                _cut_torn_line(fd)
            elif _ends_mid_line(fd):
                data = b"\n" + data  # another process may be writing that line: leave it
            self._unsynced = True
            while data:  # a regular file takes it whole; the loop is for a short write
                data = data[os.write(fd, data) :]
        finally:
            if locked:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd is None:
            created = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # /dev/null, a FIFO: nothing durable
                os.close(fd)
                raise HandlerError(f"cannot write {self.path}: not a regular file")
            os.set_blocking(fd, True)
            self._fd = fd
            if created:
                _sync_directory(self.path.parent)  # the new file's name survives a crash
        return self._fd

    def _written_keys(self) -> set[str]:
        if self._keys is None:
            self._keys = read_keys(self.path)
        return self._keys


_WRITE_AT = 1 << 20  # bytes of lines buffered before they are written, even without `flush`


def line(delivery: Delivery) -> bytes:
    """The outbox line of a delivery, newline included."""
    return (compact_json(delivery.envelope()) + "\n").encode()


def read_keys(path: Path) -> set[str]:
    """The keys of the complete lines of an outbox file (none when there is no file)."""
    keys: set[str] = set()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return keys
    with handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return keys  # deliveries refuse such a path; nothing was written there
        for raw in handle:  # binary lines end at b"\n" only, whatever the text holds
            # Without its newline a line is cut short, even when its JSON is whole: the next
            # append cuts it off, so it must not count as written.
            key = _key(raw) if raw.endswith(b"\n") else None
            if key is not None:
                keys.add(key)
    return keys


def _key(raw: bytes) -> str | None:
    try:
        record: Any = json.loads(raw)
    except ValueError:
        return None  # cut short by a crash: its effect was not written
    key = record.get("key") if isinstance(record, dict) else None
    return key if isinstance(key, str) else None


#: What `flock` fails with where the file system has no locks (some network and FUSE mounts).
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL}


def _lock(fd: int) -> bool:
    """Take the file's exclusive lock (waiting for another append); False where the file
    system has none."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        if exc.errno in _NO_LOCKS:
            return False
        raise
    return True


def _ends_mid_line(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _cut_torn_line(fd: int) -> None:
    """Truncate the file after its last newline: what follows is a line cut short by a crash
    (the caller holds the file's lock, so no live process is writing it)."""
    end = os.fstat(fd).st_size
    if not _ends_mid_line(fd):
        return
    while end > 0:  # backwards, a block at a time, to the newline before the torn line
        start = max(end - _BLOCK, 0)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            os.ftruncate(fd, start + newline + 1)
            return
        end = start
    os.ftruncate(fd, 0)


_BLOCK = 1 << 16


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories; the file itself is still synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


if TYPE_CHECKING:  # mypy checks that the class keeps the contract
    _contract: HandlerType = Outbox
