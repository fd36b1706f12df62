"""What an attempt's outcome means, as pure functions: a status that is not success
becomes an :class:`~ld_segments_async.errors.ApiError`, an exception of aiohttp becomes a
:class:`~ld_segments_async.errors.TransportError`, and a 429 says how long to wait.

Nothing here sends, sleeps or tells the governor; the transport does, where its reader
can see it. Server text is cut to a sane length, and aiohttp's exceptions are described,
never kept: their ``request_info`` carries the request headers, ``Authorization`` too.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.http_exceptions import ContentLengthError, TransferEncodingError

from . import _json
from ._exchange import Request, Response
from ._rate_headers import http_date, read_news, seconds_header
from .config import RetryPolicy
from .errors import (
    ApiError,
    RateLimitedError,
    RequestTimeoutError,
    TransportError,
    error_for_status,
)

__all__ = ["FAILURES", "ResendRefused", "error_of", "failure_of", "retry_after", "shorten"]

MAX_TEXT = 500
"""The most characters of a server's text kept in an error (a message, a body excerpt)."""

FAILURES = (asyncio.TimeoutError, aiohttp.ClientError)
"""What an attempt can fail with short of an HTTP answer."""


class ResendRefused(aiohttp.ClientError):
    """aiohttp was about to send a request again by itself (a pooled connection broke):
    refused, so that only the client's retry loop, which knows the method, decides."""


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def error_of(
    request: Request, response: Response, policy: RetryPolicy, now: float
) -> ApiError | None:
    """The error an answer stands for, or None for success (2xx).

    ``now`` is this machine's epoch time, to read a ``Retry-After`` date against when the
    answer has no ``Date``.
    """
    status = response.status
    if 200 <= status < 300:
        return None
    code, message, request_id = None, "", None
    payload = _error_payload(response.body)
    if payload is not None:
        code = _text(payload.get("code"), 100)
        message = shorten(str(payload.get("message") or ""))
        request_id = _text(payload.get("id"), 100)
    if not message:
        message = _describe_body(response)
    cls = error_for_status(status)
    kwargs: dict[str, Any] = {"method": request.method, "path": request.path}
    if cls is RateLimitedError:
        kwargs["retry_after"] = retry_after(response.headers, policy, now)
    return cls(status, code, message, request_id, response.headers, **kwargs)


def _error_payload(body: bytes) -> dict[str, Any] | None:
    if not body or body[:1] not in (b"{", b" ", b"\n", b"\r", b"\t"):
        return None
    try:
        payload = _json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _text(value: object, limit: int) -> str | None:
    return shorten(value, limit) if isinstance(value, str) else None


def _describe_body(response: Response) -> str:
    if not response.body:
        return "empty response body"
    kind = shorten(response.headers.get("Content-Type", "unknown content type"), 100)
    text = response.body[:80].decode("utf-8", "replace").strip()
    return f"unexpected {kind} body: {text!r}"


def retry_after(headers: Mapping[str, str], policy: RetryPolicy, now: float) -> float | None:
    """Seconds to wait after a 429: ``Retry-After`` (seconds or HTTP date), else the time
    left until ``X-Ratelimit-Reset`` (clamped to ``max_reset_wait``), else ``None``.

    Both are read against the answer's own ``Date`` when it has one, so that a server
    clock set differently from ours (``now``, epoch seconds) changes nothing.
    """
    date = headers.get("Date")
    server_date = http_date(date) if date else None
    server_now = now if server_date is None else server_date
    seconds = seconds_header(headers.get("Retry-After"), server_now)
    if seconds is not None:
        return seconds
    news = read_news(headers)
    if news is not None and news.reset is not None:
        left = news.reset - server_now
        if left > 0:
            return min(left, policy.max_reset_wait)
    return None


def failure_of(exc: BaseException, request: Request) -> TransportError:
    """One of :data:`FAILURES` as a :class:`TransportError`, described in plain words."""
    sent = not isinstance(exc, (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError))
    if isinstance(exc, asyncio.TimeoutError):
        phase = "waiting for the response" if sent else "connecting"
        return RequestTimeoutError(
            f"timed out {phase}", method=request.method, path=request.path, request_sent=sent
        )
    return TransportError(
        _describe_failure(exc), method=request.method, path=request.path, request_sent=sent
    )


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"the server's TLS certificate was refused: {_os_reason(exc.certificate_error)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = _os_reason(exc.os_error)
        if isinstance(exc.os_error, ssl.SSLError):
            return f"TLS handshake with {exc.host}:{exc.port} failed: {reason}"
        return f"cannot connect to {exc.host}:{exc.port}: {reason}"
    if isinstance(exc, ResendRefused):
        return "the connection broke after the request was sent"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection before answering"
    if isinstance(exc, aiohttp.ClientPayloadError):
        # aiohttp puts the parser's reason in the cause.
        if isinstance(exc.__cause__, ContentLengthError):
            return "the answer was cut short: fewer bytes came than its Content-Length said"
        if isinstance(exc.__cause__, TransferEncodingError):
            return "the answer was cut short: its chunked body did not end"
        return "the answer's body could not be read whole"
    if isinstance(exc, aiohttp.ClientResponseError):
        return shorten(f"malformed answer: {exc.message}", 200)
    if isinstance(exc, aiohttp.ClientOSError):
        return f"connection error: {_os_reason(exc)}"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    return shorten(f"{type(exc).__name__}: {exc}", 200)


def _os_reason(error: BaseException) -> str:
    reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or str(error)
    return shorten(str(reason) or type(error).__name__, 200)
