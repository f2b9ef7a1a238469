"""Worker ids, and telling a gone process of this host from one that still runs."""

from __future__ import annotations

import os

import pytest

from flowctl.store.workers import hostname, is_alive, worker_id
from tests.store.builders import dead_worker, remote_worker


def test_a_worker_id_is_host_pid_and_a_fresh_nonce() -> None:
    host, pid, nonce = worker_id().split(":")
    assert (host, pid) == (hostname(), str(os.getpid()))
    assert len(nonce) == 8
    assert worker_id() != worker_id()


def test_this_process_is_alive_and_a_reaped_one_is_not() -> None:
    assert is_alive(worker_id())
    assert not is_alive(dead_worker())


@pytest.mark.skipif(os.geteuid() == 0, reason="root may signal every process")
def test_a_process_of_another_user_is_alive() -> None:
    assert is_alive(f"{hostname()}:1:init")  # PermissionError: it runs, not ours


@pytest.mark.parametrize(
    "worker",
    [
        remote_worker(),
        "no-colons",
        f"{hostname()}:not-a-pid:x",
        f"{hostname()}:12",
        "",
        f"{hostname()}:{10**30}:huge",
    ],
)
def test_what_cannot_be_checked_counts_as_alive(worker: str) -> None:
    assert is_alive(worker)
