"""One HTTP exchange as data: the request a client operation builds, and the response
the transport read for it. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
from attrs import define
from multidict import CIMultiDictProxy

from . import _json
from .errors import DecodeError

__all__ = ["BodyFactory", "Request", "Response", "Sink"]

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
    """Percent-encoded path from the API root (``/api/v2/...``), or for a download the
    link as LaunchDarkly gave it (absolute, or relative to the API)."""
    route: str
    """The path template, for logs and per-route rate-limit budgets."""
    query: str = ""
    body: bytes | BodyFactory | None = None
    content_type: str | None = None
    accept_404_on_retry: bool = False
    """A DELETE retried after losing its answer may find the resource already gone."""

    @property
    def transfer(self) -> bool:
        """An upload (its body is streamed): bounded by the read timeout, not the retry
        budget, which is sized for ordinary requests and would cut a 40 MB file short."""
        return callable(self.body)


@define
class Response:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    request: Request

    def json(self) -> Any:
        try:
            return _json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise self.decode_error(f"the response is not valid JSON ({exc})") from None

    def decode_error(self, message: str) -> DecodeError:
        return DecodeError(
            message,
            status=self.status,
            body=self.body,
            method=self.request.method,
            path=self.request.path,
        )
