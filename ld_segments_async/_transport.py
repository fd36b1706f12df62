"""The session of a client and the one coroutine every request goes through.

An attempt takes a concurrency slot, then a slot of the rate-limit budget, sends,
and reads the whole body inside the ``async with`` of the response: no live response
leaves this module, so cancelling a call at any point gives its connection back.
Retries wrap attempts (see :mod:`._retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import platform
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from attrs import define
from yarl import URL

from ._exchange import (
    Request,
    Response,
    Sink,
    api_error,
    mapped_errors,
    too_large,
)
from ._governor import Governor
from ._retry import build_retrier
from .config import ClientConfig, RetryPolicy, Timeout
from .errors import DecodeError, RateLimitedError, RequestTimeoutError

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
            left = max(0.001, self.deadline - time.monotonic())
            total = left if total is None else min(total, left)
        return aiohttp.ClientTimeout(
            total=total, sock_connect=self.timeout.connect, sock_read=self.timeout.read
        )


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
        self._retriers: dict[tuple[str, RetryPolicy], Callable[..., Awaitable[Any]]] = {}

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

    def _retrier(
        self, kind: str, retry: RetryPolicy, attempt: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        retrier = self._retriers.get((kind, retry))
        if retrier is None:
            retrier = self._retriers[kind, retry] = build_retrier(retry, attempt)
        return retrier

    async def request(self, request: Request, *, retry: RetryPolicy, timeout: Timeout) -> Response:
        """Send ``request`` with retries; return the response or raise an error."""
        deadline = None if retry.total_timeout is None else time.monotonic() + retry.total_timeout
        retrier = self._retrier("request", retry, self._attempt)
        response: Response = await retrier(_Call(request, retry, timeout, deadline))
        return response

    @contextlib.asynccontextmanager
    async def _turn(self, call: _Call) -> Any:
        """A concurrency slot and a rate-limit slot; the governor hears the answer."""
        async with self._slots:
            route = f"{call.request.method} {call.request.route}"
            left = None if call.deadline is None else call.deadline - time.monotonic()
            try:
                ticket = await asyncio.wait_for(self.governor.acquire(route), left)
            except asyncio.TimeoutError:
                raise RequestTimeoutError(
                    "the call's time ran out while waiting for the rate-limit window",
                    method=call.request.method,
                    path=call.request.path,
                    request_sent=False,
                ) from None
            answer: list[Response] = []
            try:
                yield answer
            finally:
                self.governor.release(ticket, answer[0].headers if answer else None)

    async def _attempt(self, call: _Call) -> Response:
        call.attempts += 1
        request = call.request
        session = self.session()
        query = f"?{request.query}" if request.query else ""
        url = URL(f"{self.config.base_url}{request.path}{query}", encoded=True)
        headers = self._headers
        if request.content_type is not None:
            headers = {**headers, "Content-Type": request.content_type}
        async with self._turn(call) as answer:
            body = request.body() if callable(request.body) else request.body
            started = time.perf_counter()
            with mapped_errors(request):
                async with session.request(
                    request.method,
                    url,
                    headers=headers,
                    data=body,
                    timeout=call.client_timeout(),
                    allow_redirects=False,
                ) as raw:
                    response = Response(raw.status, raw.headers, await self._read(raw, request))
            answer.append(response)
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
        call = _Call(Request("GET", target.path, "download"), retry, timeout, None)
        if retry.total_timeout is not None:
            call.deadline = time.monotonic() + retry.total_timeout
        await self._retrier("download", retry, self._download_attempt)(call, target, sink)

    async def _download_attempt(self, call: _Call, target: URL, sink: Sink) -> None:
        call.attempts += 1
        sink.restart()
        session = self.session()
        trusted = True
        async with self._turn(call) as answer:
            for _ in range(_MAX_REDIRECTS + 1):
                trusted = trusted and _same_origin(target, self._base)
                headers = self._headers if trusted else {"User-Agent": self._headers["User-Agent"]}
                with mapped_errors(call.request):
                    async with session.get(
                        target,
                        headers=headers,
                        timeout=call.client_timeout(),
                        allow_redirects=False,
                    ) as raw:
                        location = raw.headers.get("Location")
                        if raw.status in _REDIRECTS and location:
                            target = target.join(URL(location, encoded=True))
                            continue
                        if raw.status >= 400:
                            body = await self._read(raw, call.request)
                            response = Response(raw.status, raw.headers, body)
                            answer.append(response)
                            raise api_error(call.request, response, call.retry)
                        async for chunk in raw.content.iter_chunked(_CHUNK):
                            sink.write(chunk)
                        return
        raise DecodeError(f"more than {_MAX_REDIRECTS} redirects downloading {call.request.path}")
