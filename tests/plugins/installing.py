"""Plugins installed the ways users install them, for the plugin tests of nodes and handlers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def pip_install(package: Path, target: Path) -> Path:
    """pip-install a plugin package into its own directory, as a user would install it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    return target


def fake_distribution(
    site: Path, name: str, entry_points: str, module: str, code: str, group: str = "flowctl.nodes"
) -> None:
    """An installed distribution as importlib.metadata finds it: a module and a dist-info."""
    (site / f"{module}.py").write_text(code)
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry_points}\n")
