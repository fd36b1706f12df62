"""The one way out to the network: a client's session, one attempt coroutine for every
exchange (API calls, multipart uploads, export downloads), and the retry loop around it.

An attempt takes its turn (a concurrency slot, then the rate-limit governor's claim),
sends with the headers its origin may see (the key goes to the API's own scheme, host
and port only), reads the whole body inside the ``async with`` of the response (no live
response leaves this module, so cancelling at any point gives the connection back),
tells the governor what the answer said, and turns a status that is not success into an
error (:mod:`._outcomes`). Retries are :mod:`._retry`'s; bodies are read by
:mod:`._reading`, bounded after decompression.

aiohttp resends a GET or DELETE by itself when a pooled connection breaks; the client's
session carries :func:`resend_guard`, which refuses that, so that only the retry loop,
which knows the method and counts attempts, sends anything twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
import platform
import time
import warnings
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import lru_cache, partial
from typing import NoReturn

import aiohttp
from attrs import define
from yarl import URL

from ._clock import Clock
from ._credential import Credential
from ._exchange import Request, Response, Sink
from ._governor import Governor, Ticket
from ._outcomes import FAILURES, ResendRefused, error_of, failure_of
from ._rate_headers import RateLimitNews, read_news
from ._reading import ACCEPT_ENCODING, read_body, stream_body
from ._retry import retrying
from .config import ClientConfig, RetryPolicy, Timeout
from .errors import DecodeError, RateLimitedError, RequestTimeoutError

__all__ = ["Call", "OutOfTimeError", "Transport", "resend_guard"]

logger = logging.getLogger("ld_segments_async")

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_NO_CONTENT_TYPE = ("Content-Type",)
"""A body-less POST goes without one (aiohttp would say application/octet-stream)."""

DOWNLOAD_ROUTE = "download"
"""The route of export file downloads: their path is a link, not a template."""

_SENDS: ContextVar[list[int] | None] = ContextVar("ld_segments_async_sends", default=None)


async def resend_guard(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """An aiohttp client middleware that refuses aiohttp's own resend of this client's
    requests (other requests of the session pass untouched). The client's own session
    has it; give it to a session you pass in (``ClientSession(middlewares=[resend_guard])``)
    for the same guarantee."""
    sends = _SENDS.get()
    if sends is not None:
        sends[0] += 1
        if sends[0] > 1:
            raise ResendRefused
    return await handler(request)


class OutOfTimeError(RequestTimeoutError):
    """The call's turn under the rate limit comes after its deadline: retrying cannot help."""

    final = True


@define
class Call:
    """One call of the client: its request, policies, deadline and attempts so far."""

    request: Request
    url: URL
    retry: RetryPolicy
    timeout: Timeout
    deadline: float | None
    transfer: bool
    """An upload or download: attempts last as long as bytes flow (the read timeout)."""
    route: str
    """Method and path template: the rate-limit route the call draws on."""
    order: int | None = None
    """The call's place in the rate-limit queue, kept across its retries."""
    attempts: int = 0

    def client_timeout(self, now: float) -> aiohttp.ClientTimeout:
        timeout = self.timeout
        if self.transfer:
            # Big bodies: as long as bytes keep coming (aiohttp's per-read timer).
            return _client_timeout(timeout.total, timeout.connect, timeout.read)
        # Small bodies arrive at once, so the read timeout bounds the whole attempt: one
        # timer per attempt instead of aiohttp's timer reset on every read (38,000 fewer
        # instructions per call, a sixth of the client's own cost; benchmarks/RESULTS.md).
        total = timeout.total
        if timeout.read is not None:
            total = _least(total, timeout.read)
        if self.deadline is not None:
            # Rounded down to 10 ms, so that a few hundred ClientTimeout objects serve
            # every call.
            left = math.floor((self.deadline - now) * 100) / 100
            total = _least(total, max(0.001, left))
        return _client_timeout(total, timeout.connect, None)


