"""Special files: a FIFO, a device, a kernel pseudo-file or a symbolic link to one is never read,
by any command that reads files; a directory walk reports and skips it; a symlink loop says so;
every whole-file read has one size cap; an audience without line breaks is given up."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from flowctl.loading.sources import MAX_FILE_BYTES
from flowctl.simulate.audience import MAX_SKIP_BYTES
from tests.conftest import FLOWS, run_bounded

FLOW = (FLOWS / "post-purchase.yaml").read_text(encoding="utf-8")
CONTACT = (FLOWS / "contact.sample.json").read_text(encoding="utf-8")


def special(tmp_path: Path, kind: str) -> Path:
    """A file that must never be read: a FIFO without a writer, or links to a device, to a
    kernel pseudo-file and to themselves."""
    path = tmp_path / f"{kind}.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(path.name)
    else:
        path.symlink_to({"zero": "/dev/zero", "environ": "/proc/self/environ"}[kind])
    return path


KINDS = {
    "fifo": "a named pipe (FIFO)",
    "zero": "a symbolic link to /dev/zero, a character device",
    "environ": "a symbolic link to /proc/",  # /proc/self is the reading process: /proc/PID
    "loop": "a symbolic link loop",
}


def commands(path: str) -> list[list[str]]:
    """Every command line that reads `path` as one of its input files."""
    return [
        ["validate", path],
        ["graph", path],
        ["run", path, "--dry-run", "--contact", "contact.json"],
        ["run", "flow.yaml", "--dry-run", "--contact", path],
        ["run", "flow.yaml", "--dry-run", "--contacts", path],
        ["run", "flow.yaml", "--contacts", path, "--state", "state.db"],
        ["events", path, "--state", "state.db"],
        ["schema", "--check", path],
        ["validate", "--config", path, "flow.yaml"],
    ]


@pytest.mark.parametrize("number", range(len(commands("x"))))
def test_every_reader_refuses_what_is_not_a_regular_file(tmp_path: Path, number: int) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "contact.json").write_text(CONTACT, encoding="utf-8")
    # Each command meets every kind of special file, in one process: named twice on one
    # command line where it takes several paths, else the kinds in turn across the commands.
    kind = list(KINDS)[number % len(KINDS)]
    path = special(tmp_path, kind)
    command = commands(path.name)[number]
    ran = run_bounded(*command, cwd=tmp_path, max_output=2_000)
    assert ran.code == 2, (command, ran.output)
    assert f"{path.name}: {KINDS[kind]}" in ran.stderr, (command, ran.stderr)
    assert "SHELL=" not in ran.output and "PATH=" not in ran.output


def test_validate_refuses_each_kind_named_directly(tmp_path: Path) -> None:
    names = [special(tmp_path, kind).name for kind in KINDS]
    ran = run_bounded("validate", *names, cwd=tmp_path, max_output=2_000)
    assert ran.code == 2
    for kind, words in KINDS.items():
        assert f"flowctl: error: {kind}.yaml: {words}" in ran.stderr


def test_a_directory_walk_reports_and_skips_special_files(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "good.yaml").write_text(FLOW, encoding="utf-8")
    for kind in KINDS:
        special(flows, kind)
    ran = run_bounded("validate", "flows", cwd=tmp_path, max_output=5_000)
    assert ran.code == 0, ran.output
    assert "✓ 1 file valid" in ran.stdout
    for kind, words in KINDS.items():
        assert f"flowctl: warning: flows/{kind}.yaml: skipped: {words}" in ran.stderr


def test_a_link_out_of_the_walked_directory_is_skipped_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("api_key = hunter2-do-not-print\n", encoding="utf-8")
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "leak.yaml").symlink_to(secret)
    (flows / "good.yaml").write_text(FLOW, encoding="utf-8")
    (flows / "inside.yaml").symlink_to("good.yaml")  # a link within the directory is fine
    ran = run_bounded("validate", "flows", "flows/*.yaml", cwd=tmp_path, max_output=5_000)
    assert ran.code == 0, ran.output
    assert (
        f"flows/leak.yaml: skipped: a symbolic link to {secret}, out of flows; name it to check it"
        in ran.stderr
    )
    assert "hunter2" not in ran.output
    named = run_bounded("validate", "flows/leak.yaml", cwd=tmp_path, max_output=5_000)
    assert named.code == 1  # named on the command line: the user asked for it


def test_a_broken_link_and_a_loop_say_what_they_are(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to("nowhere.yaml")
    special(tmp_path, "loop")
    ran = run_bounded("validate", "gone.yaml", "loop.yaml", cwd=tmp_path)
    assert ran.code == 2
    assert "gone.yaml: a broken symbolic link to nowhere.yaml" in ran.stderr
    assert "loop.yaml: a symbolic link loop" in ran.stderr
    assert "no such file" not in ran.stderr


def test_every_whole_file_read_has_the_same_cap(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW, encoding="utf-8")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    ran = run_bounded("schema", "--check", huge.name, cwd=tmp_path)
    assert ran.code == 2
    assert f"over the limit of {MAX_FILE_BYTES:,} bytes" in ran.stderr
    config = run_bounded("validate", "--config", huge.name, "flow.yaml", cwd=tmp_path)
    assert config.code == 2
    assert f"over the limit of {MAX_FILE_BYTES:,} bytes" in config.stderr


def test_an_audience_without_line_breaks_is_given_up(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(FLOW, encoding="utf-8")
    ran = run_bounded(
        "run", "flow.yaml", "--dry-run", "--contacts", "-", cwd=tmp_path, stdin=Path("/dev/zero")
    )
    assert ran.code == 2
    found = re.search(
        r"<stdin>: no line break in ([\d,]+) bytes; an audience is JSON Lines", ran.stderr
    )
    assert found is not None, ran.stderr
    assert MAX_SKIP_BYTES < int(found[1].replace(",", "")) <= MAX_SKIP_BYTES + 1_000_000
