"""`flowctl db migrate` and choosing the store: `--store`, $FLOWCTL_STORE, the configuration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import FLOWS
from tests.runtime.conftest import NOW, flowctl, ok

FLOW = str(FLOWS / "post-purchase.yaml")
CONTACT = '{"id": "c-1", "attributes": {"last_order": {"category": "shoes", "total": 80}}}'


@pytest.fixture
def url(pg_schema: Iterator[str]) -> str:
    return next(pg_schema)


def test_migrate_creates_then_finds_nothing_to_do(project: Path, url: str) -> None:
    first = ok("db", "migrate", "--store", url)
    assert "applied flowctl tables: version 2" in first.stderr
    assert "applied procrastinate schema" in first.stderr
    again = ok("db", "migrate", "--store", url)
    assert "applied" not in again.stderr
    assert "is up to date" in again.stderr


def test_a_store_not_migrated_is_refused_with_exit_2(project: Path, url: str) -> None:
    result = flowctl("run", FLOW, "--contact", "-", "--now", NOW, "--store", url, stdin=CONTACT)
    assert result.exit_code == 2
    assert "run 'flowctl db migrate' first" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_store_from_a_newer_flowctl_is_refused_with_exit_2(project: Path, url: str) -> None:
    ok("db", "migrate", "--store", url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE flowctl_meta SET value = '7' WHERE key = 'schema_version'")
    for args in (("runs", "list"), ("worker", "--once"), ("db", "migrate")):
        result = flowctl(*args, "--store", url)
        assert result.exit_code == 2, args
        assert "newer flowctl" in result.stderr


@pytest.mark.parametrize("how", ["option", "environment", "configuration"])
def test_the_store_is_chosen_by_option_environment_or_configuration(
    project: Path, url: str, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("db", "migrate", "--store", url)
    extra: tuple[str, ...] = ()
    if how == "option":
        extra = ("--store", url)
    elif how == "environment":
        monkeypatch.setenv("FLOWCTL_STORE", url)
    else:
        quoted = json.dumps(url)  # a TOML basic string
        (project / ".flowctl.toml").write_text(f"[store]\nurl = {quoted}\n", encoding="utf-8")
    ok("run", FLOW, "--contact", "-", "--now", NOW, *extra, stdin=CONTACT)
    listed = ok("runs", "list", "--format", "json", *extra).stdout.splitlines()
    assert [json.loads(line)["contact"] for line in listed] == ["c-1"]
    assert not (project / ".flowctl" / "state.db").exists()


def test_a_bad_store_setting_is_a_usage_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWCTL_STORE", "mysql://x")
    result = flowctl("runs", "list")
    assert result.exit_code == 2
    assert "$FLOWCTL_STORE must be a postgresql:// URL" in result.stderr
    monkeypatch.delenv("FLOWCTL_STORE")
    (project / ".flowctl.toml").write_text('[store]\nurl = "sqlite:///x"\n', encoding="utf-8")
    result = flowctl("runs", "list")
    assert result.exit_code == 2
    assert "store.url: must be a postgresql:// URL" in result.stderr


def test_worker_options_of_the_queue_are_usage_errors_elsewhere(project: Path, url: str) -> None:
    ok("db", "migrate", "--store", url)
    refused = {
        ("--concurrency", "2"): "need a PostgreSQL store",
        ("--health",): "need a PostgreSQL store",
        ("--store", url, "--concurrency", "0"): "--concurrency must be at least 1",
        ("--store", url, "--stall-timeout", "0.5"): "--stall-timeout must be at least 1 second",
        ("--store", url, "--concurrency", "2", "--now", NOW): "without --now",
    }
    for args, message in refused.items():
        result = flowctl("worker", "--once", *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert message in result.stderr
