"""A LaunchDarkly-like rate-limited server and clients of it, on virtual time.

The server grants a fixed budget per fixed window of its own clock, which may be set off
the clients' by ``skew`` seconds; every answer carries ``X-Ratelimit-Global-Remaining``,
``X-Ratelimit-Reset`` (epoch ms) and ``Date`` on that clock, and a spent window answers
429 with ``Retry-After``. Clients are real :class:`Governor` objects driven the way the
transport drives them, retrying 429s after the wait the transport's retry would take.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from virtual_time import EPOCH, VirtualClock

from ld_segments_async import RetryPolicy
from ld_segments_async._governor import Governor
from ld_segments_async._outcomes import retry_after
from ld_segments_async._rate_headers import read_news

ROUTE = "GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


@dataclass
class WindowServer:
    budget: int
    window: float
    latency: float = 0.01
    skew: float = 0.0
    """Seconds the server's clock is ahead of the clients'."""
    first_latency: float | None = None
    headers: bool = True
    reset: str = "ms"
    """How ``X-Ratelimit-Reset`` is sent: ``ms`` (LaunchDarkly), ``s`` (a mistake), ``none``."""
    garbage_first: dict[str, str] = field(default_factory=dict)
    """Headers that replace the real ones on the first answer (of window ``garbage_window``
    of the run: 0 is the run's very first answer)."""
    garbage_window: int = 0
    jump: tuple[float, float] | None = None
    """(at, by): from local time ``at`` on, the server's clock is ``by`` seconds off."""
    received: Counter[int] = field(default_factory=Counter)
    """Requests that arrived in each window (by window number)."""
    answered: Counter[int] = field(default_factory=Counter)
    """Answers by status."""
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    """(window, server time) of every request, in arrival order."""
    _window: int = -1
    _count: int = 0

    def now(self) -> float:
        local = asyncio.get_running_loop().time()
        jumped = self.jump[1] if self.jump is not None and local >= self.jump[0] else 0.0
        return EPOCH + self.skew + jumped + local

    async def handle(self) -> tuple[int, dict[str, str]]:
        latency = self.latency
        if self.first_latency is not None and not self.arrivals:
            latency = self.first_latency
        self.arrivals.append((-1, 0.0))  # the slot, before the request arrives
        index = len(self.arrivals) - 1
        await asyncio.sleep(latency / 2)
        at = self.now()
        window = math.floor(at / self.window)
        self.arrivals[index] = (window, at)
        self.received[window] += 1
        if window != self._window:  # a new window (or, after the clock was set, an old one)
            self._window, self._count = window, 0
        self._count += 1
        count = self._count
        end = (window + 1) * self.window
        status = 200 if count <= self.budget else 429
        headers = {"Date": email.utils.formatdate(at, usegmt=True)}
        if self.headers:
            headers["X-Ratelimit-Global-Remaining"] = str(max(0, self.budget - count))
            if self.reset != "none":
                headers["X-Ratelimit-Reset"] = str(int(end * (1000 if self.reset == "ms" else 1)))
        if count == 1 and len(self.received) == self.garbage_window + 1:
            headers.update(self.garbage_first)
        if status == 429:
            headers["Retry-After"] = str(max(1, math.ceil(end - at)))
        self.answered[status] += 1
        await asyncio.sleep(latency / 2)
        return status, headers

    @property
    def requests(self) -> int:
        return sum(self.answered.values())

    @property
    def refused_share(self) -> float:
        return self.answered[429] / max(1, self.requests)

    def most_in_a_window(self) -> int:
        return max(self.received.values())


@dataclass
class Outcome:
    wall: float
    failed: int


async def run_client(
    server: WindowServer,
    calls: int,
    *,
    retry: RetryPolicy | None = None,
    share: float = 1.0,
    reserve: int = 1,
    clock_skew: float = 0.0,
    max_in_flight: int | None = None,
    start: float = 0.0,
) -> Outcome:
    """``calls`` concurrent calls (a plain gather) through one client's governor."""
    policy = retry or RetryPolicy()
    clock = VirtualClock(clock_skew)
    await asyncio.sleep(start)
    governor = Governor(reserve=reserve, share=share, max_window=policy.max_reset_wait, clock=clock)
    slots = asyncio.Semaphore(max_in_flight) if max_in_flight else None
    rng = random.Random(calls)
    began = clock.monotonic()

    async def call() -> bool:
        deadline = (
            None if policy.total_timeout is None else clock.monotonic() + policy.total_timeout
        )
        order = governor.next_order()
        for _ in range(policy.max_attempts):
            ticket = await governor.acquire(ROUTE, deadline, order)
            if ticket is None:
                return False
            status, headers = await server.handle()
            governor.release(ticket, read_news(headers), status)
            if status != 429:
                return True
            wait = retry_after(headers, policy, clock.time())
            if wait is None or wait > policy.max_retry_after:
                return False
            await clock.sleep(wait + rng.uniform(0, min(1.0, 0.1 * wait + 0.05)))
        return False

    async def bounded() -> bool:
        if slots is None:
            return await call()
        async with slots:
            return await call()

    results = await asyncio.gather(*(bounded() for _ in range(calls)))
    governor.close()
    return Outcome(clock.monotonic() - began, sum(not ok for ok in results))
