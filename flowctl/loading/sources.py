"""Turn command-line PATH arguments into the flow files to read.

Files are taken as given; directories are searched recursively for *.yaml and *.yml (skipping
hidden directories such as .git, and flow tests, `*.flowtest.yaml`), or for flow tests alone;
arguments holding `*`, `?` or `[` are globs (with `**`); `-` is standard input. Problems (a
missing path, a glob matching nothing) are collected, not raised, so that the files that do
exist are still checked.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from flowctl.errors import InputError

STDIN = "-"
STDIN_NAME = "<stdin>"
FLOW_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".flowtest.yaml", ".flowtest.yml")
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class FileKind:
    """Which files a directory or a glob stands for, and how to say that none matched."""

    suffixes: tuple[str, ...]
    excluded: tuple[str, ...]
    in_directory: str  # "no {in_directory} in this directory"
    noun: str  # "the pattern matches no {noun}"

    def matches(self, name: str) -> bool:
        return name.endswith(self.suffixes) and not name.endswith(self.excluded)


FLOW_FILES = FileKind(FLOW_SUFFIXES, TEST_SUFFIXES, "*.yaml or *.yml files", "flow files")
TEST_FILES = FileKind(TEST_SUFFIXES, (), "*.flowtest.yaml files", "flow test files")


@dataclass
class Inputs:
    """The files to read, in order, and the arguments that named nothing readable."""

    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _walk(directory: str, kind: FileKind) -> Iterator[str]:
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if kind.matches(name):
                yield os.path.join(root, name)


def expand(arguments: Sequence[str], kind: FileKind = FLOW_FILES) -> Inputs:
    """Expand PATH arguments, each file once, in the order the arguments name them."""
    inputs = Inputs()
    seen: set[str] = set()

    def add(candidate: str) -> None:
        key = candidate if candidate == STDIN else os.path.realpath(candidate)
        if key not in seen:
            seen.add(key)
            inputs.files.append(candidate)

    for argument in arguments:
        if argument == STDIN:
            add(STDIN)
        elif Path(argument).is_dir():
            found = list(_walk(argument, kind))
            if not found:
                inputs.problems.append(f"{argument}: no {kind.in_directory} in this directory")
            for path in found:
                add(path)
        elif Path(argument).exists():
            add(argument)
        elif _GLOB_CHARS & set(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            files = [m for m in matches if Path(m).is_file() and kind.matches(m)]
            for directory in (m for m in matches if Path(m).is_dir()):
                files.extend(_walk(directory, kind))
            if not files:
                inputs.problems.append(f"{argument}: the pattern matches no {kind.noun}")
            for path in files:
                add(path)
        else:
            inputs.problems.append(f"{argument}: no such file or directory")
    return inputs


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def file_error(path: object, exc: OSError) -> InputError:
    """The abort (exit 2) for a file that cannot be read or written: its name and the reason."""
    from flowctl.errors import InputError

    return InputError(f"{path}: {exc.strerror or exc}")


def open_input(path: str) -> AbstractContextManager[IO[bytes]]:
    """A file to stream, or stdin for '-' (left open: it is not ours to close); `InputError`
    (exit 2) when it cannot be opened."""
    if path == STDIN:
        return nullcontext(sys.stdin.buffer)
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise file_error(path, exc) from None


def read_input(path: str, max_bytes: int) -> bytes:
    """A file's bytes (stdin for '-'), at most one byte past `max_bytes` so that the caller can
    say it is too large; `InputError` (exit 2) when it cannot be read."""
    try:
        if path == STDIN:
            return sys.stdin.buffer.read(max_bytes + 1)
        with Path(path).open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise file_error(path, exc) from None
