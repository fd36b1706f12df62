"""A client-wide rate-limit governor fed by LaunchDarkly's ``X-Ratelimit-*`` headers.

LaunchDarkly's budgets are per account and per ten-second window, globally
(``X-Ratelimit-Global-Remaining``) and per route (``X-Ratelimit-Route-Remaining``), with
the window's end in ``X-Ratelimit-Reset`` (epoch ms). Every request of a client takes a
slot from the budgets it draws on before it is sent; every response corrects them.
When a budget is down to its reserve, new requests wait for the window to reset instead
of being sent into a certain 429, and a 429 pauses the whole client, not only the
request that got it. Without headers (some routes send none, some 429s neither) the
governor stays out of the way and retries fall back to plain backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Mapping

__all__ = ["Governor", "Ticket"]

_GLOBAL = "global"
_MIN_WAIT = 0.01
_PROBE_WAIT = 5.0
"""Longest wait for the first answer (requests are woken as soon as it arrives)."""


class _Budget:
    """One rate-limit budget (global, or one route) as the client estimates it."""

    __slots__ = ("capacity", "remaining", "reset_at", "sent")

    def __init__(self) -> None:
        self.remaining: int | None = None
        """Requests this client may still send in the current window (None: unknown)."""
        self.reset_at: float | None = None
        """When the window ends, on the monotonic clock."""
        self.capacity: int | None = None
        """The largest budget seen at the start of a window: what a new window grants."""
        self.sent = 0
        """Requests sent so far: orders a response against those sent after it."""

    def roll_over(self, now: float, reserve: int) -> None:
        """Past the reset, a new window grants what the last one did (if known)."""
        if self.reset_at is not None and now >= self.reset_at:
            self.reset_at = None
            known = self.capacity is not None and self.capacity > reserve
            self.remaining = self.capacity if known else None

    def observe(self, remaining: int, reset_at: float | None, sent_as: int) -> bool:
        """Correct the estimate with a response's count; True if a new window began."""
        if reset_at is not None and self.reset_at is not None and reset_at < self.reset_at - 0.5:
            return False  # a late answer from the previous window
        new_window = reset_at is not None and (
            self.reset_at is None or reset_at > self.reset_at + 0.5
        )
        # The server's count cannot include the requests sent after this one yet. Answers
        # arriving out of order still agree: an older answer counted fewer requests and
        # has more sent after it.
        self.remaining = max(0, remaining - (self.sent - sent_as))
        if new_window:
            self.reset_at = reset_at
        self.capacity = max(self.capacity or 0, remaining + 1)
        return new_window


class Ticket:
    """A request's claim on the budgets, handed back with its response headers."""

    __slots__ = ("route", "sent_global", "sent_route")

    def __init__(self, route: str, sent_global: int, sent_route: int) -> None:
        self.route = route
        self.sent_global = sent_global
        self.sent_route = sent_route


class Governor:
    """Holds requests back while the budget of the current window is spent.

    Args:
        reserve: requests of each budget left unused, for other clients of the account.
        max_window: the furthest reset believed; LaunchDarkly's windows last ten
            seconds, so one further away is clock skew or a bogus header.
    """

    def __init__(self, *, reserve: int = 1, max_window: float = 11.0) -> None:
        self.reserve = reserve
        self.max_window = max_window
        self._global = _Budget()
        self._routes: dict[str, _Budget] = {}
        self._paused_until = 0.0
        self._news = asyncio.Event()
        # Until a first answer tells the budget, one request goes alone: a wide fan-out
        # must not open with a burst the account cannot take.
        self._heard = False
        self._probing = False
        self._last_reset: tuple[str | None, float | None] = (None, None)

    def _route(self, route: str) -> _Budget:
        budget = self._routes.get(route)
        if budget is None:
            budget = self._routes[route] = _Budget()
        return budget

    def _wait_needed(self, budgets: tuple[_Budget, ...], now: float) -> float | None:
        """Seconds to wait before a request may go, or None if it may go now."""
        if self._paused_until > now:
            return self._paused_until - now
        if self._probing:
            return _PROBE_WAIT
        wait = None
        for budget in budgets:
            budget.roll_over(now, self.reserve)
            spent = budget.remaining is not None and budget.remaining <= self.reserve
            # Only a known reset is worth waiting for; without one a request has to go
            # and find out (a 429 then falls back to the retry policy's backoff).
            if spent and budget.reset_at is not None:
                wait = max(wait or 0.0, budget.reset_at - now)
        return wait

    def try_acquire(self, route: str) -> Ticket | float:
        """Claim one request of ``route``'s budgets, or say how long to wait for it."""
        budgets = (self._global, self._route(route))
        wait = self._wait_needed(budgets, time.monotonic())
        if wait is not None:
            return wait
        self._probing = not self._heard
        for budget in budgets:
            budget.sent += 1
            if budget.remaining is not None:
                budget.remaining -= 1
        return Ticket(route, self._global.sent, budgets[1].sent)

    async def acquire(self, route: str, deadline: float | None = None) -> Ticket | None:
        """Wait until ``route``'s budgets allow one more request and claim it; None if
        that would take past ``deadline`` (monotonic)."""
        while True:
            claim = self.try_acquire(route)
            if isinstance(claim, Ticket):
                return claim
            if deadline is not None and time.monotonic() + claim > deadline:
                return None
            # Spread the wake-ups a little; come back earlier if a new window is seen.
            wait = max(_MIN_WAIT, claim) * random.uniform(1.0, 1.05)  # noqa: S311
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._news.wait(), wait)

    def release(self, ticket: Ticket, headers: Mapping[str, str] | None) -> None:
        """Feed the governor a response (``headers`` None when there was none)."""
        if self._probing:
            self._probing = False
            self._heard = headers is not None
            self._wake()
        if headers is None:
            return
        reset_at = self._reset_at(headers.get("X-Ratelimit-Reset"))
        new_window = False
        for name, budget, sent_as in (
            ("X-Ratelimit-Global-Remaining", self._global, ticket.sent_global),
            ("X-Ratelimit-Route-Remaining", self._route(ticket.route), ticket.sent_route),
        ):
            remaining = _integer(headers.get(name))
            if remaining is not None:
                new_window |= budget.observe(remaining, reset_at, sent_as)
        if new_window:
            self._wake()

    def _wake(self) -> None:
        """Let the requests held for want of news look again."""
        self._news.set()
        self._news = asyncio.Event()

    def _reset_at(self, value: str | None) -> float | None:
        # Every answer of a window carries the same reset: convert it once.
        seen, reset_at = self._last_reset
        if value != seen:
            reset_at = _to_monotonic(value)
            self._last_reset = (value, reset_at)
        if reset_at is None:
            return None
        now = time.monotonic()
        if reset_at <= now:
            return None  # a reset in the past says nothing about the window
        return min(reset_at, now + self.max_window)

    def pause(self, seconds: float) -> None:
        """Hold every request of the client for ``seconds`` (after a 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


def _integer(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _to_monotonic(value: str | None) -> float | None:
    """``X-Ratelimit-Reset`` (epoch ms) on the monotonic clock; None if absent or past."""
    reset_ms = _integer(value)
    if reset_ms is None:
        return None
    left = reset_ms / 1000 - time.time()
    return time.monotonic() + left if left > 0 else None
