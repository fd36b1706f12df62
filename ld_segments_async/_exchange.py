"""One HTTP exchange: the request to send, the response read, and what a failure means.

Status codes become :mod:`~ld_segments_async.errors` classes here, with LaunchDarkly's
``{code, message, id}`` when the body has them and a description of the body when it
does not (empty, HTML from a proxy, truncated).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp
from attrs import define
from multidict import CIMultiDictProxy

from . import _json
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


def retry_after(headers: Mapping[str, str], policy: RetryPolicy) -> float | None:
    """Seconds to wait after a 429: ``Retry-After`` (seconds or HTTP date), else the time
    left until ``X-Ratelimit-Reset`` (epoch ms, clamped), else ``None``."""
    value = headers.get("Retry-After")
    if value:
        try:
            seconds = float(value)
        except ValueError:
            with contextlib.suppress(ValueError, TypeError):
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, when.timestamp() - time.time())
        else:
            if math.isfinite(seconds):  # "inf" and "nan" parse, but mean nothing
                return max(0.0, seconds)
    reset = headers.get("X-Ratelimit-Reset")
    if reset:
        try:
            left = int(reset) / 1000 - time.time()
        except ValueError:
            return None
        if left > 0:
            return min(left, policy.max_reset_wait)
    return None


def api_error(request: Request, response: Response, policy: RetryPolicy) -> ApiError:
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
        kwargs["retry_after"] = retry_after(response.headers, policy)
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
