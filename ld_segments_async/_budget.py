"""One rate-limit budget (the account's, or one route's) as one client estimates it.

The server counts every request of the account; a client sees that count only in the
answers to its own requests, late and shared with every other client of the account.
The estimate of what is left now is the newest answer's count, less this client's
requests sent after it.

Claims are paced over what is left of the window rather than spent at its start. This
client's part of what is left (less the reserve) is its part of the account's spending:
its own requests over the fall of the count while it watched (1 for a client alone),
learnt as soon as a window shows enough of it and carried into the next. Several
clients on one account each take their part, so together they spend what is left
evenly over the window; whatever parts they start from, they add up to the whole once
measured. The part is spread evenly over the time left, with a small burst allowed so
that a client with budget to spare never makes a lone request wait.

Between windows the budget is unknown: one request (a probe) finds out what the new
window holds before any other goes; a probe that takes long lets one more go, then two,
four... (slow start, reset by every answer), so a slow server is never a fixed wait for
everybody. A count without a reset is spent, then tried again one request a second,
until a count that rose says a new window began.
"""

from __future__ import annotations

import math

__all__ = ["GO", "Budget", "Probe"]

GO = 0.0
"""A verdict: the request may go now (any other verdict is the local time to look again)."""

_BURST = 0.1
"""The part of a client's share of the window that may go at once, unpaced..."""
_MOST_BURST = 16.0
"""...but never more than this many: a count that lies must not release a whole queue."""
_SAME_WINDOW = 0.05
"""Resets this close (seconds) name the same window: servers round them differently."""
_MAX_PROBES = 64
_EVIDENCE = 8
"""The fewest requests counted that say what part of a window was this client's."""
_LEAST_PART = 0.02
_GROWTH = 4
"""A window telling more than this many times the largest grant of recent windows is
doubted: a bogus count would release the whole queue before the next answer."""
_EPSILON = 1e-9


class Probe:
    """Requests sent into an unknown budget: one at a time, doubling each ``patience``
    seconds that no answer comes back."""

    __slots__ = ("in_flight", "patience", "since")

    def __init__(self, patience: float) -> None:
        self.patience = patience
        self.since: float | None = None
        self.in_flight = 0

    def verdict(self, now: float) -> float:
        """GO, or when one more probe may go."""
        if self.since is None:
            return GO
        rounds = int((now - self.since) / self.patience + _EPSILON) if self.patience > 0 else 6
        if self.in_flight < min(2 ** min(rounds, 6), _MAX_PROBES):
            return GO
        return self.since + (rounds + 1) * self.patience

    def sent(self, now: float) -> None:
        if self.since is None:
            self.since = now
        self.in_flight += 1

    def answered(self, now: float) -> None:
        """An answer came that did not settle the budget: the patience starts again (slow
        start is for a server that says nothing, not for one that keeps answering)."""
        self.in_flight = max(0, self.in_flight - 1)
        if self.since is not None:
            self.since = now

    def lost(self) -> None:
        """A probe that got no answer at all (or was never sent)."""
        self.in_flight = max(0, self.in_flight - 1)

    def done(self) -> None:
        """News arrived: the budget is known again."""
        self.since = None
        self.in_flight = 0


