"""The outbox: its line format, its sync, and each key written once, even across crashes."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from flowctl.config.options import Options
from flowctl.effects import ContactUpdate, GoalReached, HttpCall, SendMessage
from flowctl.handlers.base import DELIVERED, HandlerError
from flowctl.handlers.outbox import Outbox, line, read_keys
from flowctl.handlers.routing import ChannelHandlers
from tests.handlers.conftest import delivery

Configure = Callable[..., ChannelHandlers]

GOLDEN = (
    '{"key":"r-1:thank_you:1","run":"r-1","flow":"post-purchase","contact":"c-1001",'
    '"node":"thank_you","at":"2026-11-20T10:00:00Z","effect":{"send":{"channel":"email",'
    '"template_id":"thanks","to":"c-1001","params":{"name":"Zoë","note":"line\\nbreak\\u2028"}}}}\n'
)


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def test_the_line_format(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.jsonl")
    effect = SendMessage("email", "thanks", "c-1001", {"name": "Zoë", "note": "line\nbreak\u2028"})
    result = outbox.deliver(delivery(effect))
    outbox.close()
    assert (result.status, result.reply) == (DELIVERED, {"path": str(outbox.path)})
    assert outbox.path.read_text(encoding="utf-8") == GOLDEN.replace("\\u2028", "\u2028")


@pytest.mark.parametrize(
    "effect",
    [
        HttpCall("POST", "https://crm.example.com/x", "10s", {"A": "b"}, None, True),
        ContactUpdate({"plan": "pro"}, ("trial",)),
        GoalReached("purchased"),
    ],
)
def test_the_effect_is_exactly_the_dry_runs(tmp_path: Path, effect: object) -> None:
    outbox = Outbox(tmp_path / "outbox.jsonl")
    outbox.deliver(delivery(effect))  # type: ignore[arg-type]
    outbox.close()
    (line,) = lines(outbox.path)
    assert line["effect"] == effect.to_json()  # type: ignore[attr-defined]
    assert list(line) == ["key", "run", "flow", "contact", "node", "at", "effect"]


def test_flush_syncs_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:  # the real call, counted
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    outbox = Outbox(tmp_path / "new" / "outbox.jsonl")
    outbox.flush()
    assert synced == []  # nothing written, nothing to sync
    outbox.deliver(delivery())
    outbox.flush()
    synced.clear()  # creating the file synced its directory
    outbox.deliver(delivery(key="r-1:thank_you:2"))
    outbox.deliver(delivery(key="r-1:thank_you:3"))
    outbox.flush()
    outbox.flush()
    assert len(synced) == 1  # once per batch
    outbox.close()


def test_lines_reach_the_file_with_one_write_at_flush(tmp_path: Path) -> None:
    """Until `flush`, the lines are in memory: a crash before it loses only lines whose
    effects are still pending (the runtime records results after `flush`)."""
    path = tmp_path / "outbox.jsonl"
    outbox = Outbox(path)
    outbox.deliver(delivery(key="r-1:a:1"))
    outbox.deliver(delivery(key="r-1:b:1"))
    assert not path.exists()
    outbox.flush()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:b:1"]
    outbox.deliver(delivery(key="r-1:c:1"))
    del outbox  # the process died before the next flush: r-1:c:1 is still pending
    again = Outbox(path)
    again.deliver(delivery(key="r-1:c:1", in_doubt=True))
    again.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:b:1", "r-1:c:1"]


def test_a_failed_write_forgets_the_keys_it_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    outbox = Outbox(path)
    assert outbox.deliver(delivery(key="r-1:a:1", in_doubt=True)).status == DELIVERED
    outbox.deliver(delivery(key="r-1:b:1"))
    assert outbox._fd is None
    outbox._fd = os.open(os.devnull, os.O_RDONLY)  # a descriptor that refuses writes
    with pytest.raises(HandlerError, match=r"cannot write .*outbox\.jsonl: Bad file descriptor"):
        outbox.flush()
    os.close(outbox._fd)
    outbox._fd = None
    retried = outbox.deliver(delivery(key="r-1:a:1", in_doubt=True))
    assert "written_before" not in retried.reply  # the file, not memory, says what was written
    outbox.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1"]


def test_an_in_doubt_key_is_written_once_across_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    crashed = Outbox(path)
    crashed.deliver(delivery(key="r-1:a:1"))
    crashed.flush()  # written and synced; then the process died before recording it
    reopened = Outbox(path)
    again = reopened.deliver(delivery(key="r-1:a:1", in_doubt=True))
    assert (again.status, again.reply) == (DELIVERED, {"path": str(path), "written_before": True})
    assert reopened.deliver(delivery(key="r-1:b:1", in_doubt=True)).status == DELIVERED
    assert reopened.deliver(delivery(key="r-1:b:1", in_doubt=True)).reply["written_before"]
    reopened.close()
    crashed.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:b:1"]


def test_a_delivery_not_in_doubt_does_not_read_the_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    path.write_text('{"key":"r-1:a:1"}\n')
    outbox = Outbox(path)
    outbox.deliver(delivery(key="r-1:a:1"))  # the runtime says it was never handed over
    outbox.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:a:1"]


def test_a_line_cut_short_by_a_crash_does_not_count_and_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    whole = Outbox(path)
    whole.deliver(delivery(key="r-1:a:1"))
    whole.close()
    with path.open("ab") as torn:
        torn.write(b'{"key":"r-1:b:1","run":"r-1","fl')  # the crash came mid-write
    assert read_keys(path) == {"r-1:a:1"}
    outbox = Outbox(path)
    assert outbox.deliver(delivery(key="r-1:b:1", in_doubt=True)).status == DELIVERED
    outbox.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:b:1"]  # whole lines only


@pytest.mark.parametrize("size", [10, 70_000, 200_000])
def test_a_file_of_one_torn_line_is_emptied_before_the_next(tmp_path: Path, size: int) -> None:
    """The torn line may be longer than the block the end of the file is searched in."""
    path = tmp_path / "outbox.jsonl"
    path.write_bytes(b'{"key":"r-1:a:1","x":"' + b"x" * size)
    outbox = Outbox(path)
    outbox.deliver(delivery(key="r-1:b:1", in_doubt=True))
    outbox.close()
    assert [line["key"] for line in lines(path)] == ["r-1:b:1"]


def test_a_torn_line_after_long_whole_ones_is_cut_at_the_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    first = json.dumps({"key": "r-1:a:1", "x": "y" * 100_000}).encode() + b"\n"
    path.write_bytes(first + b'{"key":"r-1:b:1","x":"' + b"x" * 100_000)
    outbox = Outbox(path)
    outbox.deliver(delivery(key="r-1:b:1", in_doubt=True))
    outbox.close()
    assert [line["key"] for line in lines(path)] == ["r-1:a:1", "r-1:b:1"]


def test_parent_directories_are_made_on_the_first_delivery_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "outbox.jsonl"
    outbox = Outbox.from_config("email", Options({"path": "a/b/outbox.jsonl"}), tmp_path, {})
    outbox.flush()
    outbox.close()
    assert not (tmp_path / "a").exists()
    outbox.deliver(delivery())
    outbox.close()
    assert len(lines(path)) == 1


def test_a_file_that_cannot_be_written_is_a_handler_error(tmp_path: Path) -> None:
    """The outbox's own failure, not a receiver's: the command stops (exit 2), nothing of
    the batch is recorded, and the effect waits with its key for a working outbox."""
    (tmp_path / "outbox.jsonl").mkdir()
    outbox = Outbox(tmp_path / "outbox.jsonl")
    outbox.deliver(delivery())
    with pytest.raises(HandlerError, match=r"cannot write .*outbox\.jsonl: Is a directory"):
        outbox.flush()


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_is_no_outbox(device: str) -> None:
    outbox = Outbox(Path(device))
    outbox.deliver(delivery())
    with pytest.raises(HandlerError, match=f"cannot write {device}: not a regular file"):
        outbox.flush()


def test_a_sync_that_fails_is_a_handler_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(fd: int) -> None:  # the disk gives up under it
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    outbox = Outbox(tmp_path / "outbox.jsonl")
    outbox.deliver(delivery())
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(HandlerError, match=r"cannot sync .*outbox\.jsonl: Input/output error"):
        outbox.flush()
    monkeypatch.undo()
    outbox.close()


def test_the_path_is_relative_to_the_configuration_file(
    configure: Configure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers = configure('[tool.flowctl.outbox]\npath = "out/effects.jsonl"\n')
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    outbox = handlers.for_channel("email")
    assert isinstance(outbox, Outbox)
    assert outbox.path == tmp_path / "out" / "effects.jsonl"
    default = configure('paths = ["flows/"]\n').for_channel("sms")
    assert isinstance(default, Outbox)
    assert default.path == tmp_path / ".flowctl" / "outbox.jsonl"


def test_a_line_another_process_is_writing_is_not_taken_for_a_torn_one(tmp_path: Path) -> None:
    """Appends hold the file's lock: a writer that holds it mid-line is waited for."""
    path = tmp_path / "outbox.jsonl"
    other = json.dumps({"key": "r-2:a:1"}).encode() + b"\n"
    with path.open("ab") as writer:
        fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        writer.write(other[:5])
        writer.flush()
        outbox = Outbox(path)
        outbox.deliver(delivery(key="r-1:a:1"))
        appending = threading.Thread(target=outbox.close)
        appending.start()
        appending.join(0.2)  # long enough for an append that did not wait to have cut it
        writer.write(other[5:])
        writer.flush()
        fcntl.flock(writer.fileno(), fcntl.LOCK_UN)
    appending.join(10)
    assert not appending.is_alive()
    assert [line["key"] for line in lines(path)] == ["r-2:a:1", "r-1:a:1"]


