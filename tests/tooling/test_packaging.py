"""Packaging: one version, the license and project metadata, `py.typed`, an sdist that is a
complete source tree, and a wheel that works once installed (the slow `packaging` tests,
part of the suite; `-m "not packaging"` leaves them out while working)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import flowctl
from flowctl.cli import app
from tests.conftest import FIXTURES, FLOWS, ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
# What a source tree holds besides the package: the sdist carries all of it.
SOURCE_TREE = ("tests", "flows", "schemas", "docs", "benchmarks", ".ci")


def test_the_version_has_one_source() -> None:
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "flowctl.__version__"}
    assert importlib.metadata.version("flowctl") == flowctl.__version__


def test_version_option_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"flowctl {flowctl.__version__}\n")


def test_license_metadata_is_the_pep_639_expression() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639
    metadata = importlib.metadata.metadata("flowctl")
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_project_urls_and_classifiers_reach_the_metadata() -> None:
    metadata = importlib.metadata.metadata("flowctl")
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Documentation", "Source", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    assert urls["Homepage"] == flowctl.HOMEPAGE  # what SARIF's informationUri says
    classifiers = metadata.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers


def test_the_package_is_marked_typed() -> None:
    assert (Path(flowctl.__file__).parent / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["flowctl"]


def _source_copy(tmp_path: Path) -> Path:
    """The repository's files without build output, so building never writes into it."""
    ignored = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
    )
    return Path(shutil.copytree(ROOT, tmp_path / "source", ignore=ignored))


def _build(source: Path, kind: str, into: Path) -> Path:
    """Build an sdist or a wheel with the PEP 517 hooks of the installed setuptools."""
    hook = f"from setuptools import build_meta; print(build_meta.build_{kind}({str(into)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", hook], cwd=source, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return into / done.stdout.strip().splitlines()[-1]


def _tracked(root: Path) -> list[str]:
    """The repository's files under the source-tree folders, as git knows them."""
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout: no list of the repository's files to compare with")
    listed = subprocess.run(
        ["git", "ls-files", "--", *SOURCE_TREE, "LICENSE", "README.md", "pyproject.toml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (root / name).is_file()]


@pytest.mark.packaging
def test_the_sdist_carries_the_whole_source_tree(tmp_path: Path) -> None:
    sdist = _build(_source_copy(tmp_path), "sdist", tmp_path)
    with tarfile.open(sdist) as archive:
        top = f"flowctl-{flowctl.__version__}/"
        names = {member.name.removeprefix(top) for member in archive.getmembers()}
    missing = sorted(set(_tracked(ROOT)) - names)
    assert missing == []
    assert {"flowctl/py.typed", "MANIFEST.in", "tests/fixtures/sarif-schema-2.1.0.json"} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def _fresh_venv(tmp_path: Path) -> Path:
    """A venv without system site-packages, whose only outside code is flowctl's dependencies,
    taken from this environment through a .pth file, so that no index is needed."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=True, symlinks=True)
    deps = tmp_path / "deps"
    deps.mkdir()
    here = Path(sysconfig.get_paths()["purelib"])
    for entry in here.iterdir():
        name = entry.name.lower()
        if not name.startswith(("flowctl", "__editable__", "_flowctl", "pip")):
            (deps / entry.name).symlink_to(entry)
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run(
        [target / "bin" / "python", "-c", where],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "flowctl-test-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return target


@pytest.mark.packaging
def test_the_wheel_installs_and_validates_from_another_directory(tmp_path: Path) -> None:
    wheel = _build(_source_copy(tmp_path), "wheel", tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "flowctl/py.typed" in names
    assert f"flowctl-{flowctl.__version__}.dist-info/licenses/LICENSE" in names
    environment = _fresh_venv(tmp_path)
    bin_dir = environment / "bin"
    install = [bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    done = subprocess.run([*install, wheel], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "flows").mkdir(parents=True)
    shutil.copy(FLOWS / "post-purchase.yaml", elsewhere / "flows")
    shutil.copy(FIXTURES / "invalid" / "cycle.yaml", elsewhere)
    env = {"PATH": str(bin_dir), "NO_COLOR": "1", "FLOWCTL_CACHE_DIR": str(tmp_path / "cache")}

    def flowctl_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [bin_dir / "flowctl", *args],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )

    where = subprocess.run(
        [bin_dir / "python", "-c", "import flowctl; print(flowctl.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(environment)), where  # the wheel's copy, not the source tree
    valid = flowctl_run("validate")
    assert (valid.returncode, valid.stdout) == (0, "✓ 1 file valid\n"), valid.stderr
    invalid = flowctl_run("validate", "cycle.yaml")
    assert invalid.returncode == 1
    assert "cycle.yaml:9:11: error:" in invalid.stdout
    schema = flowctl_run("schema")  # the node types are found through the wheel's entry points
    assert schema.stdout == (ROOT / "schemas" / "flow.schema.json").read_text(encoding="utf-8")
