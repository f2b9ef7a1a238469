"""The smtp handler over TLS: STARTTLS and TLS from the start, against a real aiosmtpd server
on 127.0.0.1 with a certificate made for the test (trusted through SSL_CERT_FILE, as a
private relay's CA would be)."""

from __future__ import annotations

import gc
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from flowctl.handlers.base import DELIVERED, RETRY
from flowctl.handlers.routing import ChannelHandlers
from tests.handlers.conftest import MailServer, delivery, free_port
from tests.handlers.test_smtp import smtp_table

Configure = Callable[..., ChannelHandlers]

# aiosmtpd leaves its own side of a refused TLS handshake to the garbage collector; the warning
# is about the test server's socket, not flowctl's (the handler closes its own). The server
# fixture collects it before the next module runs.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for IP 127.0.0.1, and its key."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the TLS tests need the openssl command (Debian: openssl)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[str, MailServer]]:
    """A server that takes mail only over TLS: STARTTLS required, or TLS from the start."""
    recorder = MailServer()
    port = free_port()
    context = _server_context(certificate)
    if request.param == "starttls":
        controller = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            tls_context=context,
            require_starttls=True,
            ready_timeout=5.0,
        )
    else:
        controller = Controller(
            recorder, hostname="127.0.0.1", port=port, ssl_context=context, ready_timeout=5.0
        )
    controller.start()
    recorder.port = port
    yield request.param, recorder
    controller.stop()
    gc.collect()


def test_mail_goes_over_tls_to_a_trusted_server(
    configure: Configure,
    templates: Path,
    tls_server: tuple[str, MailServer],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    security, server = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    smtp = configure(smtp_table(server.port, security=security)).for_channel("email")

    result = smtp.deliver(delivery())

    assert result.status == DELIVERED, result
    (mail,) = server.mails
    assert mail.recipients == ["ana@example.com"]
    assert mail.message["Subject"] == "Thanks, Ana!"


def test_a_certificate_that_is_not_trusted_sends_nothing(
    configure: Configure,
    templates: Path,
    tls_server: tuple[str, MailServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    security, server = tls_server
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    smtp = configure(smtp_table(server.port, security=security)).for_channel("email")

    result = smtp.deliver(delivery())

    assert result.status == RETRY, result
    assert "certificate verify failed" in (result.error or "")
    assert server.mails == []
