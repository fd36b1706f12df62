"""A client-wide rate-limit governor fed by LaunchDarkly's ``X-Ratelimit-*`` headers.

LaunchDarkly's budgets are per account and per ten-second window, globally and per route,
with the window's end in ``X-Ratelimit-Reset`` (epoch ms, on the server's clock). Every
request of a client claims its place from the governor before it is sent, and every
answer teaches it (:mod:`._budget` holds the estimate and the pacing, :mod:`._server_clock`
the server's clock).

Requests wait in arrival order (one queue per route, so a spent route holds only its own
requests) and are let through by one dispatcher as the budgets allow: when an answer
arrives, when a paced slot comes due, when a window rolls. Nobody polls, so thousands of
waiting calls cost nothing until their turn, and no herd leaves at a window's start.

* Until the first answer, one request goes alone (it tells whether there are budgets).
* A 429 with the rate-limit headers marks the budget spent until its window rolls; one
  without them (the IP-based limit) pauses every request of the client for its
  ``Retry-After``.
* A call whose deadline falls before its known turn fails at once, without sending; one
  waiting for news waits until its deadline.
* With no rate-limit headers at all the governor stays out of the way.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math

from ._budget import GO, Budget, Probe
from ._clock import SYSTEM_CLOCK, Clock
from ._rate_headers import RateLimitNews
from ._server_clock import ServerClock

__all__ = ["Governor", "Ticket"]

_STALE_RESET = 1.0
"""Seconds a reset may lie in the past and still name a window (the answer was late)."""
_PLAUSIBLE_SKEW = 12 * 3600.0
"""A ``Date`` further than this from our own clock is a broken one, not a skewed one."""


def _spent_budgets(
    account: Budget, route: Budget, account_left: int | None, route_left: int | None
) -> tuple[Budget, ...]:
    """The budgets a 429 says are spent: those counted down to zero. None if the counts
    say budget is left: the refusal came from another limit (LaunchDarkly's IP-based one,
    which says how long in ``Retry-After``)."""
    return tuple(
        budget for budget, left in ((account, account_left), (route, route_left)) if left == 0
    )


class Ticket:
    """One request's claim on the budgets, handed back with what its answer said."""

    __slots__ = ("orders", "probes", "route", "sent_at", "startup")

    def __init__(
        self, route: Budget, orders: tuple[int, int], probes: tuple[Budget, ...], startup: bool
    ) -> None:
        self.route = route
        self.orders = orders
        self.probes = probes
        self.startup = startup
        self.sent_at = 0.0


class _Waiter:
    __slots__ = ("deadline", "future", "order", "route")

    def __init__(
        self, route: str, order: int, deadline: float | None, future: asyncio.Future[Ticket | None]
    ) -> None:
        self.route = route
        self.order = order
        self.deadline = deadline
        self.future = future

    def __lt__(self, other: _Waiter) -> bool:
        return self.order < other.order


