"""The pre-commit snippet of README.md and docs/ci.md works as printed: the same in both places,
a `rev` that is a commit of this repository holding the hooks it names, and, run by pre-commit
itself against a clone of this repository (a `packaging` test), hooks that pass and fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import flowctl
from tests.conftest import FIXTURES, FLOWS, ROOT

BLOCK = re.compile(r"^( *)```yaml\n(.*?)^\1```", flags=re.DOTALL | re.MULTILINE)


def snippet(document: Path) -> dict[str, Any]:
    """The `.pre-commit-config.yaml` block of a document that names this repository."""
    for indent, body in BLOCK.findall(document.read_text(encoding="utf-8")):
        text = "\n".join(line.removeprefix(indent) for line in body.splitlines())
        config = yaml.safe_load(text)
        if isinstance(config, dict) and "repos" in config:
            (repo,) = [r for r in config["repos"] if r["repo"] != "local"]
            if "flowctl" in repo["repo"]:
                return repo
    raise AssertionError(f"{document}: no pre-commit snippet")


README = snippet(ROOT / "README.md")
CI_DOC = snippet(ROOT / "docs" / "ci.md")


def git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def in_history(rev: str) -> bool:
    """Whether this checkout has `rev` (not so in a shallow clone or an unpacked sdist)."""
    return (
        shutil.which("git") is not None
        and git("cat-file", "-e", f"{rev}^{{commit}}").returncode == 0
    )


def test_readme_and_ci_doc_print_the_same_snippet() -> None:
    assert README == CI_DOC
    assert README["repo"] == flowctl.HOMEPAGE
    assert re.fullmatch(r"[0-9a-f]{40}", README["rev"]), "a full commit id until a release tag"


def test_the_rev_is_a_commit_of_main_with_the_hooks_it_names() -> None:
    rev = README["rev"]
    if not in_history(rev):
        pytest.skip(f"{rev} is not in this checkout's history")
    assert git("merge-base", "--is-ancestor", rev, "HEAD").returncode == 0
    hooks = yaml.safe_load(git("show", f"{rev}:.pre-commit-hooks.yaml").stdout)
    offered = {hook["id"] for hook in hooks}
    named = {hook["id"] for hook in README["hooks"]}
    assert named <= offered
    current = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert named <= {hook["id"] for hook in current}


_NO_INDEX = ("No matching distribution", "Could not find a version", "Failed to establish")


@pytest.mark.packaging
def test_pre_commit_runs_the_snippet(tmp_path: Path) -> None:
    rev = README["rev"]
    if not in_history(rev):
        pytest.skip(f"{rev} is not in this checkout's history")
    pre_commit = Path(sys.executable).parent / "pre-commit"
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "schemas").mkdir()
    git("init", "-q", cwd=project)
    shutil.copy(FLOWS / "post-purchase.yaml", project / "flows")
    # The schema the hook's flowctl (at `rev`) builds, as a project that ran it would commit.
    schema = git("show", f"{rev}:schemas/flow.schema.json").stdout
    (project / "schemas" / "flow.schema.json").write_text(schema, encoding="utf-8")
    config = {"repos": [{**README, "repo": str(ROOT)}]}  # this repository stands for its URL
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git("add", ".", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "run", "--all-files"],
            cwd=project,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=540,
        )

    passed = run()
    if passed.returncode != 0 and any(m in passed.stdout for m in _NO_INDEX):
        pytest.skip("the hook's environment needs a package index, and none answered")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"flowctl validate\.+Passed", passed.stdout)
    assert re.search(r"flowctl schema is up to date\.+Passed", passed.stdout)
    shutil.copy(FIXTURES / "invalid" / "cycle.yaml", project / "flows")
    git("add", ".", cwd=project)
    failed = run()
    assert failed.returncode == 1
    assert re.search(r"flowctl validate\.+Failed", failed.stdout)
    assert "flows/cycle.yaml:9:11: error:" in failed.stdout
