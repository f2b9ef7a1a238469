"""Turn command-line PATH arguments into the flow files to read, and read every input file.

Files are taken as given; directories are searched recursively for *.yaml and *.yml (skipping
hidden directories such as .git, and flow tests, `*.flowtest.yaml`), or for flow tests alone;
arguments holding `*`, `?` or `[` are globs (with `**`); `-` is standard input. Problems (a
missing path, a glob matching nothing) are collected, not raised, so that the files that do
exist are still checked.

Every file flowctl reads (flows, contacts, audiences, schemas, configuration) is opened by
`open_regular`: anything that is not a regular file (a FIFO, a device, a socket, a symbolic link
to one: `/dev/zero`, `/proc/self/fd/0`) is refused before a byte is read, so no input can hang a
command or feed it without end, and whole files are read with one cap, `MAX_FILE_BYTES`.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from flowctl.errors import InputError

STDIN = "-"
STDIN_NAME = "<stdin>"
FLOW_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".flowtest.yaml", ".flowtest.yml")
_GLOB_CHARS = frozenset("*?[")
#: The most flowctl reads of any one file: a flow, a contact, a schema, a configuration.
MAX_FILE_BYTES = 10 * 1024 * 1024
_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}
# Kernel pseudo-filesystems: their files stat as regular but are generated on each read
# (`/proc/self/environ` holds the environment, `/proc/kmsg` never ends).
_PSEUDO = ("/proc/", "/sys/")


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
    """The files to read, in order, and the arguments that named nothing readable.

    `skipped` are files a directory walk or a glob found and did not read: not regular files,
    and symbolic links that lead out of the walked directory (to `~/.ssh/id_rsa`, say: its
    content would be quoted in the report). A file named on the command line is read.
    """

    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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

    def add_found(paths: Sequence[str], root: str) -> None:
        inside = os.path.realpath(root)
        for path in paths:
            target = os.path.realpath(path)
            problem = not_regular(path)
            if problem is None and os.path.commonpath([inside, target]) != inside:
                problem = f"a symbolic link to {target}, out of {root}; name it to check it"
            if problem is None:
                add(path)
            elif (skipped := f"{path}: skipped: {problem}") not in inputs.skipped:
                inputs.skipped.append(skipped)

    for argument in arguments:
        if argument == STDIN:
            add(STDIN)
        elif Path(argument).is_dir():
            found = list(_walk(argument, kind))
            if not found:
                inputs.problems.append(f"{argument}: no {kind.in_directory} in this directory")
            add_found(found, argument)
        elif os.path.lexists(argument):
            problem = _unreachable(argument)
            if problem is None:
                add(argument)
            else:
                inputs.problems.append(f"{argument}: {problem}")
        elif _GLOB_CHARS & set(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            files = [m for m in matches if kind.matches(m) and not Path(m).is_dir()]
            for directory in (m for m in matches if Path(m).is_dir()):
                files.extend(_walk(directory, kind))
            if not files:
                inputs.problems.append(f"{argument}: the pattern matches no {kind.noun}")
            add_found(files, _glob_root(argument))
        else:
            inputs.problems.append(f"{argument}: no such file or directory")
    return inputs


def _glob_root(pattern: str) -> str:
    """The directory a glob searches: its leading parts without wildcards."""
    fixed: list[str] = []
    for part in Path(pattern).parts:
        if _GLOB_CHARS & set(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def _unreachable(path: str) -> str | None:
    """Why a path that exists as a name leads to no file (a loop, a broken link), or None."""
    try:
        Path(path).stat()
    except OSError as exc:
        return _reason(path, exc)
    return None


def not_regular(path: str) -> str | None:
    """Why `path` is not a regular file flowctl may read, or None when it is one."""
    try:
        mode = Path(path).stat().st_mode
    except OSError as exc:
        return _reason(path, exc)
    if stat.S_ISREG(mode) and not _pseudo(path):
        return None
    return _not_a_file(path, mode)


def _pseudo(path: str) -> bool:
    return os.path.realpath(path).startswith(_PSEUDO)


def _not_a_file(path: str, mode: int) -> str:
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    if stat.S_ISREG(mode):
        kind = "a kernel pseudo-file"
    if Path(path).is_symlink():
        kind = f"a symbolic link to {os.path.realpath(path)}, {kind}"
    return f"{kind}; flowctl reads only regular files"


def _reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop: following it never reaches a file"
    if exc.errno == errno.ENOENT and Path(path).is_symlink():
        return f"a broken symbolic link to {Path(path).readlink()}"
    return exc.strerror or str(exc)


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def file_error(path: object, exc: OSError) -> InputError:
    """The abort (exit 2) for a file that cannot be read or written: its name and the reason."""
    from flowctl.errors import InputError

    return InputError(f"{path}: {_reason(str(path), exc)}")


def open_input(path: str) -> AbstractContextManager[IO[bytes]]:
    """A file to stream (a regular one: `open_regular`), or stdin for '-' (left open: it is not
    ours to close); `InputError` (exit 2) when it cannot be opened."""
    if path == STDIN:
        return nullcontext(sys.stdin.buffer)
    return open_regular(path)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """A regular file opened for reading; `InputError` (exit 2) for anything else.

    The file is opened without blocking (a FIFO with no writer would wait forever) and checked
    on the open descriptor, so a file swapped for a FIFO after a check is still refused.
    """
    from flowctl.errors import InputError

    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise file_error(name, exc) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode) or _pseudo(name):
        os.close(fd)
        raise InputError(f"{name}: {_not_a_file(name, mode)}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_input(path: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes (stdin for '-'), at most one byte past `max_bytes` so that the caller can
    say it is too large; `InputError` (exit 2) when it cannot be read."""
    try:
        if path == STDIN:
            return sys.stdin.buffer.read(max_bytes + 1)
        with open_regular(path) as handle:
            return handle.read(max_bytes + 1)
    except OSError as exc:
        raise file_error(path, exc) from None


def read_capped(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A whole file's bytes; `InputError` (exit 2) when it cannot be read or is over the cap."""
    from flowctl.errors import InputError

    content = read_input(os.fspath(path), max_bytes)
    if len(content) > max_bytes:
        raise InputError(f"{os.fspath(path)}: the file is over the limit of {max_bytes:,} bytes")
    return content