def _least(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


@lru_cache(maxsize=256)
def _client_timeout(
    total: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)


class _Turn:
    """A concurrency slot and (if ``governed``) a claim on the rate-limit budgets for one
    attempt; the governor hears the answer when the turn ends, whatever happened."""

    __slots__ = ("call", "governed", "governor", "named", "news", "slots", "status", "ticket")

    def __init__(
        self,
        slots: asyncio.Semaphore | None,
        governor: Governor,
        call: Call,
        governed: bool,
    ) -> None:
        self.slots = slots
        self.governor = governor
        self.call = call
        self.governed = governed
        self.ticket: Ticket | None = None
        self.news: RateLimitNews | None = None
        self.status: int | None = None
        self.named = False
        """A 429 named the budget it spent (the governor holds that budget)."""

    async def __aenter__(self) -> _Turn:
        # The rate-limit turn first, then the slot: a call waiting for a spent route must
        # not hold a slot that a call on another route could use.
        if self.governed:
            call = self.call
            if call.order is None:
                call.order = self.governor.next_order()  # kept by its retries
            # Most turns are free at once: no coroutine for those.
            self.ticket = self.governor.claim_now(call.route) or await self._wait()
        if self.slots is not None:
            try:
                await self.slots.acquire()
            except BaseException:
                if self.ticket is not None:
                    self.governor.give_back(self.ticket)
                raise
        if self.ticket is not None:
            self.ticket.sent_at = self.governor.clock.monotonic()
        return self

    async def _wait(self) -> Ticket:
        call = self.call
        request = call.request
        ticket = await self.governor.acquire(call.route, call.deadline, call.order)
        if ticket is None:
            raise OutOfTimeError(
                "waiting for its turn in LaunchDarkly's rate-limit window would outlast the "
                "call's deadline (RetryPolicy.total_timeout)",
                method=request.method,
                path=request.path,
                request_sent=False,
            )
        return ticket

    def heard(self, raw: aiohttp.ClientResponse) -> None:
        self.status = raw.status
        self.news = read_news(raw.headers)

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self.ticket is not None:
                self.named = self.governor.release(self.ticket, self.news, self.status)
        finally:
            if self.slots is not None:
                self.slots.release()


def _same_origin(url: URL, other: URL) -> bool:
    return (url.scheme, url.host, url.port) == (other.scheme, other.host, other.port)


Consume = Callable[[aiohttp.ClientResponse, Call], Awaitable[Response]]
"""Reads an answer's body (inside the response's ``async with``)."""


class Transport:
    """Owns the aiohttp session of one client and runs every exchange through it."""

    def __init__(
        self,
        config: ClientConfig,
        credential: Credential,
        session: aiohttp.ClientSession | None,
        clock: Clock,
    ) -> None:
        self.config = config
        self.clock = clock
        self._credential = credential
        self._headers = {
            "LD-API-Version": config.api_version,
            "User-Agent": (
                f"{config.user_agent} python/{platform.python_version()} "
                f"aiohttp/{aiohttp.__version__}"
            ),
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        self.base = URL(config.base_url)
        self.governor = Governor(
            reserve=config.rate_limit_reserve,
            share=config.rate_limit_share,
            max_window=config.retry.max_reset_wait,
            clock=clock,
        )
        self._slots = asyncio.Semaphore(config.max_concurrency) if config.max_concurrency else None
        self._session = session
        self._owns_session = session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<Transport {self.config.base_url}>"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a client's transport holds a connection pool and the API key")

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
                connector=connector,
                trust_env=self.config.trust_env,
                middlewares=(resend_guard,),
                trace_configs=list(self.config.trace_configs) or None,
            )
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

    # -- exchanges -----------------------------------------------------------

    def _call(self, request: Request, retry: RetryPolicy, timeout: Timeout, transfer: bool) -> Call:
        now = self.clock.monotonic()
        deadline = None if retry.total_timeout is None else now + retry.total_timeout
        route = f"{request.method} {request.route}"
        return Call(request, self._target(request), retry, timeout, deadline, transfer, route)

    async def request(self, request: Request, *, retry: RetryPolicy, timeout: Timeout) -> Response:
        """Send ``request`` (with retries); its response, or an error."""
        call = self._call(request, retry, timeout, request.transfer)
        attempt = partial(self._attempt, call, self._read)
        return await retrying(attempt, retry, self.clock, call.deadline)

    async def download(
        self,
        request: Request,
        sink: Sink,
        *,
        expected_size: int | None,
        retry: RetryPolicy,
        timeout: Timeout,
    ) -> int:
        """Stream the file at ``request.path`` (a link: absolute, or relative to the API)
        into ``sink``, following redirects; the bytes written.

        Only a 200 is a file. Its size is capped by ``expected_size`` (plus a margin)
        when known, else by ``max_download_size``, and checked when nothing else frames it.
        """
        limit = self.config.max_download_size
        if expected_size is not None:
            limit = min(limit, expected_size + max(64 * 1024, expected_size // 100))
        written = 0

        async def stream(raw: aiohttp.ClientResponse, call: Call) -> Response:
            nonlocal written
            if 200 < raw.status < 300:
                raise DecodeError(
                    f"expected the export file (200), got a {raw.status}",
                    status=raw.status,
                    method=call.request.method,
                    path=call.request.path,
                )
            if raw.status != 200:
                return await self._read(raw, call)
            sink.restart()
            written = await stream_body(raw, call.request, sink, limit, expected_size)
            return Response(raw.status, raw.headers, b"", call.request)

        call = self._call(request, retry, timeout, transfer=True)
        await retrying(lambda: self._attempt(call, stream), retry, self.clock, call.deadline)
        return written

    async def _read(self, raw: aiohttp.ClientResponse, call: Call) -> Response:
        body = await read_body(raw, call.request, self.config.max_body_size)
        return Response(raw.status, raw.headers, body, call.request)

    def _target(self, request: Request) -> URL:
        query = f"?{request.query}" if request.query else ""
        if request.route != DOWNLOAD_ROUTE:
            return URL(f"{self.config.base_url}{request.path}{query}", encoded=True)
        return self._resolve(self.base, request.path + query, request)

    @staticmethod
    def _resolve(base: URL, link: str, request: Request) -> URL:
        """``link`` against ``base``; a DecodeError if it is no http(s) URL, or carries
        credentials of its own (they would go to whoever it names)."""
        try:
            target = base.join(URL(link, encoded=True))
            usable = target.scheme in ("http", "https") and bool(target.host)
        except ValueError:
            usable = False
        if not usable:
            raise DecodeError(
                f"{link[:100]!r} is not an http(s) URL", method=request.method, path=request.path
            )
        if target.user is not None or target.password is not None:
            raise DecodeError(
                "a link that carries credentials is refused",
                method=request.method,
                path=request.path,
            )
        return target

    async def _attempt(self, call: Call, consume: Consume) -> Response:
        call.attempts += 1
        request = call.request
        session = self.session()
        target = call.url
        follow = request.route == DOWNLOAD_ROUTE
        # aiohttp gives a body-less POST or DELETE a Content-Type (never a GET: skipping
        # there costs 14,000 instructions a call for nothing).
        bare = request.method != "GET"
        trusted = not follow or _same_origin(target, self.base)  # API calls go to base_url
        started = time.perf_counter() if logger.isEnabledFor(logging.DEBUG) else 0.0
        async with _Turn(self._slots, self.governor, call, governed=trusted) as turn:
            for _ in range(_MAX_REDIRECTS + 1):
                failure = None
                body = request.body() if callable(request.body) else request.body
                sends = _SENDS.set([0])
                try:
                    async with session.request(
                        request.method,
                        target,
                        headers=self._headers_for(request, trusted),
                        data=body,
                        timeout=call.client_timeout(self.clock.monotonic()),
                        allow_redirects=False,
                        auto_decompress=False,
                        skip_auto_headers=_NO_CONTENT_TYPE if body is None and bare else None,
                    ) as raw:
                        if trusted:
                            turn.heard(raw)  # only the API's answers tell its budgets
                        if follow and raw.status in _REDIRECTS:
                            target = self._redirect(raw, target, request)
                            trusted = trusted and _same_origin(target, self.base)
                            continue
                        response = await consume(raw, call)
                        break
                except FAILURES as exc:
                    failure = failure_of(exc, request)
                finally:
                    _SENDS.reset(sends)
                if failure is not None:
                    raise failure  # outside the except: aiohttp's error is not its context
            else:
                what = f"more than {_MAX_REDIRECTS} redirects"
                raise DecodeError(what, method=request.method, path=request.path)
        self._log(call, response.status, started)
        if 200 <= response.status < 300:
            return response
        error = error_of(request, response, call.retry, self.clock.time())
        assert error is not None
        if isinstance(error, RateLimitedError) and not turn.named:
            # A 429 naming no budget (LaunchDarkly's IP-based limit): hold everything, for
            # as long as it asks if the retry policy would honour that; a longer wait
            # fails this call at once and holds the others no longer than a backoff.
            wait = error.retry_after
            if wait is None or wait > call.retry.max_retry_after:
                wait = call.retry.base_delay
            self.governor.pause(wait)
        if response.status == 404 and request.accept_404_on_retry and call.attempts > 1:
            return response
        raise error

    def _headers_for(self, request: Request, trusted: bool) -> dict[str, str]:
        # Built for each send, never kept: the key is in no object but the credential.
        headers = dict(self._headers)
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        if request.route == DOWNLOAD_ROUTE:
            headers["Accept"] = "text/csv, */*"
        if not trusted:
            del headers["LD-API-Version"]
            return headers
        headers["Authorization"] = self._credential.authorization
        return headers

    def _redirect(self, raw: aiohttp.ClientResponse, target: URL, request: Request) -> URL:
        location = raw.headers.get("Location")
        if not location:
            raise DecodeError(
                f"a {raw.status} redirect without a Location",
                status=raw.status,
                method=request.method,
                path=request.path,
            )
        return self._resolve(target, location, request)

    @staticmethod
    def _log(call: Call, status: int, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.1f ms (attempt %d)",
                call.request.method,
                call.request.path,
                status,
                (time.perf_counter() - started) * 1000,
                call.attempts,
            )
