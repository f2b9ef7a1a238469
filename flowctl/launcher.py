"""Console-script entry point: `flowctl validate` without loading the full command line.

Typer, and pydantic under it, take longer to import than validating a file takes, and
`flowctl validate` runs on every commit (pre-commit) and in every editor save hook. So a
`validate` command line made only of the options below is parsed here and run directly; any other
command line, including `--help`, a misspelt option or a bad value, goes to the typer app, which
owns help and usage errors. Both paths end in `validate_files`, with the same request.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from flowctl.errors import exit_status
from flowctl.reporters import Format
from flowctl.validate_files import ValidateRequest, validate_files

_FLAGS = {"--strict": ("strict", True), "--no-strict": ("strict", False)}
_FLAGS |= {"--quiet": ("quiet", True), "-q": ("quiet", True)}
_VALUED = {"--format": "format", "-f": "format", "--output": "output", "-o": "output"}
_VALUED |= {"--config": "config"}
_FORMATS = {str(output_format) for output_format in Format}


def parse_validate(arguments: Sequence[str]) -> ValidateRequest | None:
    """The request of a plain `validate` command line, or None to leave it to typer."""
    paths: list[str] = []
    flags: dict[str, bool] = {}
    values: dict[str, str] = {}
    words = iter(arguments)
    for word in words:
        if word == "--":
            paths.extend(words)
        elif word == "-" or not word.startswith("-"):
            paths.append(word)
        elif word in _FLAGS:
            key, flag = _FLAGS[word]
            flags[key] = flag
        else:
            name, equals, value = word.partition("=")
            if name not in _VALUED or (equals and not name.startswith("--")):
                return None
            value = value if equals else next(words, "")
            if not value or value.startswith("-"):
                return None
            values[_VALUED[name]] = value
    if values.get("format", "text") not in _FORMATS:
        return None
    return ValidateRequest(
        paths=tuple(paths),
        output_format=Format(values.get("format", "text")),
        strict=flags.get("strict"),
        quiet=flags.get("quiet", False),
        output=values.get("output"),
        config=values.get("config"),
    )


def exit_code_of(work: Callable[[], int]) -> int:
    """Run a command; whatever ends it early becomes an exit code by `exit_status`."""
    try:
        return work()
    except (Exception, KeyboardInterrupt) as exc:
        return exit_status(exc)


def main() -> None:
    """`flowctl` and `python -m flowctl`."""
    arguments = sys.argv[1:]
    request = parse_validate(arguments[1:]) if arguments[:1] == ["validate"] else None
    if request is None:
        from flowctl.cli import main as full_cli

        full_cli()
        return
    sys.exit(exit_code_of(lambda: validate_files(request, sys.stdout, sys.stderr)))
