"""The CI jobs of docs/ci.md, tried: their shell lines run here on a sample repository (a valid
flow, an invalid one, the committed schema) with the documented outcomes, and the job files are
valid GitHub Actions and GitLab CI files by those services' own schemas (vendored in
check-jsonschema, no network)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, FLOWS, ROOT

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
INSTALL = "pip install flowctl"  # stands for however a project installs flowctl; it is here


def yaml_block(after_heading: str) -> str:
    section = DOC.split(f"## {after_heading}", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"no yaml block under '{after_heading}'"
    return block[1]


GITHUB_TEXT, GITLAB_TEXT = yaml_block("GitHub Actions"), yaml_block("GitLab CI")
GITHUB: dict[str, Any] = yaml.safe_load(GITHUB_TEXT)
GITLAB: dict[str, Any] = yaml.safe_load(GITLAB_TEXT)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A repository as the jobs expect it: flows/ (one valid, one invalid) and the schema."""
    (tmp_path / "flows").mkdir()
    shutil.copy(FLOWS / "post-purchase.yaml", tmp_path / "flows")
    (tmp_path / "schemas").mkdir()
    shutil.copy(ROOT / "schemas" / "flow.schema.json", tmp_path / "schemas")
    return tmp_path


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def steps_run(workflow: dict[str, Any]) -> list[str]:
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step and step["run"] != INSTALL]


def test_github_job_passes_on_valid_flows_and_annotates_invalid_ones(sample: Path) -> None:
    lines = steps_run(GITHUB)
    assert [shell(line, sample).returncode for line in lines] == [0] * len(lines)
    shutil.copy(FIXTURES / "invalid" / "dangling-edge.yaml", sample / "flows")
    validate, sarif, schema = (shell(line, sample) for line in lines)
    assert validate.returncode == 1  # the job fails on an invalid flow ...
    assert "::error file=flows/dangling-edge.yaml,line=8," in validate.stdout
    assert sarif.returncode == 0  # ... and still uploads the SARIF report
    log = json.loads((sample / "flowctl.sarif").read_text())
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    assert schema.returncode == 0


def test_gitlab_job_passes_on_valid_flows_and_fails_on_invalid_ones(sample: Path) -> None:
    lines = [line for line in GITLAB["flowctl"]["script"] if line != INSTALL]
    assert [shell(line, sample).returncode for line in lines] == [0] * len(lines)
    shutil.copy(FIXTURES / "invalid" / "cycle.yaml", sample / "flows")
    validate = shell(lines[0], sample)
    assert validate.returncode == 1
    assert "flows/cycle.yaml:" in validate.stdout and "[cycle]" in validate.stdout


@pytest.mark.parametrize(
    ("schema", "document"),
    [("vendor.github-workflows", GITHUB_TEXT), ("vendor.gitlab-ci", GITLAB_TEXT)],
    ids=["github", "gitlab"],
)
def test_job_files_are_valid_for_their_ci_service(
    schema: str, document: str, tmp_path: Path
) -> None:
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is in the 'test' extra")
    job_file = tmp_path / "job.yaml"
    job_file.write_text(document)  # as written: YAML 1.1 would turn GitHub's `on:` into true
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(job_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