class Governor:
    """Lets each request of a client go when the account's budgets allow it.

    Args:
        reserve: requests of each budget left unused per window, for other clients.
        share: the largest fraction of each window's budget this client spends.
        max_window: the furthest a window's end is believed (LaunchDarkly's windows last
            ten seconds: a reset further away is a bogus header).
        patience: seconds a request into an unknown budget may take before another goes.
        clock: where time comes from.
    """

    def __init__(
        self,
        *,
        reserve: int = 1,
        share: float = 1.0,
        max_window: float = 11.0,
        patience: float = 1.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.reserve = reserve
        self.share = share
        self.max_window = max_window
        self.patience = patience
        self.clock = clock
        self.server = ServerClock(prior=clock.time() - clock.monotonic())
        self._global = self._budget()
        self._routes: dict[str, Budget] = {}
        self._startup = Probe(patience)
        self._heard = False
        self._paused_until = -math.inf
        self._queues: dict[str, list[_Waiter]] = {}
        """Per route, waiters in a heap by their place in line (a retry keeps its own)."""
        self._deadlines: list[tuple[float, _Waiter]] = []
        self._waiting = 0
        self._order = itertools.count()
        self._timer_at = math.inf
        self._sleeper: asyncio.Task[None] | None = None

    def _budget(self) -> Budget:
        return Budget(reserve=self.reserve, share=self.share, patience=self.patience)

    def _route(self, route: str) -> Budget:
        budget = self._routes.get(route)
        if budget is None:
            budget = self._routes[route] = self._budget()
        return budget

    def __repr__(self) -> str:
        return f"<Governor waiting={self._waiting} global={self._global!r}>"

    # -- claiming ------------------------------------------------------------

    def next_order(self) -> int:
        """A place in line, for a call to keep across its retries."""
        return next(self._order)

    def claim_now(self, route: str) -> Ticket | None:
        """A turn for ``route`` if one is free this instant and nobody waits; else None
        (then :meth:`acquire`). The common case, without a coroutine."""
        if self._waiting:
            return None
        ticket = self._try(self._route(route), self.clock.monotonic(), None)
        return ticket if isinstance(ticket, Ticket) else None

    async def acquire(
        self, route: str, deadline: float | None = None, order: int | None = None
    ) -> Ticket | None:
        """Wait for ``route``'s turn and claim it; None if the call's ``deadline``
        (monotonic) passes first, or surely would.

        ``order`` keeps a retried call's place in line (from :meth:`next_order`).
        """
        if not self._waiting:
            ticket = self._try(self._route(route), self.clock.monotonic(), deadline)
            if isinstance(ticket, Ticket) or ticket is None:
                return ticket
        future: asyncio.Future[Ticket | None] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(route, next(self._order) if order is None else order, deadline, future)
        heapq.heappush(self._queues.setdefault(route, []), waiter)
        self._waiting += 1
        if deadline is not None:
            heapq.heappush(self._deadlines, (deadline, waiter))
            if len(self._deadlines) > 2 * self._waiting + 64:
                # Deadlines of waiters long let through: drop them, not keep them till due.
                self._deadlines = [e for e in self._deadlines if not e[1].future.done()]
                heapq.heapify(self._deadlines)
        self._dispatch()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                granted = future.result()
                if granted is not None:
                    self.give_back(granted)
            else:
                future.cancel()
                self._waiting -= 1
                self._dispatch()
            raise

    def _end(self, budget: Budget) -> float | None:
        if budget.window_end is None:
            return None
        return min(self.server.local(budget.window_end), budget.end_limit)

    def _try(self, route: Budget, now: float, deadline: float | None) -> Ticket | float | None:
        """Claim a turn now (a Ticket), or say when to look again; None if the deadline
        falls before a turn that is certain to come later."""
        if self._heard and not (self._global.seen or route.seen) and now >= self._paused_until:
            return self._claim_unlimited(route, now)  # no budgets: nothing to wait for
        known_wait = self._paused_until if now < self._paused_until else GO
        news_wait = GO
        if not self._heard:
            news_wait = self._startup.verdict(now)
        for budget in (self._global, route):
            end = self._end(budget)
            verdict = budget.verdict(now, end)
            if verdict == GO:
                continue
            if budget.unknown(now, end):
                news_wait = max(news_wait, verdict)
            else:
                known_wait = max(known_wait, verdict)
        if known_wait == GO and news_wait == GO:
            return self._claim(route, now)
        if deadline is not None and known_wait > deadline:
            return None
        return max(known_wait, news_wait)

    def _claim_unlimited(self, route: Budget, now: float) -> Ticket:
        # What _claim does for budgets never seen, in a few steps: the server sends no
        # rate-limit headers, and the governor stays out of the way.
        self._global.sent += 1
        route.sent += 1
        ticket = Ticket(route, (self._global.sent, route.sent), (), False)
        ticket.sent_at = now
        return ticket

    def _claim(self, route: Budget, now: float) -> Ticket:
        startup = not self._heard
        if startup:
            self._startup.sent(now)
        probes = tuple(
            budget for budget in (self._global, route) if budget.claim(now, self._end(budget))
        )
        ticket = Ticket(route, (self._global.sent, route.sent), probes, startup)
        ticket.sent_at = now
        return ticket

    def give_back(self, ticket: Ticket) -> None:
        """A claim that never became a request (its call was cancelled in between)."""
        if ticket.startup:
            self._startup.lost()
        for budget in (self._global, ticket.route):
            budget.unclaim(budget in ticket.probes)
        self._dispatch()

    # -- learning ------------------------------------------------------------

    def release(self, ticket: Ticket, news: RateLimitNews | None, status: int | None) -> bool:
        """Take the answer to ``ticket``'s request in: its rate-limit headers (``news``)
        and status, or ``status=None`` when no answer came (the request failed).

        Returns whether a 429 named a budget it spent: if not (no rate-limit headers, or
        counts that say budget is left: LaunchDarkly's IP-based limit), the caller
        decides how long to hold the client (:meth:`pause`).
        """
        now = self.clock.monotonic()
        if ticket.startup:
            if status is None:
                self._startup.lost()
            elif news is not None and not news.has_budget:
                self._startup.answered(now)  # rate-limit headers, but no usable count yet
            else:
                self._heard = True  # a count, or no rate-limit headers at all
                self._startup.done()
        for budget in ticket.probes:
            if status is None:
                budget.probe.lost()
            else:
                budget.probe.answered(now)
        named = False
        if news is not None:
            named = self._learn(ticket, news, status, now)
        if self._waiting:
            self._dispatch()
        return named

    def _learn(self, ticket: Ticket, news: RateLimitNews, status: int | None, now: float) -> bool:
        sent = ticket.sent_at
        if news.date is not None and abs(news.date - self.clock.time()) < _PLAUSIBLE_SKEW:
            self.server.saw_date(news.date, sent, now)
        reset = news.reset
        if reset is not None:
            local = self.server.local(reset)
            if not sent - _STALE_RESET <= local <= now + self.max_window + _STALE_RESET:
                reset = None  # long past or far off: a bogus reset names no window
            else:
                self.server.saw_before(reset, sent)
        global_remaining = news.global_remaining
        if status == 429 and not news.has_budget:
            global_remaining = 0  # refused, without saying which budget: assume the account's
        at = (sent + now) / 2
        spent = _spent_budgets(self._global, ticket.route, global_remaining, news.route_remaining)
        end = None if reset is None else self.server.local(reset)
        for budget, remaining, order in (
            (self._global, global_remaining, ticket.orders[0]),
            (ticket.route, news.route_remaining, ticket.orders[1]),
        ):
            previous = budget.window_end
            window = budget.observe(remaining, reset, order, at, budget in ticket.probes)
            if remaining is None or window == "late":
                continue
            if window == "new":
                budget.end_limit = now + self.max_window
                if previous is not None and reset is not None and reset > previous:
                    self.server.saw_after(previous, now)  # made after the last window ended
            elif end is not None and now >= min(end, budget.end_limit):
                budget.end_limit = max(budget.end_limit, now + self.max_window)  # not rolled yet
            if status == 429 and budget in spent:
                budget.spent()
        return status == 429 and bool(spent)

    def pause(self, seconds: float) -> None:
        """Hold every request of the client for ``seconds`` (a 429 that names no budget)."""
        if not math.isfinite(seconds) or seconds <= 0:
            return
        self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)
        self._dispatch()

    # -- dispatching ---------------------------------------------------------

    def _dispatch(self) -> None:
        """Let through every waiter whose turn has come; arm the timer for the next."""
        if not self._waiting:
            self._deadlines.clear()  # nobody waits: the deadlines left are all stale
            self._disarm()
            return
        now = self.clock.monotonic()
        self._expire(now)
        wake = math.inf
        held: set[str] = set()
        while self._waiting:
            heads = [
                queue[0]
                for route, queue in self._queues.items()
                if route not in held and self._live_head(queue)
            ]
            if not heads:
                break
            waiter = min(heads)
            verdict = self._try(self._route(waiter.route), now, waiter.deadline)
            if isinstance(verdict, Ticket):
                heapq.heappop(self._queues[waiter.route])
                self._waiting -= 1
                waiter.future.set_result(verdict)
                continue
            if verdict is None:  # its turn surely comes after its deadline
                heapq.heappop(self._queues[waiter.route])
                self._waiting -= 1
                waiter.future.set_result(None)
                continue
            wake = min(wake, verdict)
            held.add(waiter.route)
        if not self._waiting:
            self._deadlines.clear()
        elif self._deadlines:
            wake = min(wake, self._deadlines[0][0])
        self._arm(wake, now)

    @staticmethod
    def _live_head(queue: list[_Waiter]) -> bool:
        while queue and queue[0].future.done():
            heapq.heappop(queue)  # cancelled, or expired at its deadline
        return bool(queue)

    def _expire(self, now: float) -> None:
        while self._deadlines and self._deadlines[0][0] <= now:
            _, waiter = heapq.heappop(self._deadlines)
            if not waiter.future.done():
                waiter.future.set_result(None)
                self._waiting -= 1

    def _arm(self, wake: float, now: float) -> None:
        if not self._waiting or wake == math.inf:
            self._disarm()
            return
        if self._sleeper is not None and self._timer_at <= wake:
            return  # an earlier look is already due, and will re-arm
        self._disarm()
        self._timer_at = wake
        self._sleeper = asyncio.ensure_future(self._wake_at(max(0.0, wake - now)))

    async def _wake_at(self, delay: float) -> None:
        await self.clock.sleep(delay)
        self._sleeper = None
        self._timer_at = math.inf
        self._dispatch()

    def _disarm(self) -> None:
        if self._sleeper is not None:
            self._sleeper.cancel()
            self._sleeper = None
        self._timer_at = math.inf

    def close(self) -> None:
        """Stop the timer (the client is closing)."""
        self._disarm()
