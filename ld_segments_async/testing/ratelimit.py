"""LaunchDarkly-style rate limiting: fixed windows per account and per route."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

RATE_LIMITED_MESSAGE = "You've exceeded the API rate limit. Try again later."
# The budget reported (and counted down, never enforced) when no limit is configured:
# large enough that no client slows down.
_UNLIMITED = 1_000_000
_NOMINAL_WINDOW = 10.0


@dataclass(frozen=True)
class RateLimit:
    """A rate limit for :class:`FakeLaunchDarkly`.

    Args:
        requests: requests per window for the whole account (all routes).
        window: window length in seconds (LaunchDarkly uses 10).
        route_requests: optional budget per route (method + path template) and window.
        retry_after: send ``Retry-After`` on 429s.
        headers: send the ``X-Ratelimit-*`` headers at all (some 429s come without).
    """

    requests: int
    window: float = 10.0
    route_requests: int | None = None
    retry_after: bool = True
    headers: bool = True


@dataclass(frozen=True)
class Verdict:
    """Whether a request may proceed, and the headers its answer carries."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Counts requests in the current window; windows start at the first request."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = -math.inf
        self._total = 0
        self._per_route: Counter[str] = Counter()

    def check(self, limit: RateLimit | None, route: str | None, *, consume: bool) -> Verdict:
        """Admit (and count, when ``consume``) one request on ``route`` under ``limit``."""
        now = self._clock()
        window = limit.window if limit else _NOMINAL_WINDOW
        if now >= self._started + window:
            self._started, self._total = now, 0
            self._per_route.clear()
        seconds_left = self._started + window - now
        reset_ms = int((time.time() + seconds_left) * 1000)
        if limit is None:
            if consume:
                self._total += 1
            left = max(_UNLIMITED - self._total, 0)
            return Verdict(True, _headers(left, left, reset_ms))
        route_budget = limit.route_requests
        used_on_route = self._per_route[route] if route else 0
        allowed = self._total < limit.requests and (
            route_budget is None or used_on_route < route_budget
        )
        if allowed and consume:
            self._total += 1
            used_on_route += 1
            if route:
                self._per_route[route] = used_on_route
        global_left = max(limit.requests - self._total, 0)
        route_left = global_left if route_budget is None else max(route_budget - used_on_route, 0)
        headers = _headers(global_left, route_left, reset_ms) if limit.headers else {}
        if not allowed and limit.retry_after:
            headers["Retry-After"] = str(max(math.ceil(seconds_left), 1))
        return Verdict(allowed, headers)


def _headers(global_left: int, route_left: int, reset_ms: int) -> dict[str, str]:
    return {
        "X-Ratelimit-Global-Remaining": str(global_left),
        "X-Ratelimit-Route-Remaining": str(route_left),
        "X-Ratelimit-Reset": str(reset_ms),
    }
