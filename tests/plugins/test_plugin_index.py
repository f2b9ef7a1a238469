"""Entry points remembered between runs: the same as a scan, rescanned whenever any installed
distribution's metadata changes, and never trusted when it cannot be fingerprinted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowctl.plugins import entry_points as plugin_index
from flowctl.plugins.entry_points import Target, entry_points, fingerprint
from flowctl.plugins.registry import ENTRY_POINT_GROUP


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Count real scans; the cache lives in a temporary directory."""
    monkeypatch.setenv("FLOWCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("FLOWCTL_NO_CACHE", raising=False)
    calls: list[str] = []
    real = plugin_index._scan

    def counted(group: str) -> list[Target]:
        calls.append(group)
        return real(group)

    monkeypatch.setattr(plugin_index, "_scan", counted)
    return calls


def install(site: Path, name: str, entry_points_txt: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points_txt)


def test_the_cache_gives_what_a_scan_gives(scans: list[str]) -> None:
    first = entry_points(ENTRY_POINT_GROUP)
    second = entry_points(ENTRY_POINT_GROUP)
    assert scans == [ENTRY_POINT_GROUP]
    assert first == second
    assert Target("goal", "flowctl.nodes.goal:Goal", "flowctl") in first


def test_a_changed_installation_is_scanned_again(
    scans: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = entry_points(ENTRY_POINT_GROUP)
    install(site, "flowctl_fake", "[flowctl.nodes]\nfake = flowctl_fake:Fake\n")
    after = entry_points(ENTRY_POINT_GROUP)
    assert len(scans) == 2
    assert Target("fake", "flowctl_fake:Fake", "flowctl_fake") in after
    assert Target("fake", "flowctl_fake:Fake", "flowctl_fake") not in before
    key = fingerprint(ENTRY_POINT_GROUP)
    install(site, "flowctl_fake", "[flowctl.nodes]\nfake = flowctl_fake:Fake2\n")
    assert fingerprint(ENTRY_POINT_GROUP) != key  # reinstalled: new size or time
    assert Target("fake", "flowctl_fake:Fake2", "flowctl_fake") in entry_points(ENTRY_POINT_GROUP)


def test_an_unreadable_cache_file_means_a_scan(scans: list[str], tmp_path: Path) -> None:
    entry_points(ENTRY_POINT_GROUP)
    (cached,) = (tmp_path / "cache").glob("entry-points-*.json")
    cached.write_text("{not json")
    assert entry_points(ENTRY_POINT_GROUP) == plugin_index._scan(ENTRY_POINT_GROUP)
    assert len(scans) == 3


def test_no_cache_when_asked(scans: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_NO_CACHE", "1")
    entry_points(ENTRY_POINT_GROUP)
    entry_points(ENTRY_POINT_GROUP)
    assert len(scans) == 2


def test_a_custom_distribution_finder_disables_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        @staticmethod
        def find_distributions(*args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert fingerprint(ENTRY_POINT_GROUP) is None


def test_target_loads_module_attributes() -> None:
    assert Target("x", "flowctl.plugins.entry_points:Target.load", "flowctl").load() is Target.load
    assert Target("x", "flowctl.plugins.entry_points", "flowctl").load() is plugin_index
