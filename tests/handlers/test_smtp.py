"""The smtp handler against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from flowctl.config.settings import ConfigError
from flowctl.effects import SendMessage
from flowctl.handlers.base import DELIVERED, FAILED, RETRY, SKIPPED
from flowctl.handlers.routing import ChannelHandlers
from flowctl.handlers.smtp import NO_EMAIL, Smtp, message_id
from tests.handlers.conftest import ANA, KEY, MailServer, delivery, free_port, start_mail_server

Configure = Callable[..., ChannelHandlers]


def smtp_table(port: int, security: str = "none", **extra: str) -> str:
    lines = [
        "[tool.flowctl.channels.email]",
        'handler = "smtp"',
        'host = "127.0.0.1"',
        f"port = {port}",
        f'security = "{security}"',
        'from = "Shop <news@example.com>"',
        'templates = "templates"',
        "timeout = 5",
        *(f'{key} = "{value}"' for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def smtp(configure: Configure, mail_server: MailServer, templates: Path) -> Smtp:
    handler = configure(smtp_table(mail_server.port)).for_channel("email")
    assert isinstance(handler, Smtp)
    return handler


def send(template: str, **params: object) -> SendMessage:
    return SendMessage("email", template, "c-1001", params)


def test_a_message_with_its_headers_and_both_bodies(smtp: Smtp, mail_server: MailServer) -> None:
    result = smtp.deliver(delivery(send("thanks", name="Ana <3", order="A-17")))
    assert result.status == DELIVERED, result
    assert result.reply == {"to": "ana@example.com", "message_id": "<r-1%3Athank_you%3A1@flowctl>"}
    (mail,) = mail_server.mails
    assert mail.sender == "news@example.com" and mail.recipients == ["ana@example.com"]
    message = mail.message
    assert message["From"] == "Shop <news@example.com>"
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Thanks, Ana!"
    assert message["Message-ID"] == "<r-1%3Athank_you%3A1@flowctl>" == message_id(KEY)
    assert message["X-Flowctl-Key"] == KEY
    assert message["Date"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content() == "Hi Ana <3, order A-17 is on its way.\n"  # text: as given
    assert html.get_content() == "<p>Hi Ana &lt;3, order <b>A-17</b>.</p>\n"  # html: escaped


def test_without_an_html_template_the_message_is_text_only(
    smtp: Smtp, mail_server: MailServer
) -> None:
    assert smtp.deliver(delivery(send("plain"))).status == DELIVERED
    message = mail_server.mails[0].message
    assert message["Subject"] == "Plain for c-1001"
    assert not message.is_multipart()
    assert message.get_content() == "Your plan: pro\n"


def test_message_ids_are_header_safe_and_distinct_for_distinct_keys() -> None:
    ids = {message_id(key) for key in ("a:b:1", "a%3Ab:1", "a.b:1", "a b\r\n:1")}
    assert len(ids) == 4
    for value in ids:
        local = value.removeprefix("<").removesuffix("@flowctl>")
        assert local and all(c.isalnum() or c in "!#$%&'*+-/=?^_`{|}~" for c in local)


def test_a_missing_variable_fails_naming_it_and_its_template(
    smtp: Smtp, mail_server: MailServer
) -> None:
    result = smtp.deliver(delivery(send("thanks", order="A-17")))  # no `name`
    assert result.status == FAILED
    assert result.error == "template thanks.txt: 'name' is undefined"
    assert mail_server.mails == []


def test_the_sandbox_blocks_reaching_python_internals(
    smtp: Smtp, mail_server: MailServer, templates: Path
) -> None:
    (templates / "evil.subject").write_text("hi\n")
    (templates / "evil.txt").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = smtp.deliver(delivery(send("evil")))
    assert result.status == FAILED
    assert result.error is not None and "template evil.txt:" in result.error
    assert "unsafe" in result.error
    assert mail_server.mails == []


def test_a_missing_or_broken_template_fails_naming_the_file(smtp: Smtp, templates: Path) -> None:
    result = smtp.deliver(delivery(send("nope")))
    assert (result.status, result.error) == (
        FAILED,
        f"template file {templates / 'nope.subject'} not found",
    )
    (templates / "broken.subject").write_text("hi\n")
    (templates / "broken.txt").write_text("line one\n{% if %}\n")
    result = smtp.deliver(delivery(send("broken")))
    assert result.status == FAILED
    assert result.error is not None and result.error.startswith("template broken.txt, line 2:")
    escape = smtp.deliver(delivery(send("../outside")))
    assert escape.status == FAILED and "not found" in (escape.error or "")


def test_params_and_contact_are_the_variables(smtp: Smtp, mail_server: MailServer) -> None:
    (smtp.templates.directory / "vars.subject").write_text("{{ contact.id }}\n")
    (smtp.templates.directory / "vars.txt").write_text(
        "{{ contact.attributes.email }} {{ total }} {{ contact.attributes.plan | upper }}\n"
    )
    assert smtp.deliver(delivery(send("vars", total=120.5))).status == DELIVERED
    assert mail_server.mails[0].message.get_content() == "ana@example.com 120.5 PRO\n"


def test_a_contact_without_an_email_is_skipped(smtp: Smtp, mail_server: MailServer) -> None:
    assert smtp.deliver(delivery(attributes={"plan": "pro"})).error == NO_EMAIL
    assert smtp.deliver(delivery(attributes={"email": ""})).status == SKIPPED
    odd = smtp.deliver(delivery(attributes={"email": "ana\r\nBcc: x@example.com"}))
    assert odd.status == SKIPPED and "not an e-mail address" in (odd.error or "")
    assert mail_server.mails == []


def test_a_5xx_reply_fails_and_a_4xx_reply_is_retried(smtp: Smtp, mail_server: MailServer) -> None:
    mail_server.refuse["gone@example.com"] = "550 5.1.1 no such user"
    mail_server.refuse["busy@example.com"] = "451 4.3.0 try again later"
    gone = smtp.deliver(delivery(attributes={**ANA, "email": "gone@example.com"}))
    assert (gone.status, gone.error) == (
        FAILED,
        "the SMTP server refused the recipient gone@example.com: 550 5.1.1 no such user",
    )
    busy = smtp.deliver(delivery(attributes={**ANA, "email": "busy@example.com"}))
    assert busy.status == RETRY and "451 4.3.0 try again later" in (busy.error or "")
    assert smtp.deliver(delivery()).status == DELIVERED  # the connection is still good
    assert len(mail_server.mails) == 1


def test_one_connection_serves_every_delivery(smtp: Smtp, mail_server: MailServer) -> None:
    for number in range(3):
        assert smtp.deliver(delivery(key=f"r-1:n:{number}")).status == DELIVERED
    assert len({mail.peer for mail in mail_server.mails}) == 1


def test_a_server_restarted_between_deliveries_gets_a_new_connection(
    configure: Configure, templates: Path
) -> None:
    port = free_port()
    first = MailServer()
    controller = start_mail_server(first, port)
    smtp = configure(smtp_table(port)).for_channel("email")
    assert smtp.deliver(delivery(key="r-1:n:1")).status == DELIVERED
    controller.stop()
    second = MailServer()
    controller = start_mail_server(second, port)
    try:
        assert smtp.deliver(delivery(key="r-1:n:2")).status == DELIVERED
    finally:
        controller.stop()
    assert [mail.message["X-Flowctl-Key"] for mail in first.mails] == ["r-1:n:1"]
    assert [mail.message["X-Flowctl-Key"] for mail in second.mails] == ["r-1:n:2"]


def test_a_server_that_is_down_is_retried(
    configure: Configure, templates: Path, closed_port: int
) -> None:
    smtp = configure(smtp_table(closed_port)).for_channel("email")
    result = smtp.deliver(delivery())
    assert result.status == RETRY
    assert result.error is not None
    assert result.error.startswith(f"cannot reach the SMTP server 127.0.0.1:{closed_port}:")


def test_starttls_against_a_server_without_it_is_a_clear_failure(
    configure: Configure, mail_server: MailServer, templates: Path
) -> None:
    smtp = configure(smtp_table(mail_server.port, security="starttls")).for_channel("email")
    result = smtp.deliver(delivery())
    assert result.status == FAILED
    assert result.error == (
        f"127.0.0.1:{mail_server.port}: the server does not offer STARTTLS; set security = "
        '"ssl" if it expects TLS from the start, or "none" for a plain-text local relay'
    )
    assert mail_server.mails == []


def test_login_with_credentials_from_the_environment(
    configure: Configure, mail_server: MailServer, templates: Path
) -> None:
    table = smtp_table(mail_server.port, username_env="SMTP_USER", password_env="SMTP_PASSWORD")
    good = configure(table, {"SMTP_USER": "shop", "SMTP_PASSWORD": "s3cret"})
    assert good.for_channel("email").deliver(delivery()).status == DELIVERED
    bad = configure(table, {"SMTP_USER": "shop", "SMTP_PASSWORD": "wrong"})
    refused = bad.for_channel("email").deliver(delivery())
    assert refused.status == FAILED and "refused the login: 535" in (refused.error or "")
    assert mail_server.logins[0] == ("shop", "s3cret")
    assert set(mail_server.logins[1:]) == {("shop", "wrong")}  # smtplib tries PLAIN, LOGIN
    assert len(mail_server.mails) == 1


@pytest.mark.parametrize(
    ("extra", "environ", "message"),
    [
        (
            'password_env = "SMTP_PASSWORD"\nusername_env = "SMTP_USER"\n',
            {"SMTP_USER": "shop"},
            "channels.email.password_env: the environment variable SMTP_PASSWORD is not set",
        ),
        (
            'username_env = "SMTP_USER"\n',
            {"SMTP_USER": "shop"},
            "channels.email.username_env: needs username_env and password_env together",
        ),
        ('hots = "x"\n', {}, "channels.email.hots: unknown key; did you mean 'host'?"),
        ('rtae = "1/s"\n', {}, "channels.email.rtae: unknown key; did you mean 'rate'?"),
    ],
)
def test_configuration_mistakes_name_the_key(
    configure: Configure, templates: Path, extra: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        configure(smtp_table(25) + extra, environ)
    assert str(caught.value) == f"pyproject.toml: tool.flowctl.{message}"
    assert caught.value.exit_code == 2


def test_a_template_that_is_not_a_regular_file_fails_without_hanging(
    smtp: Smtp, mail_server: MailServer, templates: Path
) -> None:
    """A FIFO where a template should be (nothing ever writes to it) is refused, not read."""
    (templates / "thanks.txt").unlink()
    os.mkfifo(templates / "thanks.txt")
    result = smtp.deliver(delivery())
    assert result.status == FAILED, result
    assert "a named pipe (FIFO)" in (result.error or "")
    assert mail_server.mails == []
