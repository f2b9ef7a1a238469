"""Crash safety, for real: `flowctl run` and `flowctl worker` killed with SIGKILL at random
moments, restarted, and the outbox then holds every effect of the equivalent dry run exactly
once. Two workers on one state at once never deliver one effect twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FLOWS
from tests.handlers.conftest import MailServer
from tests.runtime.conftest import NOW, ok, outbox

FLOW = FLOWS / "post-purchase.yaml"
CONTACTS = 1_200
LATER = "2026-11-24T10:00:00Z"  # past every wait of the flow
MAX_RESTARTS = 25
MAILED = 300  # contacts of the SMTP crash test


def audience(path: Path) -> Path:
    rng = random.Random(7)
    categories = ["shoes", "bags", "wallets", "hats"]
    with path.open("w", encoding="utf-8") as handle:
        for number in range(CONTACTS):
            order = {"category": rng.choice(categories), "total": rng.randint(5, 900)}
            handle.write(json.dumps({"id": f"c-{number}", "attributes": {"last_order": order}}))
            handle.write("\n")
    return path


def flowctl_process(project: Path, *args: str) -> subprocess.Popen[bytes]:
    """`flowctl ARGS` in `project`; its stderr goes to `project/stderr.log` (appended), for
    the assertion messages."""
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FLOWCTL_STATE", None)
    with (project / "stderr.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flowctl", *args],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def stderr_of(project: Path) -> str:
    return (project / "stderr.log").read_text(encoding="utf-8", errors="replace")[-3000:]


# A kill moment: given the time of the start, when to kill (a deadline, and a condition that
# kills earlier); made anew for each try.
Moment = Callable[[], tuple[float, Callable[[], bool]]]


def kill_until_done(project: Path, moment: Moment, *args: str) -> int:
    """Run the command, killing it at the moments `moment` picks, until one run of it exits by
    itself (with 0); how many times it was killed."""
    kills = 0
    for _ in range(MAX_RESTARTS):
        process = flowctl_process(project, *args)
        deadline, reached = moment()
        while process.poll() is None and time.monotonic() < deadline and not reached():
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            kills += 1
            continue
        assert process.returncode == 0, stderr_of(project)
        return kills
    process = flowctl_process(project, *args)  # the last try runs to the end
    assert process.wait(timeout=120) == 0, stderr_of(project)
    return kills


def until_done(project: Path, rng: random.Random, *args: str) -> int:
    """`kill_until_done`: half the kills come at a random time after the start (while the
    state is written, say); the others once the outbox grew by a random number of bytes since
    the start, so that they land mid-delivery however fast the machine is."""
    box = project / ".flowctl" / "outbox.jsonl"

    def moment() -> tuple[float, Callable[[], bool]]:
        if rng.random() < 0.5:
            return time.monotonic() + rng.uniform(0.1, 0.7), lambda: False
        grown = _size(box) + rng.randint(1, 150_000)
        return time.monotonic() + 60, lambda: _size(box) >= grown

    return kill_until_done(project, moment, *args)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def expected_effects(
    project: Path, contacts: Path, now: str = NOW
) -> Counter[tuple[str, str, str]]:
    result = ok(
        "run", str(FLOW), "--dry-run", "--contacts", str(contacts), "--now", now, "--format", "json"
    )
    effects: Counter[tuple[str, str, str]] = Counter()
    for line in result.stdout.splitlines():
        trace = json.loads(line)
        for step in trace["steps"]:
            if step["effect"] is not None:
                effects[trace["contact"], step["node"], json.dumps(step["effect"])] += 1
    return effects


def delivered(project: Path) -> tuple[Counter[tuple[str, str, str]], Counter[str]]:
    lines: list[dict[str, Any]] = outbox(project)
    effects = Counter((e["contact"], e["node"], json.dumps(e["effect"])) for e in lines)
    return effects, Counter(line["key"] for line in lines)


@pytest.mark.parametrize("seed", [1, 2])
def test_run_and_worker_killed_at_random_moments_lose_and_double_nothing(
    project: Path, seed: int
) -> None:
    rng = random.Random(seed)
    contacts = audience(project / "audience.jsonl")
    kills = until_done(project, rng, "run", str(FLOW), "--contacts", str(contacts), "--now", NOW)
    kills += until_done(project, rng, "worker", "--once", "--now", LATER)
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts)
    assert max(keys.values()) == 1
    assert kills >= 1, "the moments were chosen so that at least one kill lands mid-work"
    statuses = ok("runs", "list", "--format", "json").stdout.splitlines()
    assert len(statuses) == CONTACTS
    assert {json.loads(line)["status"] for line in statuses} == {"completed"}


def test_two_workers_on_one_state_never_deliver_an_effect_twice(project: Path) -> None:
    contacts = audience(project / "audience.jsonl")
    ok("run", str(FLOW), "--contacts", str(contacts), "--now", NOW)
    first = flowctl_process(project, "worker", "--once", "--now", LATER)
    second = flowctl_process(project, "worker", "--once", "--now", LATER)
    deadline = time.monotonic() + 120
    for process in (first, second):
        assert process.wait(timeout=max(deadline - time.monotonic(), 1)) == 0, stderr_of(project)
    effects, keys = delivered(project)
    assert effects == expected_effects(project, contacts)
    assert max(keys.values()) == 1


def test_a_run_killed_while_mailing_re_sends_at_most_the_unconfirmed_mail(
    project: Path, mail_server: MailServer
) -> None:
    """Through SMTP, each killed `run` may have sent one mail whose result was not recorded:
    that one goes again, with the same Message-ID; every other mail goes once."""
    templates = project / "templates"
    templates.mkdir()
    (templates / "thanks_v2.subject").write_text("Thanks\n", "utf-8")
    (templates / "thanks_v2.txt").write_text("Thanks, {{ contact.id }}\n", "utf-8")
    (project / ".flowctl.toml").write_text(
        '[channels.email]\nhandler = "smtp"\nhost = "127.0.0.1"\n'
        f'port = {mail_server.port}\nsecurity = "none"\nfrom = "shop@example.com"\n',
        "utf-8",
    )
    contacts = project / "mailing.jsonl"
    with contacts.open("w", encoding="utf-8") as handle:
        for number in range(MAILED):
            person = {"id": f"m-{number}", "attributes": {"email": f"m{number}@example.com"}}
            handle.write(json.dumps(person) + "\n")
    rng = random.Random(5)
    kills = kill_while_mailing(
        project, mail_server, rng, "run", str(FLOW), "--contacts", str(contacts)
    )
    # The killed runs' mails still in doubt or not yet tried: the worker sends them.
    kills += kill_while_mailing(project, mail_server, rng, "worker", "--once")
    ids = Counter(mail.message["Message-ID"] for mail in mail_server.mails)
    keys = Counter(mail.message["X-Flowctl-Key"] for mail in mail_server.mails)
    assert kills >= 1
    assert len(keys) == MAILED  # every contact got the mail
    assert {key.split(":")[1] for key in keys} == {"thank_you"}
    assert len(ids) == MAILED  # a re-sent mail has its first copy's Message-ID
    assert sum(keys.values()) - MAILED <= kills  # at most one mail again per kill


def kill_while_mailing(
    project: Path, mail_server: MailServer, rng: random.Random, *args: str
) -> int:
    """`kill_until_done`, each kill once the mail server got a random number more mails."""

    def moment() -> tuple[float, Callable[[], bool]]:
        target = len(mail_server.mails) + rng.randint(1, MAILED // 3)
        return time.monotonic() + 60, lambda: len(mail_server.mails) >= target

    return kill_until_done(project, moment, *args)
