"""Shell completion: typer's scripts for bash, zsh and fish, installed where each shell reads them,
and the completions themselves, asked for as the shells ask (the `_FLOWCTL_COMPLETE` protocol,
as typer's own tests drive it), in a subprocess of the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flowctl.diagnostics.rules import RULES
from tests.conftest import REGISTRY

FLOWCTL = Path(sys.executable).parent / "flowctl"
# Typer detects the user's shell; this makes `--show-completion SHELL` take the shell instead.
NO_DETECTION = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def flowctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FLOWCTL), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def bash_complete(line: str) -> list[str]:
    """What bash's completion function gets for the words of `line` (the last may be empty)."""
    words = line.split(" ")
    done = flowctl(
        env={
            "_FLOWCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        }
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def zsh_complete(line: str) -> str:
    done = flowctl(env={"_FLOWCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line})
    assert done.returncode == 0, done.stderr
    return done.stdout


def fish_complete(line: str) -> list[tuple[str, str]]:
    done = flowctl(
        env={
            "_FLOWCTL_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": line,
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        }
    )
    assert done.returncode == 0, done.stderr
    return [tuple(item.split("\t", 1)) for item in done.stdout.splitlines()]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "_FLOWCTL_COMPLETE=complete_bash"),
        ("zsh", "_FLOWCTL_COMPLETE=complete_zsh"),
        ("fish", "_FLOWCTL_COMPLETE=complete_fish"),
    ],
)
def test_show_completion_prints_each_shells_script(shell: str, marker: str) -> None:
    shown = flowctl("--show-completion", shell, env=NO_DETECTION)
    assert shown.returncode == 0, shown.stderr
    assert marker in shown.stdout
    assert "flowctl" in shown.stdout
    if shutil.which(shell):  # the shell itself parses the script
        checked = subprocess.run(
            [shell, "-n"], input=shown.stdout, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("shell", "installed"),
    [
        ("bash", ".bash_completions/flowctl.sh"),
        ("zsh", ".zfunc/_flowctl"),
        ("fish", ".config/fish/completions/flowctl.fish"),
    ],
)
def test_install_completion_writes_where_the_shell_reads(
    tmp_path: Path, shell: str, installed: str
) -> None:
    done = flowctl("--install-completion", shell, env={**NO_DETECTION, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert f"{shell} completion installed" in done.stdout
    script = (tmp_path / installed).read_text()
    assert f"_FLOWCTL_COMPLETE=complete_{shell}" in script


def test_commands_complete() -> None:
    listed = bash_complete("flowctl ")
    assert {"validate", "run", "graph", "nodes", "rules", "schema", "runs"} <= set(listed)
    assert bash_complete("flowctl va") == ["validate"]


def test_options_complete() -> None:
    listed = bash_complete("flowctl validate --")
    assert {"--format", "--strict", "--no-strict", "--quiet", "--output", "--config"} <= set(listed)
    assert "--show-completion" in bash_complete("flowctl --")


def test_format_values_complete() -> None:
    assert bash_complete("flowctl validate --format ") == ["text", "json", "github", "sarif"]
    assert bash_complete("flowctl graph flows/a.yaml --format ") == ["mermaid", "dot", "svg"]
    assert bash_complete("flowctl validate --format s") == ["sarif"]


def test_node_types_complete_with_their_summaries() -> None:
    registry = REGISTRY
    assert bash_complete("flowctl nodes ") == registry.names()
    assert bash_complete("flowctl nodes s") == ["send_message", "split"]
    summaries = {node_type.name: node_type.summary for node_type in registry}
    assert fish_complete("flowctl nodes s") == [
        ("send_message", summaries["send_message"]),
        ("split", summaries["split"]),
    ]
    assert '"delay":"Wait a duration' in zsh_complete("flowctl nodes d")


def test_rule_ids_complete_with_their_summaries() -> None:
    assert bash_complete("flowctl rules ") == list(RULES)
    invalid = [rule for rule in RULES if rule.startswith("invalid-")]
    assert bash_complete("flowctl rules invalid-") == invalid
    assert fish_complete("flowctl rules dup") == [("duplicate-key", RULES["duplicate-key"].summary)]
    assert not any(bash_complete("flowctl rules nothing-like-this"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_through_the_installed_script() -> None:
    """The real shell: source the script, call its function as bash's `complete` would."""
    script = flowctl("--show-completion", "bash", env=NO_DETECTION).stdout
    program = (
        f"{script}\n"
        "COMP_WORDS=(flowctl rules cyc); COMP_CWORD=2; _flowctl_completion flowctl; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{FLOWCTL.parent}{os.pathsep}{os.environ['PATH']}"},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cycle"]
