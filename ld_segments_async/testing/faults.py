"""Failures to inject: error statuses, 429s, dropped or cut connections, slowness."""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .ids import now_ms
from .ratelimit import RATE_LIMITED_MESSAGE
from .replies import JSON_TYPE, ApiError, Reply, code_for, empty_reply, error_payload, json_reply
from .wire import Outcome, placeholder

_HTML_PAGE = (
    "<html><head><title>{code} Bad Gateway</title></head>"
    "<body><center><h1>{code} Bad Gateway</h1></center><hr><center>proxy</center></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """A failure delivered instead of (or, for ``slow``, before) the real answer.

    Build one with the class methods. With ``after=True`` the request's side effect is
    applied first and the fault replaces the real answer: the worst case for a client
    that retries writes. With ``after=False`` (the default) nothing is applied.
    """

    kind: str
    code: int = 0
    body: Any = None
    headers: Mapping[str, str] | None = None
    retry_after: float | None = None
    ratelimit_headers: bool = True
    seconds: float = 0.0
    after: bool = False

    @classmethod
    def status(
        cls,
        code: int,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        after: bool = False,
    ) -> Fault:
        """Answer ``code``.

        Args:
            code: the HTTP status.
            body: a JSON-able value, or ``bytes``/``str`` sent as is; default is
                LaunchDarkly's error body for ``code``.
            headers: extra response headers.
            after: apply the side effect first.
        """
        return cls("status", code, body, headers, after=after)

    @classmethod
    def rate_limited(
        cls, *, retry_after: float | None = 1, ratelimit_headers: bool = True, after: bool = False
    ) -> Fault:
        """Answer 429 ``rate_limited``.

        Args:
            retry_after: seconds for ``Retry-After`` (rounded up), or ``None`` to omit it.
            ratelimit_headers: send ``X-Ratelimit-*`` (remaining 0, reset after
                ``retry_after``); ``False`` sends none.
            after: apply the side effect first.
        """
        return cls(
            "rate_limited",
            429,
            retry_after=retry_after,
            ratelimit_headers=ratelimit_headers,
            after=after,
        )

    @classmethod
    def drop(cls, *, after: bool = False) -> Fault:
        """Close the connection without answering."""
        return cls("drop", after=after)

    @classmethod
    def truncate(cls, *, after: bool = False) -> Fault:
        """Promise the whole body in ``Content-Length``, send part of it, close."""
        return cls("truncate", after=after)

    @classmethod
    def slow(cls, seconds: float, *, after: bool = False) -> Fault:
        """Delay the answer by ``seconds``.

        Args:
            seconds: the delay.
            after: handle the request first and delay only the answer; by default the
                delay comes first and a request whose client gave up is not applied.
        """
        return cls("slow", seconds=seconds, after=after)

    @classmethod
    def html(cls, code: int = 502, *, after: bool = False) -> Fault:
        """An intermediary's HTML error page with status ``code``."""
        return cls("html", code, after=after)

    @classmethod
    def empty(cls, code: int = 500, *, after: bool = False) -> Fault:
        """Status ``code`` with no body at all."""
        return cls("empty", code, after=after)

    def reply(self) -> Reply:
        """The answer for ``status``, ``rate_limited``, ``html`` and ``empty`` faults."""
        if self.kind == "html":
            page = _HTML_PAGE.format(code=self.code).encode()
            return Reply(self.code, page, "text/html; charset=utf-8", dict(self.headers or {}))
        if self.kind == "empty":
            return empty_reply(self.code, dict(self.headers or {}))
        if self.kind == "rate_limited":
            return _rate_limited_reply(self)
        body = self.body
        if body is None:
            body = error_payload(code_for(self.code), f"Injected fault: status {self.code}")
        if isinstance(body, (bytes, str)):
            raw = body.encode() if isinstance(body, str) else body
            return Reply(self.code, raw, _sniff_type(raw), dict(self.headers or {}))
        return json_reply(self.code, body, dict(self.headers or {}))


def _rate_limited_reply(fault: Fault) -> Reply:
    headers: dict[str, str] = {}
    wait = fault.retry_after
    if wait is not None:
        headers["Retry-After"] = str(math.ceil(wait))
    if fault.ratelimit_headers:
        reset = now_ms() + int((wait or 0) * 1000)
        headers.update(
            {
                "X-Ratelimit-Global-Remaining": "0",
                "X-Ratelimit-Route-Remaining": "0",
                "X-Ratelimit-Reset": str(reset),
            }
        )
    return json_reply(429, error_payload("rate_limited", RATE_LIMITED_MESSAGE), headers)


def _sniff_type(raw: bytes) -> str:
    try:
        json.loads(raw)
    except ValueError:
        return "text/plain; charset=utf-8"
    return JSON_TYPE


@dataclass
class FaultPlan:
    """Random faults: each request on a matching route fails with probability ``rate``.

    Args:
        rate: probability from 0 to 1.
        kinds: the faults to draw from, uniformly.
        seed: seed of the draws, for reproducible runs.
        routes: route names (``"GET /api/v2/segments/{projectKey}/{environmentKey}"``)
            to affect, or ``None`` for all.
    """

    rate: float
    kinds: Sequence[Fault]
    seed: int = 0
    routes: Collection[str] | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible, not secret

    def draw(self, route: str | None) -> Fault | None:
        """A fault for one request on ``route``, or ``None``."""
        if not self.kinds or (self.routes is not None and route not in self.routes):
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(list(self.kinds))


@dataclass
class _Queued:
    fault: Fault
    route: str | None
    times: int


class FaultQueue:
    """Faults queued by ``FakeLaunchDarkly.inject``, served first-in first-out."""

    def __init__(self) -> None:
        self._queued: list[_Queued] = []

    def push(self, fault: Fault, route: str | None, times: int) -> None:
        if times > 0:
            self._queued.append(_Queued(fault, route, times))

    def take(self, route: str | None) -> Fault | None:
        """The next queued fault for a request on ``route``, if any."""
        for entry in self._queued:
            if entry.route is None or entry.route == route:
                entry.times -= 1
                if entry.times == 0:
                    self._queued.remove(entry)
                return entry.fault
        return None

    def clear(self) -> None:
        self._queued.clear()


async def deliver(
    fault: Fault,
    request: web.BaseRequest,
    produce: Callable[[], Awaitable[Reply]],
    safe: bool,
) -> Outcome:
    """What to send for a request that draws ``fault``.

    The real handler (``produce``) runs when ``after`` is set; for ``slow``, whose real
    answer follows the delay unless the client left meanwhile; and for a ``truncate`` of
    a ``safe`` (GET) request, whose real body is what gets cut short.
    """

    async def real() -> Reply:
        try:
            return await produce()
        except ApiError as exc:
            return exc.reply()

    if fault.kind == "slow":
        if fault.after:
            reply = await real()
            await asyncio.sleep(fault.seconds)
            return Outcome(reply)
        await asyncio.sleep(fault.seconds)
        gone = request.transport is None or request.transport.is_closing()
        return Outcome(None if gone else await real())
    handled = await real() if fault.after or (fault.kind == "truncate" and safe) else None
    if fault.kind == "drop":
        return Outcome(None)
    if fault.kind == "truncate":
        has_body = handled is not None and (handled.body or handled.chunks is not None)
        return Outcome(handled if has_body else placeholder(), truncate=True)
    return Outcome(fault.reply(), from_launchdarkly=fault.kind == "status")
