"""No module under flowctl/ grows past 400 lines: past that, it is two modules waiting to split."""

from __future__ import annotations

from tests.conftest import ROOT

LIMIT = 400


def test_no_module_is_over_400_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((ROOT / "flowctl").rglob("*.py"))
    }
    assert {path: size for path, size in sizes.items() if size > LIMIT} == {}
