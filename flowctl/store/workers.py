"""Worker ids and whether the process behind one still runs.

A worker id is `HOST:PID:NONCE`. The nonce tells apart two workers that one process starts in
turn; host and PID let a store void at once the claims of a process of this machine that is
gone (killed, crashed), instead of waiting for the claim's lease to end.
"""

from __future__ import annotations

import functools
import os
import secrets
import socket
import sys


def worker_id() -> str:
    """A fresh id for a worker of this process: `HOST:PID:NONCE`."""
    return f"{hostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@functools.cache
def hostname() -> str:
    """This machine's name, as worker ids carry it."""
    return socket.gethostname()


def is_alive(worker: str) -> bool:
    """False only when `worker` is a process of this host that no longer runs.

    Anything else counts as alive, so that only its lease can end its claims: a worker of
    another host, an id that is not `HOST:PID:NONCE`, or a platform where the test is unsafe.
    A PID that was reused by a new process also counts as alive: the lease covers that case.
    """
    host, _, rest = worker.partition(":")
    pid_text, _, nonce = rest.partition(":")
    if host != hostname() or not nonce or not pid_text.isdecimal():
        return True
    # On Windows, os.kill(pid, 0) would send CTRL_C_EVENT: never use it there.
    if sys.platform == "win32":  # pragma: no cover
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it runs, under another user
        return True
    return True
