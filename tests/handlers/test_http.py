"""The http handler against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from flowctl.config.settings import ConfigError
from flowctl.effects import HttpCall, SendMessage
from flowctl.handlers.base import DELIVERED, FAILED, RETRY
from flowctl.handlers.http import REPLY_LIMIT, Http, retry_after
from flowctl.handlers.routing import ChannelHandlers
from tests.handlers.conftest import KEY, STALL, WebServer, delivery

Configure = Callable[..., ChannelHandlers]
SMS = SendMessage("sms", "bags_xsell", "c-1001", {"discount": 10})


def gateway(configure: Configure, url: str, extra: str = "", **environ: str) -> Http:
    handlers = configure(
        f'[tool.flowctl.channels.sms]\nhandler = "http"\nurl = "{url}"\n{extra}', environ
    )
    handler = handlers.for_channel("sms")
    assert isinstance(handler, Http)
    return handler


@pytest.fixture
def webhooks(configure: Configure) -> Http:
    handler = configure('[tool.flowctl.channels.http]\nhandler = "http"\n').for_channel("http")
    assert isinstance(handler, Http)
    return handler


def test_a_gateway_gets_the_effect_as_json_with_the_key(
    configure: Configure, web_server: WebServer
) -> None:
    handler = gateway(
        configure,
        f"{web_server.url}/ok",
        'headers = {X-Team = "growth"}\nheaders_env = {Authorization = "SMS_TOKEN"}\n',
        SMS_TOKEN="Bearer t0ken",
    )
    result = handler.deliver(delivery(SMS))
    assert (result.status, result.reply) == (DELIVERED, {"status": 200, "body": "accepted"})
    (request,) = web_server.requests
    assert (request.method, request.path) == ("POST", "/ok")
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["X-Team"] == "growth"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "key": KEY,
        "run": "r-1",
        "flow": "post-purchase",
        "contact": "c-1001",
        "node": "thank_you",
        "at": "2026-11-20T10:00:00Z",
        "effect": SMS.to_json(),
    }


def test_a_webhook_node_makes_its_own_request(webhooks: Http, web_server: WebServer) -> None:
    call = HttpCall(
        "PUT",
        f"{web_server.url}/ok",
        "5s",
        {"X-Source": "flowctl", "Idempotency-Key": "mine"},
        {"contact": "c-1001", "plan": None},
        True,
    )
    assert webhooks.deliver(delivery(call)).status == DELIVERED
    get = HttpCall("GET", f"{web_server.url}/ok", "5s")
    assert webhooks.deliver(delivery(get, key="r-1:ping:2")).status == DELIVERED
    put, plain = web_server.requests
    assert (put.method, put.headers["X-Source"]) == ("PUT", "flowctl")
    assert put.headers.get_all("Idempotency-Key") == [KEY]  # the key always wins
    assert json.loads(put.body) == {"contact": "c-1001", "plan": None}
    assert (plain.method, plain.body, plain.headers["Idempotency-Key"]) == (
        "GET",
        b"",
        "r-1:ping:2",
    )
    assert "Content-Type" not in plain.headers


@pytest.mark.parametrize(
    ("status", "headers", "expected", "after"),
    [
        (429, {"Retry-After": "7"}, RETRY, 7.0),
        (503, {}, RETRY, None),
        (500, {"Retry-After": "soon"}, RETRY, None),
        (404, {}, FAILED, None),
        (400, {"Retry-After": "7"}, FAILED, None),
        (201, {}, DELIVERED, None),
    ],
)
def test_the_status_decides(
    webhooks: Http,
    web_server: WebServer,
    status: int,
    headers: dict[str, str],
    expected: str,
    after: float | None,
) -> None:
    web_server.routes["/answer"] = (status, headers, b'{"why": "because"}')
    result = webhooks.deliver(delivery(HttpCall("POST", f"{web_server.url}/answer", "5s")))
    assert (result.status, result.retry_after) == (expected, after)
    assert result.reply == {"status": status, "body": '{"why": "because"}'}
    if expected != DELIVERED:
        assert result.error == f"POST {web_server.url}/answer answered {status}"


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0.0
    assert retry_after("120", now) == 120.0
    assert retry_after("-3", now) is None
    assert retry_after(None, now) is None


def test_the_reply_keeps_at_most_2_kb_of_the_body(webhooks: Http, web_server: WebServer) -> None:
    web_server.routes["/big"] = (200, {}, "é".encode() * REPLY_LIMIT)
    result = webhooks.deliver(delivery(HttpCall("GET", f"{web_server.url}/big", "5s")))
    assert result.reply["body"] == "é" * (REPLY_LIMIT // 2)


def test_a_stalled_server_is_retried_after_the_timeout(
    configure: Configure, webhooks: Http, web_server: WebServer
) -> None:
    handler = gateway(configure, f"{web_server.url}{STALL}", "timeout = 0.2\n")
    result = handler.deliver(delivery(SMS))
    assert (result.status, result.error) == (RETRY, f"POST {web_server.url}{STALL}: timed out")
    node = webhooks.deliver(delivery(HttpCall("POST", f"{web_server.url}{STALL}", "1s")))
    assert node.status == RETRY and node.error is not None and node.error.endswith("timed out")


def test_a_refused_connection_is_retried(webhooks: Http, closed_port: int) -> None:
    result = webhooks.deliver(delivery(HttpCall("POST", f"http://127.0.0.1:{closed_port}/", "5s")))
    assert result.status == RETRY
    assert result.error is not None
    assert result.error.startswith(f"POST http://127.0.0.1:{closed_port}/: ")
    assert "Connection refused" in result.error


def test_redirects_stay_on_http_and_keep_the_body(webhooks: Http, web_server: WebServer) -> None:
    web_server.routes["/ftp"] = (302, {"Location": "ftp://127.0.0.1/x"}, b"")
    web_server.routes["/see-other"] = (303, {"Location": "/ok"}, b"")
    web_server.routes["/temporary"] = (307, {"Location": "/ok"}, b"")
    to_ftp = webhooks.deliver(delivery(HttpCall("GET", f"{web_server.url}/ftp", "5s")))
    assert to_ftp.status == FAILED and "only http and https are followed" in (to_ftp.error or "")
    post = HttpCall("POST", f"{web_server.url}/see-other", "5s", None, {"a": 1}, True)
    dropped = webhooks.deliver(delivery(post))
    assert dropped.status == FAILED and "turn the POST into a GET" in (dropped.error or "")
    kept = HttpCall("POST", f"{web_server.url}/temporary", "5s", None, {"a": 1}, True)
    assert webhooks.deliver(delivery(kept)).status == DELIVERED
    followed = web_server.requests[-1]
    assert (followed.method, followed.path, json.loads(followed.body)) == ("POST", "/ok", {"a": 1})
    assert followed.headers["Idempotency-Key"] == KEY
    get = webhooks.deliver(delivery(HttpCall("GET", f"{web_server.url}/see-other", "5s")))
    assert get.status == DELIVERED


def test_only_http_and_https_urls_are_called(webhooks: Http) -> None:
    result = webhooks.deliver(delivery(HttpCall("GET", "file:///etc/passwd", "5s")))
    assert (result.status, result.error) == (
        FAILED,
        "only http and https URLs are called, not 'file:///etc/passwd'",
    )


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        (
            '[tool.flowctl.channels.sms]\nhandler = "http"\n',
            {},
            "channels.sms.url: is required: the channel's sms effects go there",
        ),
        (
            '[tool.flowctl.channels.push]\nhandler = "http"\nurl = "ftp://x"\n',
            {},
            "channels.push.url: must be an http:// or https:// URL, not 'ftp://x'",
        ),
        (
            '[tool.flowctl.channels.http]\nhandler = "http"\nurl = "https://x"\n',
            {},
            "channels.http.url: webhook nodes call their own url; remove this key",
        ),
        (
            '[tool.flowctl.channels.sms]\nhandler = "http"\nurl = "https://x"\n'
            'headers_env = {Authorization = "SMS_TOKEN"}\n',
            {},
            "channels.sms.headers_env.Authorization: the environment variable SMS_TOKEN is not set",
        ),
        (
            '[tool.flowctl.channels.sms]\nhandler = "http"\nurl = "https://x"\nheaders = {A = 1}\n',
            {},
            'channels.sms.headers: must be a table of strings like {X-Team = "growth"}, not '
            "a mapping",
        ),
        (
            '[tool.flowctl.channels.sms]\nhandler = "http"\nurl = "https://x"\ntimeout = "soon"\n',
            {},
            "channels.sms.timeout: must be a positive number of seconds or a duration such as "
            "30s, not 'soon'",
        ),
        (
            '[tool.flowctl.channels.sms]\nhandler = "http"\nurl = "https://x"\nheader = {}\n',
            {},
            "channels.sms.header: unknown key; did you mean 'headers'?",
        ),
    ],
)
def test_configuration_mistakes_name_the_key(
    configure: Configure, text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        configure(text, environ)
    assert str(caught.value) == f"pyproject.toml: tool.flowctl.{message}"
