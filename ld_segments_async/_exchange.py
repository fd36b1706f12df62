"""One HTTP exchange: the request to send, the response read, and what a failure means.

Status codes become :mod:`~ld_segments_async.errors` classes here, with LaunchDarkly's
``{code, message, id}`` when the body has them and a description of the body when it
does not (empty, HTML from a proxy, truncated).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp
from attrs import define
from multidict import CIMultiDictProxy

from . import _json
from ._rate_headers import http_date, read_news, seconds_header
from .config import RetryPolicy
from .errors import (
    ApiError,
    DecodeError,
    LaunchDarklyError,
    RateLimitedError,
    RequestTimeoutError,
    TransportError,
    error_for_status,
)

__all__ = [
    "FAILURES",
    "BodyFactory",
    "Request",
    "Response",
    "Sink",
    "api_error",
    "retry_after",
    "too_large",
    "transport_error",
]

BodyFactory = Callable[[], aiohttp.FormData]
"""Builds a fresh request body for each attempt (multipart uploads)."""


class Sink(Protocol):
    """Where a download goes; restarted before every attempt."""

    def write(self, chunk: bytes) -> None: ...

    def restart(self) -> None: ...


@define
class Request:
    method: str
    path: str
    """Percent-encoded path, from the API root (``/api/v2/...``)."""
    route: str
    """The path template, for logs and per-route rate-limit budgets."""
    query: str = ""
    body: bytes | BodyFactory | None = None
    content_type: str | None = None
    accept_404_on_retry: bool = False
    """A DELETE retried after losing its answer may find the resource already gone."""


@define
class Response:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        try:
            return _json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise DecodeError(
                f"response is not valid JSON ({exc})", status=self.status, body=self.body
            ) from None


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


def api_error(request: Request, response: Response, policy: RetryPolicy, now: float) -> ApiError:
    code, message, request_id = None, "", None
    try:
        payload = _json.loads(response.body) if response.body else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        code = payload.get("code") if isinstance(payload.get("code"), str) else None
        message = str(payload.get("message") or "")
        request_id = payload.get("id") if isinstance(payload.get("id"), str) else None
    if not message:
        message = _describe_body(response)
    cls = error_for_status(response.status)
    kwargs: dict[str, Any] = {"method": request.method, "path": request.path}
    if cls is RateLimitedError:
        kwargs["retry_after"] = retry_after(response.headers, policy, now)
    return cls(response.status, code, message, request_id, response.headers, **kwargs)


def _describe_body(response: Response) -> str:
    if not response.body:
        return "empty response body"
    kind = response.headers.get("Content-Type", "unknown content type")
    text = response.body[:80].decode("utf-8", "replace").strip()
    return f"unexpected {kind} body: {text!r}"


FAILURES = (asyncio.TimeoutError, aiohttp.ClientError)
"""What an attempt can fail with short of an HTTP answer (see :func:`transport_error`)."""


def too_large(request: Request, status: int, limit: int) -> LaunchDarklyError:
    return DecodeError(
        f"response body of {request.method} {request.path} exceeds max_body_size ({limit} bytes)",
        status=status,
    )


def transport_error(exc: BaseException, request: Request) -> TransportError:
    """One of :data:`FAILURES` as a :class:`TransportError`.

    aiohttp's error is described, never chained: a ``ClientResponseError``'s repr carries
    the request headers, ``Authorization`` included.
    """
    # Nothing was sent if the connection never came up.
    sent = not isinstance(exc, (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError))
    if isinstance(exc, asyncio.TimeoutError):
        phase = "connecting" if not sent else "waiting for the response"
        return RequestTimeoutError(
            f"timed out {phase}", method=request.method, path=request.path, request_sent=sent
        )
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return TransportError(reason, method=request.method, path=request.path, request_sent=sent)