class Budget:
    """What one client knows of one budget, and when its next request may go.

    Times are local monotonic seconds except ``window_end`` (the server's epoch
    seconds, as ``X-Ratelimit-Reset`` says); the governor converts between the two.

    Args:
        reserve: requests of each window left unused, for other clients.
        share: the largest fraction of a window's budget this client spends.
        patience: seconds a probe may take before another goes; also how often a spent
            count without a reset is tried again.
    """

    __slots__ = (
        "anchor_order",
        "capacity",
        "claimed",
        "doubted",
        "end_limit",
        "first",
        "high_water",
        "latest",
        "part",
        "patience",
        "prior_part",
        "probe",
        "refused",
        "remaining",
        "reserve",
        "seen",
        "sent",
        "share",
        "spent_at",
        "tat",
        "window_end",
        "window_order",
    )

    def __init__(self, *, reserve: int, share: float, patience: float) -> None:
        self.reserve = reserve
        self.share = share
        self.patience = patience
        self.seen = False
        """An answer ever carried this budget's header."""
        self.window_end: float | None = None
        self.window_order = -1
        """The claim number of the request whose answer opened the current window."""
        self.remaining = 0.0
        """Left by the newest answer, less this client's claims since."""
        self.anchor_order = -1
        self.first: tuple[int, int] | None = None
        self.latest: tuple[int, int] | None = None
        """(remaining, order) of this window's first and newest answers."""
        self.prior_part = 1.0
        self.part = 1.0
        """This client's part of the account's spending: this window's once measured,
        else the last one's (``prior_part``)."""
        self.refused = 0
        """This client's requests answered 429 in the current window (they count for
        nothing on the server)."""
        self.end_limit = math.inf
        """The latest local time the window may end, whatever its reset says."""
        self.capacity = 0
        """What the current window granted, as far as seen."""
        self.high_water = 0.0
        """The largest grant of recent windows (halving each window unless renewed)."""
        self.doubted: int | None = None
        """The count a new window told, if doubted: capped until its next answer."""
        self.claimed = 0
        """This client's claims in the current window."""
        self.sent = 0
        """This client's claims ever: orders answers against claims sent after them."""
        self.tat = -math.inf
        """Pacing: when the next claim is due (a theoretical arrival time)."""
        self.spent_at: float | None = None
        """When a count without a reset was last seen spent."""
        self.probe = Probe(patience)

    def __repr__(self) -> str:
        return (
            f"<Budget remaining={self.remaining:.1f} end={self.window_end} "
            f"part={self.part:.2f} claimed={self.claimed}>"
        )

    # -- deciding ------------------------------------------------------------

    def mine(self) -> float:
        """How many more requests this client may send before the window ends."""
        part = (self.remaining - self.reserve) * self.part
        if self.share < 1 and self.capacity:
            part = min(part, math.floor(self.share * self.capacity) - self.claimed)
        return part

    def unknown(self, now: float, end: float | None) -> bool:
        """Whether only an answer can tell what is left (a new window, or a spent count
        tried again): waits for it are waits for news, not for a known time."""
        if not self.seen:
            return False
        return now >= end if end is not None else self.probe.in_flight > 0

    def verdict(self, now: float, end: float | None) -> float:
        """GO, or the local time to look again.

        ``end`` is the local time the window surely ends (None: unknown).
        """
        if not self.seen:
            return GO
        if end is None:
            # A count without a reset: spend it, then try again once in a while.
            if self.remaining - self.reserve >= 1 or self.spent_at is None:
                return GO
            if self.probe.in_flight:
                return math.inf  # its answer will say
            again = self.spent_at + self.patience
            return GO if again <= now + _EPSILON else again
        if now >= end:
            return self.probe.verdict(now)  # a new window: unknown until answered
        part = self.mine()
        if part < 1:
            return end  # nothing left for this client before the window rolls
        interval = (end - now) / part
        burst = min(max(1.0, part * _BURST), _MOST_BURST)
        earliest = self.tat - (burst - 1) * interval
        return GO if earliest <= now + _EPSILON else min(earliest, end)

    def claim(self, now: float, end: float | None) -> bool:
        """Count one request going now; True if it is a probe (its answer is awaited
        before the budget is believed again)."""
        self.sent += 1
        self.claimed += 1
        self.remaining -= 1
        if not self.seen:
            return False
        if end is None:
            if self.remaining - self.reserve < 1 and self.spent_at is None:
                self.spent_at = now  # spent by this client's own claims: try again later
            if self.remaining + 1 - self.reserve >= 1:
                return False
        elif now < end:
            part = self.mine() + 1
            self.tat = max(self.tat, now) + (end - now) / max(part, 1.0)
            return False
        self.probe.sent(now)
        return True

    def unclaim(self, probe: bool) -> None:
        """A claim that never became a request."""
        self.claimed -= 1
        self.remaining += 1
        if probe:
            self.probe.lost()

    # -- learning ------------------------------------------------------------

    def observe(
        self, remaining: int | None, reset: float | None, order: int, at: float, probe: bool
    ) -> str:
        """Take an answer's count in: ``order`` is the claim number of its request, ``at``
        the local time it was (about) made, ``probe`` whether it was this budget's probe.

        Returns ``"new"`` (it opened a window), ``"late"`` (of an earlier window: ignored),
        or ``"same"``.
        """
        after = self.sent - order  # this client's claims the count cannot include yet
        if reset is not None and self.window_end is not None:
            new = reset > self.window_end + _SAME_WINDOW
            if reset < self.window_end - _SAME_WINDOW:
                if order < self.window_order:
                    return "late"  # sent before the current window was seen
                new = True  # sent after: the server's windows moved back (its clock was set)
        elif reset is None and self.window_end is None:
            # No resets at all: a count that rose says the window rolled.
            # Only a probe's can say so: answers overtaking one another show counts
            # going up and down, while a probe goes alone into a spent count.
            new = not self.seen or (
                probe and remaining is not None and remaining - after > self.reserve
            )
        else:
            new = reset is not None  # the first reset, or one that stopped coming
        if remaining is None:
            return "new" if new else "same"
        if new:
            self._open(remaining, reset, order, after, at)
            return "new"
        if order >= self.anchor_order:
            if self.doubted is not None:
                self._settle_doubt(remaining, order, after)
            # Within a window the count only falls: a higher one is an answer overtaken
            # by requests the server counted later.
            self.remaining = min(remaining - after, self.remaining)
            self.anchor_order = order
            self.latest = (remaining, order)
            self._measure_part()
        if self.remaining - self.reserve < 1:
            self.spent_at = at
        return "same"

    def _open(self, remaining: int, reset: float | None, order: int, after: int, at: float) -> None:
        self.doubted = None
        if self.high_water and remaining + 1 > _GROWTH * self.high_water:
            # Bogus, or a budget grown: spend as if it were a step up until the next
            # answer of this window says which.
            self.doubted = remaining
            remaining = int(_GROWTH * self.high_water) - 1
        self._measure_part()
        self.prior_part = self.part
        self.seen = True
        self.refused = 0
        self.window_end = reset
        self.window_order = order
        self.remaining = remaining - after
        self.anchor_order = order
        self.first = self.latest = (remaining, order)
        self.claimed = after + 1
        self.capacity = remaining + 1
        if remaining > 0 and self.doubted is None:
            # A window first seen spent (a 429) says nothing of what it grants.
            self.high_water = max(self.high_water / 2, float(self.capacity))
        self.tat = at
        self.spent_at = None if self.remaining - self.reserve >= 1 else at
        self.probe.done()

    def _settle_doubt(self, remaining: int, order: int, after: int) -> None:
        """The next answer of a window whose count was doubted says whether it was true."""
        assert self.doubted is not None
        if remaining + 1 > _GROWTH * self.high_water:
            told = self.doubted  # borne out: the budget grew
            self.remaining = remaining - after
            self.first = (told, self.window_order)
        else:
            told = remaining  # bogus: the window's accounts start from this answer
            self.first = (remaining, order)
        self.capacity = told + 1
        self.high_water = max(self.high_water, float(self.capacity))
        self.doubted = None

    def _measure_part(self) -> None:
        """This client's part of the window so far: its requests between the first and
        newest answers, over the fall of the account's count between them."""
        if self.first is None or self.latest is None:
            return
        fell = self.first[0] - self.latest[0]
        own = self.latest[1] - self.first[1] - self.refused
        if fell >= _EVIDENCE and own > 0:
            self.part = min(1.0, max(_LEAST_PART, own / fell))
        else:
            self.part = self.prior_part

    def spent(self) -> None:
        """A 429 in this budget's window: nothing is left until it rolls."""
        self.remaining = min(self.remaining, 0.0)
        self.refused += 1
