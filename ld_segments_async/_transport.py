"""The session of a client and the one coroutine every request goes through.

An attempt takes a concurrency slot, then a slot of the rate-limit budget, sends,
and reads the whole body inside the ``async with`` of the response: no live response
leaves this module, so cancelling a call at any point gives its connection back.
Retries wrap attempts (see :mod:`._retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import platform
import time
import warnings
from collections.abc import Mapping
from functools import partial
from typing import Any

import aiohttp
from attrs import define
from yarl import URL

from ._exchange import (
    FAILURES,
    Request,
    Response,
    Sink,
    api_error,
    too_large,
    transport_error,
)
from ._governor import Governor, Ticket
from ._retry import retry_after_failure
from .config import ClientConfig, RetryPolicy, Timeout
from .errors import DecodeError, LaunchDarklyError, RateLimitedError, RequestTimeoutError

__all__ = ["Transport"]

logger = logging.getLogger("ld_segments_async")

_CHUNK = 256 * 1024
_MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@define
class _Call:
    """One call of the client: its request, policies, deadline and attempt count."""

    request: Request
    retry: RetryPolicy
    timeout: Timeout
    deadline: float | None
    attempts: int = 0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        total = self.timeout.total
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            # Whole seconds (rounded down) while far from the deadline, so that the same
            # few ClientTimeout objects serve every call.
            left = math.floor(left) if left >= 2 else max(0.001, left)
            total = left if total is None else min(total, left)
        return _client_timeout(total, self.timeout.connect, self.timeout.read)


@functools.lru_cache(maxsize=256)
def _client_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


def _user_agent(config: ClientConfig) -> str:
    return f"{config.user_agent} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


def _same_origin(url: URL, other: URL) -> bool:
    return (url.scheme, url.host, url.port) == (other.scheme, other.host, other.port)


class Transport:
    """Owns the aiohttp session of one client and runs every request through it."""

    def __init__(
        self, config: ClientConfig, api_key: str, session: aiohttp.ClientSession | None
    ) -> None:
        self.config = config
        self._headers = {
            "Authorization": api_key,
            "LD-API-Version": config.api_version,
            "User-Agent": _user_agent(config),
            "Accept": "application/json",
        }
        self._base = URL(config.base_url)
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.governor = Governor(reserve=config.rate_limit_reserve)
        self._slots: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(config.max_concurrency)
            if config.max_concurrency is not None
            else contextlib.nullcontext()
        )

    def __repr__(self) -> str:
        return f"<Transport {self.config.base_url}>"

    # -- lifecycle -----------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use inside the running loop."""
        if self._closed:
            raise RuntimeError("this SegmentsClient is closed; create a new one")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(
                "this SegmentsClient is bound to another event loop; "
                "create one client per event loop"
            )
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.config.max_connections,
                ssl=self.config.ssl if self.config.ssl is not None else True,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=self.config.trust_env
            )
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def warn_if_unclosed(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            warnings.warn(
                "SegmentsClient was not closed: use 'async with SegmentsClient()' "
                "or 'await client.close()'",
                ResourceWarning,
                stacklevel=3,
            )

    # -- requests ------------------------------------------------------------

    async def request(self, request: Request, *, retry: RetryPolicy, timeout: Timeout) -> Response:
        """Send ``request`` with retries; return the response or raise an error."""
        deadline = None if retry.total_timeout is None else time.monotonic() + retry.total_timeout
        call = _Call(request, retry, timeout, deadline)
        try:
            return await self._attempt(call)
        except LaunchDarklyError as error:
            return await retry_after_failure(partial(self._attempt, call), error, retry, deadline)

    async def _claim(self, call: _Call) -> Ticket:
        """A slot of the rate-limit budgets, waiting for the window if they are spent."""
        route = f"{call.request.method} {call.request.route}"
        claim = self.governor.try_acquire(route)
        if isinstance(claim, Ticket):
            return claim
        ticket = await self.governor.acquire(route, call.deadline)
        if ticket is None:
            raise RequestTimeoutError(
                "waiting for LaunchDarkly's rate-limit window would outlast the call's time",
                method=call.request.method,
                path=call.request.path,
                request_sent=False,
            )
        return ticket

    async def _attempt(self, call: _Call) -> Response:
        call.attempts += 1
        request = call.request
        session = self.session()
        query = f"?{request.query}" if request.query else ""
        url = URL(f"{self.config.base_url}{request.path}{query}", encoded=True)
        headers = self._headers
        if request.content_type is not None:
            headers = {**headers, "Content-Type": request.content_type}
        async with self._slots:
            ticket = await self._claim(call)
            response = None
            try:
                body = request.body() if callable(request.body) else request.body
                started = time.perf_counter()
                try:
                    async with session.request(
                        request.method,
                        url,
                        headers=headers,
                        data=body,
                        timeout=call.client_timeout(),
                        allow_redirects=False,
                    ) as raw:
                        body = await self._read(raw, request)
                        response = Response(raw.status, raw.headers, body)
                except FAILURES as exc:
                    raise transport_error(exc, request) from None
            finally:
                self.governor.release(ticket, None if response is None else response.headers)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (attempt %d)",
                request.method,
                request.path,
                response.status,
                (time.perf_counter() - started) * 1000,
                call.attempts,
            )
        if response.status < 400:
            return response
        if response.status == 404 and request.accept_404_on_retry and call.attempts > 1:
            return response
        error = api_error(request, response, call.retry)
        if isinstance(error, RateLimitedError):
            # One 429 holds every request of the client, not only this one.
            self.governor.pause(error.retry_after or call.retry.base_delay)
        raise error

    async def _read(self, raw: aiohttp.ClientResponse, request: Request) -> bytes:
        limit = self.config.max_body_size
        if raw.content_length is not None:
            if raw.content_length > limit:
                raise too_large(request, raw.status, limit)
            return await raw.read()
        chunks, size = [], 0
        async for chunk in raw.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(request, raw.status, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    # -- downloads -----------------------------------------------------------

    async def download(self, url: str, sink: Sink, *, retry: RetryPolicy, timeout: Timeout) -> None:
        """Stream the body at ``url`` (absolute, or relative to the API) into ``sink``.

        ``Authorization`` and ``LD-API-Version`` go only to the API's own scheme, host
        and port; redirects are followed by hand, and once one leaves the API origin no
        credentials are sent again. Every attempt restarts the sink.
        """
        target = self._base.join(URL(url, encoded=True))
        deadline = None if retry.total_timeout is None else time.monotonic() + retry.total_timeout
        call = _Call(Request("GET", target.path, "download"), retry, timeout, deadline)
        attempt = partial(self._download_attempt, call, target, sink)
        try:
            await attempt()
        except LaunchDarklyError as error:
            await retry_after_failure(attempt, error, retry, deadline)

    async def _download_attempt(self, call: _Call, target: URL, sink: Sink) -> None:
        call.attempts += 1
        sink.restart()
        async with self._slots:
            ticket = await self._claim(call)
            heard: list[Mapping[str, str]] = []
            try:
                await self._follow(call, target, sink, heard)
            finally:
                self.governor.release(ticket, heard[0] if heard else None)

    async def _follow(
        self, call: _Call, target: URL, sink: Sink, heard: list[Mapping[str, str]]
    ) -> None:
        """GET ``target`` into ``sink``, following redirects by hand."""
        session = self.session()
        trusted = True
        for _ in range(_MAX_REDIRECTS + 1):
            trusted = trusted and _same_origin(target, self._base)
            headers = self._headers if trusted else {"User-Agent": self._headers["User-Agent"]}
            try:
                async with session.get(
                    target, headers=headers, timeout=call.client_timeout(), allow_redirects=False
                ) as raw:
                    if trusted:
                        heard[:] = [raw.headers]  # the API host's rate-limit headers
                    location = raw.headers.get("Location")
                    if raw.status in _REDIRECTS and location:
                        target = target.join(URL(location, encoded=True))
                        continue
                    if raw.status >= 400:
                        body = await self._read(raw, call.request)
                        response = Response(raw.status, raw.headers, body)
                        raise api_error(call.request, response, call.retry)
                    async for chunk in raw.content.iter_chunked(_CHUNK):
                        sink.write(chunk)
                    return
            except FAILURES as exc:
                raise transport_error(exc, call.request) from None
        raise DecodeError(f"more than {_MAX_REDIRECTS} redirects downloading {call.request.path}")
