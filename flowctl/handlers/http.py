"""`http`: effects as HTTP requests, each with an `Idempotency-Key: KEY` header.

For a `webhook` node (an `HttpCall`) the handler performs the node's own request: its method,
url, headers, JSON body and timeout. Any other effect (an SMS or push gateway's
`send_message`) is POSTed as JSON to the channel's `url`, in the outbox's line format:
`{"key", "run", "flow", "contact", "node", "at", "effect"}`.

2xx is delivered; 429 and 5xx, time-outs and connection errors are retried (honouring
`Retry-After`); any other status fails at once. Redirects are followed to http and https URLs
only, at most five times, and a POST, PUT, PATCH or DELETE only through 307 and 308 (which
keep the method and body): turning it into a GET would drop its body, and call it delivered.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar
from urllib.error import HTTPError
from urllib.parse import urlsplit

from flowctl import __version__
from flowctl.config.options import Options
from flowctl.effects import HttpCall
from flowctl.effects.kinds import HTTP_CHANNEL
from flowctl.handlers.base import Delivery, HandlerType, Result
from flowctl.language.durations import parse_duration
from flowctl.language.jsontext import compact_json

SCHEMES = ("http", "https")
REPLY_LIMIT = 2048  # bytes of a response body kept in the reply
DEFAULT_TIMEOUT = 10.0
_CROSS_ORIGIN_DROPPED = ("authorization", "cookie", "proxy-authorization")


class _Refused(Exception):
    """A request that must not be made as it stands: permanent."""


class Http:
    """Performs webhook nodes' requests, or POSTs effects to one gateway URL."""

    name: ClassVar[str] = "http"
    options: ClassVar[Mapping[str, str]] = {
        "url": "where effects are POSTed as JSON (required, except on the `http` channel, whose "
        "webhook nodes name their own)",
        "headers": "extra request headers: header -> value",
        "headers_env": "request headers whose values are in environment variables: header -> "
        "variable name",
        "timeout": "seconds (or a duration such as `5s`) to wait for the gateway (default 10; "
        "a webhook node has its own `timeout`)",
    }

    def __init__(
        self,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        secret_headers: tuple[str, ...] = (),
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._secret = {name.lower() for name in secret_headers}  # not sent to another origin
        self._opener = urllib.request.build_opener(_Redirects(self._secret))

    @classmethod
    def from_config(
        cls, channel: str, options: Options, base: Path, environ: Mapping[str, str]
    ) -> Http:
        url = options.optional_text("url")
        if channel == HTTP_CHANNEL and url is not None:
            raise options.fail("url", "webhook nodes call their own url; remove this key")
        if channel != HTTP_CHANNEL and url is None:
            raise options.fail("url", f"is required: the channel's {channel} effects go there")
        if url is not None and urlsplit(url).scheme not in SCHEMES:
            raise options.fail("url", f"must be an http:// or https:// URL, not {url!r}")
        secrets = options.secret_table("headers_env", environ)
        return cls(
            url=url,
            headers={**options.text_table("headers"), **secrets},
            timeout=options.seconds("timeout", DEFAULT_TIMEOUT),
            secret_headers=tuple(secrets),
        )

    def deliver(self, delivery: Delivery) -> Result:
        try:
            request, timeout = self.request(delivery)
        except _Refused as exc:
            return Result.failed(str(exc))
        return self._perform(request, timeout)

    def request(self, delivery: Delivery) -> tuple[urllib.request.Request, float]:
        """The request for a delivery and its time limit in seconds."""
        effect = delivery.effect
        if isinstance(effect, HttpCall):
            headers = {**self.headers, **(effect.headers or {})}
            body = _json(effect.body) if effect.has_body else None
            url, method, timeout = effect.url, effect.method, _seconds(effect.timeout)
        elif self.url is None:
            raise _Refused(f"no url is configured for {effect.kind} effects")
        else:
            headers, body = dict(self.headers), _json(delivery.envelope())
            url, method, timeout = self.url, "POST", self.timeout
        if urlsplit(url).scheme not in SCHEMES:
            raise _Refused(f"only http and https URLs are called, not {url!r}")
        chosen = {name.lower() for name in headers}
        defaults = {"User-Agent": f"flowctl/{__version__}", "Accept": "application/json"}
        if body is not None:
            defaults["Content-Type"] = "application/json"
        headers = {
            **{name: value for name, value in defaults.items() if name.lower() not in chosen},
            **{name: value for name, value in headers.items() if name.lower() != "idempotency-key"},
            "Idempotency-Key": delivery.key,
        }
        try:
            return urllib.request.Request(url, body, headers, method=method), timeout
        except ValueError as exc:
            raise _Refused(f"cannot call {url!r}: {exc}") from None

    def _perform(self, request: urllib.request.Request, timeout: float) -> Result:
        what = f"{request.get_method()} {request.full_url}"
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return _answer(what, response.status, response.headers, _body(response))
        except HTTPError as exc:  # a status urllib does not take as success
            body = _body(exc.fp) if exc.fp is not None else ""
            return _answer(what, exc.code, exc.headers, body)
        except _Refused as exc:
            return Result.failed(f"{what}: {exc}")
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, TLS, DNS
            return Result.retry(f"{what}: {_words(exc)}")
        except ValueError as exc:  # a header value with a line break, say
            return Result.failed(f"{what}: {exc}")

    def flush(self) -> None:
        """Nothing to do: a request is done when it has been answered."""

    def close(self) -> None:
        """Nothing to do: no connection is kept between requests."""


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Redirects to http and https only; a body is never dropped on the way."""

    max_redirections = 5

    def __init__(self, secret: set[str]) -> None:
        self.secret = secret

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        target = urlsplit(newurl)
        method = req.get_method()
        if target.scheme not in SCHEMES:
            raise _Refused(f"redirected ({code}) to {newurl}: only http and https are followed")
        if method not in ("GET", "HEAD") and code not in (307, 308):
            raise _Refused(
                f"redirected ({code}) to {newurl}, which would turn the {method} into a GET "
                "without its body; configure the final URL"
            )
        headers_kept = dict(req.header_items())
        if target.netloc != urlsplit(req.full_url).netloc:
            dropped = {*_CROSS_ORIGIN_DROPPED, *self.secret}
            headers_kept = {k: v for k, v in headers_kept.items() if k.lower() not in dropped}
        return urllib.request.Request(newurl, req.data, headers_kept, method=method)


def _answer(what: str, status: int, headers: Message, body: str) -> Result:
    reply = {"status": status, "body": body}
    if 200 <= status < 300:
        return Result.delivered(reply)
    words = f"{what} answered {status}"
    if status == 429 or 500 <= status < 600:
        return Result.retry(words, retry_after(headers.get("Retry-After")), reply)
    return Result.failed(words, reply)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds from `now`: a number of seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None  # not a date either: back off as usual
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _body(response: Any) -> str:
    """Up to `REPLY_LIMIT` bytes of a body, as text; a body that cannot be read is empty."""
    try:
        data: bytes = response.read(REPLY_LIMIT)
    except (OSError, HTTPException):
        return ""  # the status is what counts
    return data.decode("utf-8", "replace")


def _json(value: Any) -> bytes:
    return compact_json(value).encode()


def _seconds(duration: str) -> float:
    try:
        return parse_duration(duration).total_seconds()
    except ValueError:
        return DEFAULT_TIMEOUT  # validation keeps this from happening


def _words(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # URLError wraps the socket's error
    cause = reason if isinstance(reason, BaseException) else exc
    if isinstance(cause, TimeoutError):
        return "timed out"
    return str(cause) or type(cause).__name__


if TYPE_CHECKING:  # mypy checks that the class keeps the contract
    _contract: HandlerType = Http
