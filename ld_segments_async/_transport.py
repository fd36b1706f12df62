"""The session of a client and the one coroutine every request goes through.

An attempt takes a concurrency slot, then a claim on the rate-limit budgets, sends,
and reads the whole body inside the ``async with`` of the response: no live response
leaves this module, so cancelling a call at any point gives its connection back.
Retries take over after a first failed attempt (see :mod:`._retry`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import platform
import time
import warnings
from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

import aiohttp
from attrs import define
from yarl import URL

from ._clock import SYSTEM_CLOCK, Clock
from ._exchange import FAILURES, Request, Response, api_error, too_large, transport_error
from ._governor import Governor, Ticket
from ._rate_headers import read_news
from ._retry import retry_after_failure
from .config import ClientConfig, RetryPolicy, Timeout
from .errors import LaunchDarklyError, RateLimitedError, RequestTimeoutError

__all__ = ["Call", "OutOfTimeError", "Transport"]

logger = logging.getLogger("ld_segments_async")

_CHUNK = 256 * 1024


class OutOfTimeError(RequestTimeoutError):
    """The rate-limit window ends after the call's deadline: retrying cannot help."""

    final = True


@define
class Call:
    """One call of the client: its request, policies, deadline and attempt count.

    ``transfer`` marks an upload or a download: its attempts run as long as bytes keep
    flowing (the read timeout), not within the retry budget, which is sized for ordinary
    requests and would cut a 40 MB file short on a slow link.
    """

    request: Request
    retry: RetryPolicy
    timeout: Timeout
    deadline: float | None
    clock: Clock
    transfer: bool = False
    attempts: int = 0
    order: int | None = None
    """The call's place in the rate-limit queue, kept across its retries."""

    def client_timeout(self) -> aiohttp.ClientTimeout:
        total = self.timeout.total
        if self.deadline is not None and not self.transfer:
            left = self.deadline - self.clock.monotonic()
            # Whole seconds (rounded down) while far from the deadline, so that the same
            # few ClientTimeout objects serve every call.
            left = math.floor(left) if left >= 2 else max(0.001, left)
            total = left if total is None else min(total, left)
        return _client_timeout(total, self.timeout.connect, self.timeout.read)


@lru_cache(maxsize=256)
def _client_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


def _user_agent(config: ClientConfig) -> str:
    return f"{config.user_agent} python/{platform.python_version()} aiohttp/{aiohttp.__version__}"


class _Turn:
    """A concurrency slot and (if ``governed``) a claim on the rate-limit budgets for one
    attempt; the governor hears the answer's ``headers`` when the turn ends."""

    __slots__ = ("call", "governed", "headers", "status", "ticket", "transport")

    def __init__(self, transport: Transport, call: Call, governed: bool) -> None:
        self.transport = transport
        self.call = call
        self.governed = governed
        self.headers: Mapping[str, str] | None = None
        self.status: int | None = None
        self.ticket: Ticket | None = None

    async def __aenter__(self) -> _Turn:
        await self.transport.slots.__aenter__()
        try:
            if self.governed:
                self.ticket = await self.transport.claim(self.call)
        except BaseException:
            await self.transport.slots.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.ticket is not None:
                news = None if self.headers is None else read_news(self.headers)
                self.transport.governor.release(self.ticket, news, self.status)
        finally:
            await self.transport.slots.__aexit__(None, None, None)


class Transport:
    """Owns the aiohttp session of one client and runs every request through it."""

    def __init__(
        self,
        config: ClientConfig,
        api_key: str,
        session: aiohttp.ClientSession | None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self.clock = clock
        self.headers = {
            "Authorization": api_key,
            "LD-API-Version": config.api_version,
            "User-Agent": _user_agent(config),
            "Accept": "application/json",
        }
        self.base = URL(config.base_url)
        self.governor = Governor(
            reserve=config.rate_limit_reserve,
            share=config.rate_limit_share,
            max_window=config.retry.max_reset_wait,
            clock=clock,
        )
        self.slots: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Semaphore(config.max_concurrency)
            if config.max_concurrency is not None
            else contextlib.nullcontext()
        )
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

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
            # aiohttp silently resends a GET or DELETE once when a pooled connection
            # breaks. Retries are ours to count: a DELETE resent after it was applied
            # finds the segment gone, and only a retry may take that 404 for success.
            self._session._retry_connection = False
        return self._session

    async def close(self) -> None:
        self._closed = True
        self.governor.close()
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
        now = self.clock.monotonic()
        deadline = None if retry.total_timeout is None else now + retry.total_timeout
        # A body factory is a streamed upload: a transfer.
        call = Call(request, retry, timeout, deadline, self.clock, transfer=callable(request.body))
        try:
            return await self._attempt(call)
        except LaunchDarklyError as error:
            return await retry_after_failure(partial(self._attempt, call), error, retry, deadline)

    def turn(self, call: Call, *, governed: bool = True) -> _Turn:
        """The slots one attempt of ``call`` needs (``async with``)."""
        return _Turn(self, call, governed)

    async def claim(self, call: Call) -> Ticket:
        """A claim on the rate-limit budgets, waiting for the window if they are spent."""
        route = f"{call.request.method} {call.request.route}"
        if call.order is None:
            call.order = self.governor.next_order()
        ticket = await self.governor.acquire(route, call.deadline, call.order)
        if ticket is None:
            raise OutOfTimeError(
                "waiting for LaunchDarkly's rate-limit window would outlast the call's time",
                method=call.request.method,
                path=call.request.path,
                request_sent=False,
            )
        return ticket

    async def _attempt(self, call: Call) -> Response:
        call.attempts += 1
        request = call.request
        session = self.session()
        query = f"?{request.query}" if request.query else ""
        url = URL(f"{self.config.base_url}{request.path}{query}", encoded=True)
        headers = self.headers
        if request.content_type is not None:
            headers = {**headers, "Content-Type": request.content_type}
        async with self.turn(call) as turn:
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
                    turn.headers, turn.status = raw.headers, raw.status
                    response = Response(raw.status, raw.headers, await self.read(raw, request))
            except FAILURES as exc:
                raise transport_error(exc, request) from None
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
        raise self.error(call, response)

    def error(self, call: Call, response: Response) -> LaunchDarklyError:
        """The error for an error response. A 429 holds every request of the client, not
        only this one, for no longer than a wait the retry policy would honour."""
        error = api_error(call.request, response, call.retry, self.clock.time())
        if isinstance(error, RateLimitedError) and read_news(response.headers) is None:
            # A 429 naming no budget (LaunchDarkly's IP-based limit): hold everything.
            pause = call.retry.base_delay if error.retry_after is None else error.retry_after
            self.governor.pause(min(pause, call.retry.max_retry_after))
        return error

    async def read(self, raw: aiohttp.ClientResponse, request: Request) -> bytes:
        """The whole body of ``raw``: at most ``max_body_size`` bytes."""
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
