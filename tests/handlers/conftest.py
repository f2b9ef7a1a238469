"""Real peers on 127.0.0.1 for the handlers: an SMTP server (aiosmtpd) and an HTTP server, each
recording what it received; deliveries and configurations built as the runtime builds them."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from flowctl.config.settings import load_config
from flowctl.effects import Effect, SendMessage
from flowctl.handlers.base import Delivery
from flowctl.handlers.registry import HandlerRegistry
from flowctl.handlers.routing import ChannelHandlers, build_handlers

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
KEY = "r-1:thank_you:1"
ANA = {"email": "ana@example.com", "first_name": "Ana", "plan": "pro"}


def delivery(
    effect: Effect | None = None,
    *,
    key: str = KEY,
    attributes: Mapping[str, Any] | None = None,
    in_doubt: bool = False,
) -> Delivery:
    """A delivery as the runtime makes one: run r-1 of flow post-purchase, contact c-1001."""
    return Delivery(
        key=key,
        run="r-1",
        flow="post-purchase",
        contact="c-1001",
        node="thank_you",
        at=AT,
        effect=effect or SendMessage("email", "thanks", "c-1001", {"name": "Ana", "order": "A-17"}),
        attributes=ANA if attributes is None else attributes,
        in_doubt=in_doubt,
    )


@pytest.fixture(scope="session")
def registry() -> HandlerRegistry:
    return HandlerRegistry.from_entry_points()


@pytest.fixture
def configure(
    tmp_path: Path, registry: HandlerRegistry, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., ChannelHandlers]]:
    """Write a pyproject.toml with `[tool.flowctl]` plus the given text in the working
    directory, and build its handlers (closed after the test)."""
    monkeypatch.chdir(tmp_path)
    built: list[ChannelHandlers] = []

    def build(text: str, environ: Mapping[str, str] | None = None) -> ChannelHandlers:
        path = tmp_path / "pyproject.toml"
        path.write_text("[tool.flowctl]\n" + text)
        handlers = build_handlers(load_config(path), registry, environ or {})
        built.append(handlers)
        return handlers

    yield build
    for handlers in built:
        handlers.close()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to the local servers, whatever proxy the machine has set."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens: bound, so nothing else takes it meanwhile."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    peer: tuple[str, int]  # the client's address: one per connection


@dataclass
class MailServer:
    """What an aiosmtpd server on 127.0.0.1 received; `refuse` maps an address to a reply."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        wire = envelope.original_content.replace(b"\r\n", b"\n")  # lines as Python writes them
        parsed = email.message_from_bytes(wire, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.peer))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)


def start_mail_server(recorder: MailServer, port: int) -> Controller:
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=recorder.authenticate,
        auth_require_tls=False,  # only to test the login over plain text on 127.0.0.1
        ready_timeout=5.0,
    )
    controller.start()
    recorder.port = port
    return controller


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    recorder = MailServer()
    controller = start_mail_server(recorder, free_port())
    yield recorder
    controller.stop()


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """The templates directory of the SMTP tests: `thanks` with text and html, `plain`
    without html."""
    directory = tmp_path / "templates"
    directory.mkdir()
    (directory / "thanks.subject").write_text("Thanks, {{ contact.attributes.first_name }}!\n")
    (directory / "thanks.txt").write_text("Hi {{ name }}, order {{ order }} is on its way.\n")
    (directory / "thanks.html").write_text("<p>Hi {{ name }}, order <b>{{ order }}</b>.</p>\n")
    (directory / "plain.subject").write_text("Plain for {{ contact.id }}\n")
    (directory / "plain.txt").write_text("Your plan: {{ contact.attributes.plan }}\n")
    return directory


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: Message
    body: bytes


Reply = tuple[int, dict[str, str], bytes]


@dataclass
class WebServer:
    """What an HTTP server on 127.0.0.1 received; `routes` maps a path to its reply."""

    url: str
    requests: list[Request]
    routes: dict[str, Reply]
    release: threading.Event  # set to let a stalled request finish


STALL = "/stall"  # answers only when released (or after 5 s)


@pytest.fixture
def web_server() -> Iterator[WebServer]:
    requests: list[Request] = []
    routes: dict[str, Reply] = {"/ok": (200, {}, b"accepted")}
    release = threading.Event()

    class Recording(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            requests.append(Request(self.command, self.path, self.headers, body))
            if self.path == STALL:
                release.wait(5)
            status, headers, payload = routes.get(self.path, (404, {}, b"no such page"))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host, port = server.server_address[:2]
    yield WebServer(f"http://{host!s}:{port}", requests, routes, release)
    release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)
