"""The pre-commit hooks this repository offers: run each hook's entry as pre-commit would, on the
staged files its `files` and `exclude` patterns select, in a temporary git repository (no
network)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, FLOWS, ROOT

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    return tmp_path


def stage(repo: Path, files: dict[str, Path | str]) -> None:
    for name, content in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content.read_text() if isinstance(content, Path) else content)
    git(repo, "add", ".")


def selected(hook: dict[str, Any], repo: Path) -> list[str]:
    """The staged files pre-commit passes to the hook: `files` matches, `types` are yaml."""
    pattern = re.compile(hook.get("files", ""))
    excluded = re.compile(hook.get("exclude", "^$"))
    yaml_only = "yaml" in hook.get("types", [])
    return [
        name
        for name in git(repo, "ls-files").splitlines()
        if pattern.search(name)
        and not excluded.search(name)
        and (not yaml_only or name.endswith((".yaml", ".yml")))
    ]


def run_hook(hook_id: str, repo: Path) -> subprocess.CompletedProcess[str]:
    hook = HOOKS[hook_id]
    command = shlex.split(hook["entry"])
    command[0] = str(BIN / command[0])  # the installed console script, as pre-commit's venv has
    if hook.get("pass_filenames", True):
        command += selected(hook, repo)
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env, check=False)


def test_hooks_are_declared_as_documented() -> None:
    hook = HOOKS["flowctl-validate"]
    assert (hook["entry"], hook["language"], hook["types"]) == (
        "flowctl validate",
        "python",
        ["yaml"],
    )
    assert "flowctl-validate" in (ROOT / "docs" / "ci.md").read_text()


def test_validate_hook_checks_the_flow_files_only(repo: Path) -> None:
    stage(
        repo,
        {
            "flows/good.yaml": FLOWS / "post-purchase.yaml",
            "flows/team/bad.yml": FIXTURES / "invalid" / "cycle.yaml",
            "config/not-a-flow.yaml": "just: config\n",
            "flows/notes.md": "# not yaml\n",
        },
    )
    assert selected(HOOKS["flowctl-validate"], repo) == ["flows/good.yaml", "flows/team/bad.yml"]
    failed = run_hook("flowctl-validate", repo)
    assert failed.returncode == 1
    assert "flows/team/bad.yml:9:11: error:" in failed.stdout
    assert "not-a-flow" not in failed.stdout + failed.stderr
    git(repo, "rm", "-q", "-f", "flows/team/bad.yml")
    passed = run_hook("flowctl-validate", repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "1 file valid" in passed.stdout


def test_validate_hook_follows_the_project_configuration(repo: Path) -> None:
    stage(
        repo,
        {
            "flows/loop.yaml": FIXTURES / "invalid" / "cycle.yaml",
            "pyproject.toml": '[tool.flowctl]\nignore = ["cycle"]\n',
        },
    )
    assert run_hook("flowctl-validate", repo).returncode == 0


def test_schema_hook_passes_on_a_fresh_schema_and_fails_on_a_stale_one(repo: Path) -> None:
    stage(repo, {"schemas/flow.schema.json": ROOT / "schemas" / "flow.schema.json"})
    assert run_hook("flowctl-schema-check", repo).returncode == 0
    stage(repo, {"schemas/flow.schema.json": '{"type": "object"}\n'})
    stale = run_hook("flowctl-schema-check", repo)
    assert stale.returncode == 1
    assert "is stale" in stale.stderr


def test_test_hook_runs_the_flow_tests_and_validate_skips_them(repo: Path) -> None:
    stage(
        repo,
        {
            "flows/post-purchase.yaml": FLOWS / "post-purchase.yaml",
            "flows/post-purchase.flowtest.yaml": FLOWS / "post-purchase.flowtest.yaml",
            "flows/contact.sample.json": FLOWS / "contact.sample.json",
        },
    )
    assert selected(HOOKS["flowctl-validate"], repo) == ["flows/post-purchase.yaml"]
    assert run_hook("flowctl-validate", repo).returncode == 0
    passed = run_hook("flowctl-test", repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "passed in 1 file" in passed.stdout
    broken = (FLOWS / "post-purchase.flowtest.yaml").read_text().replace("shoes_xsell", "boots")
    stage(repo, {"flows/post-purchase.flowtest.yaml": broken})
    failed = run_hook("flowctl-test", repo)
    assert failed.returncode == 1
    assert "[test-failed]" in failed.stdout
