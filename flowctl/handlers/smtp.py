"""`smtp`: `send_message` effects as e-mails, rendered from templates and sent over SMTP.

Each message goes to the contact's `attributes.email`, with a `Message-ID` made from the
effect's key and an `X-Flowctl-Key` header, so a message re-sent after a crash is recognisably
the same message. One connection serves every delivery of a command: it is opened on the first
one and, when the server has dropped it since, opened again once.

What the server says decides the result: a 5xx reply is permanent (`failed`), a 4xx reply, a
refused or timed-out connection, or a dropped one is transient (`retry`).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import quote

from flowctl.config.options import Options
from flowctl.effects import SendMessage
from flowctl.handlers.base import Delivery, HandlerType, Result
from flowctl.handlers.templates import TemplateProblem, Templates

SECURITY = ("starttls", "ssl", "none")
NO_EMAIL = "contact has no attributes.email"
# RFC 5322 `atext` besides letters and digits, less `%`, which escapes the rest.
_ATEXT = "!#$&'*+-/=?^_`{|}~"

# What the server was refusing, by the exception smtplib raises for it.
_REFUSED: dict[type[smtplib.SMTPResponseException], str] = {
    smtplib.SMTPConnectError: "the connection",
    smtplib.SMTPHeloError: "the greeting",
    smtplib.SMTPAuthenticationError: "the login",
    smtplib.SMTPSenderRefused: "the sender",
    smtplib.SMTPDataError: "the message",
}


class _Unusable(Exception):
    """The server cannot be used as configured (no STARTTLS, no AUTH): permanent."""


class Smtp:
    """Sends templated e-mails through one SMTP server."""

    name: ClassVar[str] = "smtp"
    options: ClassVar[Mapping[str, str]] = {
        "host": "the SMTP server's host name (required)",
        "port": 'its port (default 587; 465 with `security = "ssl"`)',
        "security": '`"starttls"` (default): upgrade to TLS after connecting; `"ssl"`: TLS from '
        'the start; `"none"`: plain text, for a local relay',
        "username_env": "the environment variable that holds the login name (optional)",
        "password_env": "the environment variable that holds the password (with username_env)",
        "from": 'the sender, e.g. `"Shop <news@example.com>"` (required)',
        "templates": "the templates' directory, relative to the configuration file "
        "(default `templates`)",
        "timeout": "seconds (or a duration such as `30s`) to wait for the server (default 30)",
    }

    def __init__(
        self,
        host: str,
        sender: str,
        templates: Templates,
        port: int = 587,
        security: str = "starttls",
        login: tuple[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.sender = sender
        self.templates = templates
        self._login = login
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(
        cls, channel: str, options: Options, base: Path, environ: Mapping[str, str]
    ) -> Smtp:
        security = options.choice("security", SECURITY, "starttls")
        sender = options.text("from")
        if "@" not in parseaddr(sender)[1]:
            raise options.fail(
                "from", f'must be an address such as "Shop <news@example.com>", not {sender!r}'
            )
        directory = options.path("templates", "templates", base)
        if not directory.is_dir():
            raise options.fail("templates", f"{directory} is not a directory")
        username = options.secret("username_env", environ)
        password = options.secret("password_env", environ)
        if (username is None) != (password is None):
            given = "username_env" if password is None else "password_env"
            raise options.fail(given, "needs username_env and password_env together")
        return cls(
            host=options.text("host"),
            sender=sender,
            templates=Templates(directory),
            port=options.integer("port", 465 if security == "ssl" else 587, 1, 65535),
            security=security,
            login=None if username is None or password is None else (username, password),
            timeout=options.seconds("timeout", 30.0),
        )

    def deliver(self, delivery: Delivery) -> Result:
        effect = delivery.effect
        if not isinstance(effect, SendMessage):
            return Result.failed(f"the smtp handler sends messages, not {effect.kind} effects")
        to = delivery.attributes.get("email")
        if not (isinstance(to, str) and to.strip()):
            return Result.skipped(NO_EMAIL)
        if "@" not in parseaddr(to)[1] or "\n" in to or "\r" in to:
            return Result.skipped(f"attributes.email is not an e-mail address: {to!r}")
        try:
            message = self.message(delivery, effect, to)
        except TemplateProblem as problem:
            return Result.failed(str(problem))
        return self._send(message, to)

    def message(self, delivery: Delivery, effect: SendMessage, to: str) -> EmailMessage:
        """The e-mail of a delivery; `TemplateProblem` when its templates fail."""
        variables = {
            **(effect.params or {}),
            "contact": {"id": delivery.contact, "attributes": delivery.attributes},
        }
        rendered = self.templates.render(effect.template_id, variables)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
        message["Message-ID"] = message_id(delivery.key)
        message["X-Flowctl-Key"] = delivery.key
        message.set_content(rendered.text)
        if rendered.html is not None:
            message.add_alternative(rendered.html, subtype="html")
        return message

    def _send(self, message: EmailMessage, to: str) -> Result:
        reused = self._smtp is not None
        try:
            try:
                self._session().send_message(message, parseaddr(self.sender)[1], [to])
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                self._drop()  # the server closed an idle connection: connect again, once
                self._session().send_message(message, parseaddr(self.sender)[1], [to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _refused(code, text, f"the recipient {to}")
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # "closing the connection"
                self._drop()
            return _refused(exc.smtp_code, exc.smtp_error, _REFUSED.get(type(exc), "a command"))
        except (_Unusable, smtplib.SMTPNotSupportedError) as exc:
            self._drop()
            return Result.failed(f"{self._server}: {exc}")
        except (smtplib.SMTPException, OSError) as exc:  # TLS errors included, as with http
            self._drop()
            return Result.retry(f"cannot reach the SMTP server {self._server}: {_words(exc)}")
        return Result.delivered({"to": to, "message_id": message["Message-ID"]})

    @property
    def _server(self) -> str:
        return f"{self.host}:{self.port}"

    def _session(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            context = ssl.create_default_context()
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise _Unusable(
                        'the server does not offer STARTTLS; set security = "ssl" if it '
                        'expects TLS from the start, or "none" for a plain-text local relay'
                    )
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self._login is not None:
                smtp.login(*self._login)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def flush(self) -> None:
        """Nothing to do: a message is the server's once it has answered DATA."""

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # leaving anyway
                self._smtp.quit()
            self._drop()


def message_id(key: str) -> str:
    """`<KEY@flowctl>`, the key made safe for the header: characters a Message-ID may not hold
    (`:` among them) are percent-encoded, and so is `%` itself, so that two keys never share
    an id."""
    safe = quote(key, safe=_ATEXT).replace(".", "%2E")  # `quote` never encodes `.` itself
    return f"<{safe}@flowctl>"


def _refused(code: int, text: bytes | str, what: str) -> Result:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    words = f"the SMTP server refused {what}: {code} {reply}".rstrip()
    return Result.failed(words) if 500 <= code < 600 else Result.retry(words)


def _words(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


if TYPE_CHECKING:  # mypy checks that the class keeps the contract
    _contract: HandlerType = Smtp
