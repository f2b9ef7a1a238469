"""One exit-code map: the launcher's fast path and the typer app end a command the same way, with
the same code and the same one line on stderr, whatever stops it."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from flowctl.cli._errors import error_handler
from flowctl.errors import ExitCode, FlowFailed, InputError, UsageError
from flowctl.launcher import exit_code_of

ENDINGS = [
    (UsageError("give exactly one of --contact or --contacts"), 2,
     "flowctl: error: give exactly one of --contact or --contacts\n"),
    (InputError("missing.yaml: No such file or directory"), 2,
     "flowctl: error: missing.yaml: No such file or directory\n"),
    (FlowFailed("f.yaml is invalid; only a valid flow is drawn"), 1,
     "flowctl: error: f.yaml is invalid; only a valid flow is drawn\n"),
    (KeyboardInterrupt(), 130, "flowctl: error: interrupted\n"),
    (BrokenPipeError(), 0, ""),
    (ZeroDivisionError("division by zero"), 2,
     "flowctl: error: internal error: ZeroDivisionError: division by zero (this is a bug in "
     "flowctl; rerun with FLOWCTL_DEBUG=1 for the traceback and report it)\n"),
]  # fmt: skip


def _typer_app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def stop() -> None:
        with error_handler():
            raise exc

    return app


def _launcher(exc: BaseException) -> int:
    def work() -> int:
        raise exc

    return exit_code_of(work)


@pytest.mark.parametrize(("exc", "code", "stderr"), ENDINGS, ids=lambda v: type(v).__name__)
def test_the_launcher_maps_each_ending(
    exc: BaseException, code: int, stderr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _launcher(exc) == code
    assert capsys.readouterr().err == stderr


@pytest.mark.parametrize(("exc", "code", "stderr"), ENDINGS, ids=lambda v: type(v).__name__)
def test_the_typer_app_maps_each_ending_the_same_way(
    exc: BaseException, code: int, stderr: str
) -> None:
    result = CliRunner().invoke(_typer_app(exc), [])
    assert (result.exit_code, result.stderr) == (code, stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_codes_are_the_documented_ones() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 130]
    assert (UsageError.exit_code, InputError.exit_code, FlowFailed.exit_code) == (2, 2, 1)


def test_flowctl_debug_shows_a_bug_as_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        _launcher(ZeroDivisionError("division by zero"))
    result = CliRunner().invoke(_typer_app(ZeroDivisionError("division by zero")), [])
    assert isinstance(result.exception, ZeroDivisionError)


def test_an_abort_is_not_a_bug_even_under_flowctl_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOWCTL_DEBUG", "1")
    assert _launcher(InputError("x.yaml: Permission denied")) == 2
    assert capsys.readouterr().err == "flowctl: error: x.yaml: Permission denied\n"