def test_a_whole_line_missing_only_its_newline_is_cut_short_too(tmp_path: Path) -> None:
    """A kill can land between a line's `}` and its newline: that line does not count (the next
    append cuts it off), so its in-doubt effect is written again."""
    path = tmp_path / "outbox.jsonl"
    path.write_bytes(line(delivery(key="r-1:a:1")) + line(delivery(key="r-1:b:1"))[:-1])
    assert read_keys(path) == {"r-1:a:1"}
    outbox = Outbox(path)
    reply = outbox.deliver(delivery(key="r-1:b:1", in_doubt=True)).reply
    assert reply is not None and "written_before" not in reply
    outbox.deliver(delivery(key="r-1:c:1"))
    outbox.close()
    assert [entry["key"] for entry in lines(path)] == ["r-1:a:1", "r-1:b:1", "r-1:c:1"]


def test_without_file_locks_a_torn_line_is_left_and_the_next_starts_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system has no `flock` (some network mounts), nothing is cut: the line
    may be another process's, still being written."""

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    path = tmp_path / "outbox.jsonl"
    path.write_bytes(b'{"key":"r-9:a:1","fl')
    outbox = Outbox(path)
    outbox.deliver(delivery(key="r-1:a:1"))
    outbox.close()
    assert path.read_bytes().split(b"\n")[0] == b'{"key":"r-9:a:1","fl'
    assert read_keys(path) == {"r-1:a:1"}
