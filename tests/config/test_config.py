"""Configuration: discovery from the working directory upwards, every setting, CLI overrides,
and mistakes that exit 2 naming the file and the key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.config.settings import Config, discover, find_config, glob_pattern
from tests.conftest import FIXTURES, FLOWS

PROJECT = FIXTURES / "config" / "project"
CYCLE = FIXTURES / "invalid" / "cycle.yaml"
ORPHAN = FIXTURES / "invalid" / "unreachable-node.yaml"


def validate(runner: CliRunner, *args: str):
    return runner.invoke(app, ["validate", *args])


def diagnostics_by_file(output: str) -> dict[str, list[tuple[str, str]]]:
    files = json.loads(output)["files"]
    return {f["path"]: [(d["rule"], d["severity"]) for d in f["diagnostics"]] for f in files}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample project, as the working directory."""
    copy = tmp_path / "project"
    shutil.copytree(PROJECT, copy)
    monkeypatch.chdir(copy)
    return copy


def test_every_setting_of_the_sample_project(runner: CliRunner, project: Path) -> None:
    result = validate(runner, "--format", "json")
    assert result.exit_code == 1  # strict = true, and warnings remain
    assert diagnostics_by_file(result.stdout) == {
        "flows/legacy/loop.yaml": [],  # per-path-ignores: cycle
        "flows/post-purchase.yaml": [],
        "flows/team/orphan.yaml": [("unreachable-node", "warning")],
        "flows/team/split.yaml": [("split-percentages", "warning")],  # severity
        "flows/team/typo.yaml": [("unreachable-node", "warning")],  # ignore: dangling-edge
    }


def test_cli_flags_override_the_configuration(runner: CliRunner, project: Path) -> None:
    assert validate(runner, "--no-strict").exit_code == 0
    result = validate(runner, "--format", "json", "flows/team/orphan.yaml")
    assert list(diagnostics_by_file(result.stdout)) == ["flows/team/orphan.yaml"]


def test_found_from_a_subdirectory_with_paths_relative_to_the_config(
    runner: CliRunner, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "flows" / "team")
    found = diagnostics_by_file(validate(runner, "--format", "json").stdout)
    assert found["../legacy/loop.yaml"] == []  # the per-path pattern still applies
    assert len(found) == 5


def test_explicit_config_file(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "ci.toml"
    config.write_text('ignore = ["cycle"]\n')
    assert validate(runner, "--config", str(config), str(CYCLE)).exit_code == 0
    assert validate(runner, str(CYCLE)).exit_code == 1


def test_dedicated_file_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.flowctl]\nstrict = true\n")
    (tmp_path / ".flowctl.toml").write_text("strict = false\n")
    assert discover(tmp_path) == tmp_path / ".flowctl.toml"
    assert find_config(tmp_path).strict is False


def test_nearest_directory_wins_and_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".flowctl.toml").write_text('ignore = ["cycle"]\n')
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.flowctl]\nstrict = true\n")
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'  # not flowctl's\n")
    assert discover(inner) == tmp_path / "a" / "pyproject.toml"
    assert find_config(inner).ignore == frozenset()  # the first file found is the whole config
    assert discover(tmp_path) == tmp_path / ".flowctl.toml"


def test_no_file_gives_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_config() == Config()
    assert Config().paths == ("flows/",) and Config().strict is False


def test_pyproject_table(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.flowctl]\npaths = ["mine"]\n'
        '[tool.flowctl.severity]\nunreachable-node = "error"\n'
    )
    (tmp_path / "mine").mkdir()
    shutil.copy(ORPHAN, tmp_path / "mine" / "orphan.yaml")
    monkeypatch.chdir(tmp_path)
    result = validate(runner, "--format", "json")
    assert result.exit_code == 1
    assert diagnostics_by_file(result.stdout) == {
        "mine/orphan.yaml": [("unreachable-node", "error")]
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stict = true", ".flowctl.toml: stict: unknown key; did you mean 'strict'?"),
        (
            "per_path_ignores = {}",
            "per_path_ignores: unknown key; did you mean 'per-path-ignores'?",
        ),
        ("color = 1", "color: unknown key; known keys: paths, strict, ignore, severity"),
        ('strict = "yes"', "strict: must be true or false, not 'yes'"),
        ('paths = "flows/"', "paths: must be a list of non-empty strings, not 'flows/'"),
        ("ignore = [1]", "ignore: must be a list of non-empty strings, not [1]"),
        ('severity = "error"', 'severity: must be a table like {"cycle" = "warning"}'),
        (
            'severity = {cycle = "fatal"}',
            'severity.cycle: must be "error" or "warning", not \'fatal\'',
        ),
        ('per-path-ignores = {"a/**" = "cycle"}', "per-path-ignores.a/**: must be a list of"),
        ("strict = ", ".flowctl.toml: not valid TOML: Invalid value (at line 1, column 10)"),
    ],
)
def test_mistakes_exit_2_naming_file_and_key(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    (tmp_path / ".flowctl.toml").write_text(text + "\n")
    monkeypatch.chdir(tmp_path)
    result = validate(runner, str(CYCLE))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_pyproject_mistakes_name_the_table(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.flowctl]\nstrict = 1\n")
    monkeypatch.chdir(tmp_path)
    result = validate(runner, str(CYCLE))
    assert result.exit_code == 2
    assert (
        "flowctl: error: pyproject.toml: tool.flowctl.strict: must be true or false"
        in result.output
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".flowctl.toml", b"strict = true # \xff\n", ".flowctl.toml: not UTF-8 text (byte 16)"),
        ("pyproject.toml", b'tool = "flowctl"\n', "pyproject.toml: tool: must be a table"),
    ],
)
def test_unreadable_or_odd_config_files_exit_2(
    runner: CliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    config = tmp_path / name
    config.write_bytes(content)
    result = validate(runner, "--config", str(config), str(CYCLE))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_explicit_config_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = validate(runner, "--config", str(tmp_path / "nope.toml"), str(CYCLE))
    assert result.exit_code == 2
    assert "nope.toml: No such file or directory" in result.output


def test_unknown_rule_ids_are_warned_about_not_fatal(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".flowctl.toml").write_text(
        'ignore = ["cycel"]\nseverity = {"no-such-rule" = "error"}\n'
    )
    monkeypatch.chdir(tmp_path)
    result = validate(runner, str(FLOWS))
    assert result.exit_code == 0
    assert (
        "flowctl: warning: .flowctl.toml: ignore: unknown rule 'cycel'; did you mean 'cycle'?"
    ) in result.output
    assert "severity.no-such-rule: unknown rule 'no-such-rule'" in result.output


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("flows/legacy/**", ["flows/legacy/a.yaml", "flows/legacy/x/b.yml"], ["flows/a.yaml"]),
        ("flows/legacy/", ["flows/legacy/x/b.yml"], ["flows/legacy.yaml"]),
        ("flows/*.yaml", ["flows/a.yaml"], ["flows/x/a.yaml", "flows/a.yml"]),
        ("**/old-*.yaml", ["old-a.yaml", "x/y/old-b.yaml"], ["x/new.yaml"]),
        ("flows/a?.yaml", ["flows/ab.yaml"], ["flows/a/b.yaml", "flows/abc.yaml"]),
        ("flows/[ab].yaml", ["flows/[ab].yaml"], ["flows/a.yaml"]),
    ],
)
def test_per_path_patterns(pattern: str, matches: list[str], misses: list[str]) -> None:
    compiled = glob_pattern(pattern)
    assert all(compiled.fullmatch(path) for path in matches)
    assert not any(compiled.fullmatch(path) for path in misses)
