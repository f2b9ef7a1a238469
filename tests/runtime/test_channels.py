"""Real runs through configured channels: mail to a real SMTP server, an SMS gateway over HTTP,
and what happens when a contact cannot be reached or a server is down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FLOWS
from tests.handlers.conftest import MailServer, WebServer
from tests.runtime.conftest import NOW, flowctl, ok

LATER = "2026-11-24T10:00:00Z"  # after post-purchase's three days
FLOW = str(FLOWS / "post-purchase.yaml")


def _templates(project: Path) -> None:
    folder = project / "templates"
    folder.mkdir()
    for template, subject in (
        ("thanks_v2", "Thanks, {{ contact.attributes.first_name }}!"),
        ("shoes_xsell", "Shoes that go with yours"),
    ):
        (folder / f"{template}.subject").write_text(subject + "\n", "utf-8")
        (folder / f"{template}.txt").write_text(f"{template} for {{{{ contact.id }}}}\n", "utf-8")


def _configure(project: Path, port: int, **extra: str) -> None:
    lines = [
        "[channels.email]",
        'handler = "smtp"',
        'host = "127.0.0.1"',
        f"port = {port}",
        'security = "none"',
        'from = "Shop <news@example.com>"',
        'templates = "templates"',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    (project / ".flowctl.toml").write_text("\n".join(lines) + "\n", "utf-8")


def _contacts(project: Path, *people: dict[str, Any]) -> Path:
    sample = json.loads((FLOWS / "contact.sample.json").read_text(encoding="utf-8"))
    path = project / "contacts.jsonl"
    lines = []
    for person in people:
        attributes = {**sample["attributes"], **person.get("attributes", {})}
        attributes = {key: value for key, value in attributes.items() if value is not None}
        lines.append(json.dumps({"id": person["id"], "attributes": attributes}) + "\n")
    path.write_text("".join(lines), "utf-8")
    return path


def _runs() -> dict[str, dict[str, Any]]:
    listed = ok("runs", "list", "--format", "json").stdout
    return {run["contact"]: run for run in map(json.loads, listed.splitlines())}


def _effect_status(run: str, node: str) -> tuple[str, int]:
    trace = json.loads(ok("runs", "show", run, "--format", "json").stdout)
    (step,) = (step for step in trace["steps"] if step["node"] == node)
    return step["status"], step["attempts"]


def test_mail_goes_to_the_smtp_server_with_the_effects_key(
    project: Path, mail_server: MailServer
) -> None:
    _templates(project)
    _configure(project, mail_server.port)
    contacts = _contacts(project, {"id": "c-1"}, {"id": "c-2", "attributes": {"email": "b@x.io"}})

    ok("run", FLOW, "--contacts", str(contacts), "--now", NOW)
    ok("worker", "--once", "--now", LATER)

    runs = _runs()
    sent = [
        (m.recipients, m.message["Subject"], m.message["X-Flowctl-Key"]) for m in mail_server.mails
    ]
    # The thank-you mails in the audience's order; the offers, woken together, in any order.
    assert sent[:2] == [
        (["ana@example.com"], "Thanks, Ana!", f"{runs['c-1']['run']}:thank_you:0"),
        (["b@x.io"], "Thanks, Ana!", f"{runs['c-2']['run']}:thank_you:0"),
    ]
    assert sorted(sent[2:]) == sorted(
        [
            (
                ["ana@example.com"],
                "Shoes that go with yours",
                f"{runs['c-1']['run']}:shoes_offer:3",
            ),
            (["b@x.io"], "Shoes that go with yours", f"{runs['c-2']['run']}:shoes_offer:3"),
        ]
    )
    ids = {mail.message["Message-ID"] for mail in mail_server.mails}
    assert len(ids) == 4
    assert {run["status"] for run in runs.values()} == {"completed"}
    assert mail_server.mails[0].message.get_body(("plain",)).get_content() == (
        "thanks_v2 for c-1\n"
    )


def test_a_contact_without_an_email_is_skipped_and_moves_on(
    project: Path, mail_server: MailServer
) -> None:
    _templates(project)
    _configure(project, mail_server.port)
    contacts = _contacts(project, {"id": "c-1"}, {"id": "c-2", "attributes": {"email": None}})

    ok("run", FLOW, "--contacts", str(contacts), "--now", NOW)
    ok("worker", "--once", "--now", LATER)

    runs = _runs()
    assert {contact: run["status"] for contact, run in runs.items()} == {
        "c-1": "completed",
        "c-2": "completed",
    }
    assert _effect_status(runs["c-2"]["run"], "thank_you") == ("skipped", 1)
    assert [m.recipients for m in mail_server.mails] == [["ana@example.com"]] * 2


def test_a_server_that_is_down_fails_only_its_runs_after_their_attempts(
    project: Path, closed_port: int, web_server: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mail is down, the SMS gateway works: the mail contact's run fails at its node after three
    attempts; the SMS contact's run completes, its request carrying the key and the token."""
    _templates(project)
    flow = project / "reach.yaml"
    flow.write_text(
        "version: 1\n"
        "name: reach\n"
        "start: by_channel\n"
        "nodes:\n"
        "  by_channel:\n"
        "    type: branch\n"
        "    config: {cases: {sms: {attribute: prefers, equals: sms}}}\n"
        "    next: {sms: text, default: mail}\n"
        "  text: {type: send_message, config: {channel: sms, template_id: hello}}\n"
        "  mail:\n"
        "    type: send_message\n"
        "    config: {channel: email, template_id: thanks_v2, retry: {max_attempts: 3}}\n",
        "utf-8",
    )
    monkeypatch.setenv("SMS_TOKEN", "Bearer t0ken")
    web_server.routes["/sms"] = (202, {}, b"queued")
    _configure(project, closed_port)
    with (project / ".flowctl.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'[channels.sms]\nhandler = "http"\nurl = "{web_server.url}/sms"\n'
            'headers_env = {Authorization = "SMS_TOKEN"}\n'
        )
    contacts = _contacts(
        project, {"id": "by-mail"}, {"id": "by-sms", "attributes": {"prefers": "sms"}}
    )

    first = flowctl("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    assert first.exit_code == 0, first.stderr  # the mail is only being retried
    assert _runs()["by-sms"]["status"] == "completed"
    # Each attempt is due within a minute of the one before (30 s back-off, doubled, jittered).
    second = flowctl("worker", "--once", "--now", "2026-11-20T10:01:00Z")
    assert second.exit_code == 0, second.stderr
    third = flowctl("worker", "--once", "--now", "2026-11-20T10:03:00Z")
    assert third.exit_code == 1, third.stderr
    assert "1 run failed" in third.stderr
    runs = _runs()
    assert {contact: run["status"] for contact, run in runs.items()} == {
        "by-mail": "failed",
        "by-sms": "completed",
    }
    assert _effect_status(runs["by-mail"]["run"], "mail") == ("failed", 3)
    shown = ok("runs", "show", runs["by-mail"]["run"]).stdout
    assert "mail" in shown and "after 3 attempts" in shown
    (request,) = web_server.requests
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Idempotency-Key"] == f"{runs['by-sms']['run']}:text:1"
    assert json.loads(request.body)["effect"]["send"]["template_id"] == "hello"


def test_an_effect_waits_for_the_earlier_one_of_its_run(
    project: Path, web_server: WebServer
) -> None:
    """The first text is refused with a long Retry-After; the run goes on and, an hour later,
    makes its second text, which is held until the first went through: a run's effects go in
    step order, however the worker found them."""
    flow = project / "two-texts.yaml"
    flow.write_text(
        "version: 1\n"
        "name: two-texts\n"
        "start: first\n"
        "nodes:\n"
        "  first: {type: send_message, config: {channel: sms, template_id: one}, next: pause}\n"
        "  pause: {type: delay, config: {duration: 1h}, next: second}\n"
        "  second: {type: send_message, config: {channel: sms, template_id: two}}\n",
        "utf-8",
    )
    (project / ".flowctl.toml").write_text(
        f'[channels.sms]\nhandler = "http"\nurl = "{web_server.url}/sms"\n', "utf-8"
    )
    web_server.routes["/sms"] = (503, {"Retry-After": "7200"}, b"busy")
    contacts = _contacts(project, {"id": "c-1"})

    ok("run", str(flow), "--contacts", str(contacts), "--now", NOW)
    web_server.routes["/sms"] = (202, {}, b"queued")
    ok("worker", "--once", "--now", "2026-11-20T11:00:00Z")  # the second is made, and held
    run = _runs()["c-1"]["run"]
    assert _effect_status(run, "second") == ("pending", 0)
    ok("worker", "--once", "--now", "2026-11-20T12:30:00Z")

    sent = [request.headers["Idempotency-Key"] for request in web_server.requests]
    assert sent == [f"{run}:first:0", f"{run}:first:0", f"{run}:second:2"]
    assert _effect_status(run, "first") == ("delivered", 2)
    assert _effect_status(run, "second") == ("delivered", 1)
    assert _runs()["c-1"]["status"] == "completed"
