"""docs/testing.md, tried: the worked example gives the output it shows, and the CI jobs run
on a sample repository with the documented outcomes and pass their services' schemas."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FLOWS, ROOT

DOC = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
INSTALL = "pip install flowctl"


def block(after_heading: str, language: str = "yaml") -> str:
    section = DOC.split(f"## {after_heading}", 1)[1]
    found = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert found is not None, f"no {language} block under '{after_heading}'"
    return found[1]


GITHUB_TEXT, GITLAB_TEXT = block("GitHub Actions"), block("GitLab CI")
GITHUB: dict[str, Any] = yaml.safe_load(GITHUB_TEXT)
GITLAB: dict[str, Any] = yaml.safe_load(GITLAB_TEXT)


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A repository with the bundled post-purchase flow and the docs' example test file."""
    (tmp_path / "flows").mkdir()
    shutil.copy(FLOWS / "post-purchase.yaml", tmp_path / "flows")
    example = block("A worked example")
    (tmp_path / "flows" / "post-purchase.flowtest.yaml").write_text(example, encoding="utf-8")
    return tmp_path


def drop_wallets(sample: Path) -> None:
    flow = sample / "flows" / "post-purchase.yaml"
    flow.write_text(flow.read_text().replace("in: [bags, wallets]", "in: [bags]"))


def test_the_worked_example_fails_as_shown(sample: Path) -> None:
    assert shell("flowctl test", sample).returncode == 0
    drop_wallets(sample)
    done = shell("flowctl test", sample)
    assert done.returncode == 1
    section = DOC.split("## A worked example", 1)[1]
    shown = re.search(r"\n```\n(flows/.*?)```", section, re.DOTALL)
    assert shown is not None and done.stdout == shown[1]


def steps_run(workflow: dict[str, Any]) -> list[str]:
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step and step["run"] != INSTALL]


def test_github_job_passes_annotates_and_still_writes_the_report(sample: Path) -> None:
    # The example covers 6 of the flow's 10 exits; the bundled tests cover them all.
    shutil.copy(FLOWS / "post-purchase.flowtest.yaml", sample / "flows")
    shutil.copy(FLOWS / "contact.sample.json", sample / "flows")
    lines = steps_run(GITHUB)
    assert [shell(line, sample).returncode for line in lines] == [0] * len(lines)
    drop_wallets(sample)
    annotate, junit = (shell(line, sample) for line in lines)
    assert annotate.returncode == 1
    assert "::error file=flows/post-purchase.flowtest.yaml,line=20," in annotate.stdout
    assert junit.returncode == 0  # the report step passes, so the report is published
    root = ET.parse(sample / "flowctl-tests.xml").getroot()
    assert root.get("failures") == "1"


def test_gitlab_job_fails_with_a_junit_artifact(sample: Path) -> None:
    lines = [line for line in GITLAB["flowctl-test"]["script"] if line != INSTALL]
    junit, readable = (shell(line, sample) for line in lines)
    assert junit.returncode == 0
    assert readable.returncode == 1  # the docs' example covers 60% of the exits
    assert "below --min-coverage 100%" in readable.stdout
    assert GITLAB["flowctl-test"]["artifacts"]["reports"]["junit"] == "flowctl-tests.xml"
    assert ET.parse(sample / "flowctl-tests.xml").getroot().get("tests") == "2"


@pytest.mark.parametrize(
    ("schema", "document"),
    [("vendor.github-workflows", GITHUB_TEXT), ("vendor.gitlab-ci", GITLAB_TEXT)],
    ids=["github", "gitlab"],
)
def test_job_files_are_valid_for_their_ci_service(schema: str, document: str, tmp_path) -> None:
    job_file = tmp_path / "job.yaml"
    job_file.write_text(document)
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(job_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_example_passes(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Flow tests", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    shutil.copy(FLOWS / "post-purchase.yaml", tmp_path)
    (tmp_path / "readme.flowtest.yaml").write_text(example[1], encoding="utf-8")
    done = shell("flowctl test readme.flowtest.yaml", tmp_path)
    assert done.returncode == 0, done.stdout
    assert "✓ wallets count as bags" in done.stdout
