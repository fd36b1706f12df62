"""Where LaunchDarkly's clock stands against ours.

``X-Ratelimit-Reset`` is read on the server's clock, and the two clocks may disagree by
seconds. The offset (server epoch seconds minus our monotonic seconds) is kept as an
interval that every answer narrows:

* ``Date`` truncates the server's time to the second: the answer was made at a server
  time in ``[Date, Date + 1)``, at one of our times between sending and receiving;
* an answer counted in the window ending at ``reset`` was made before ``reset``;
* the first answer of a new window was made after the previous window's ``reset``.

One answer that straddles a tick of ``Date``, or a window seen to roll, pins the offset
to within a round trip. If an answer contradicts the interval (the server's clock was
set), the interval starts again from that answer.
"""

from __future__ import annotations

import math

__all__ = ["ServerClock"]

_SLACK = 0.002
"""Seconds of tolerance for millisecond rounding of resets."""
_PRECISE = 0.03
"""An interval this narrow (seconds) is trusted in its middle."""


class ServerClock:
    """The offset ``server_epoch - local_monotonic`` as an interval ``[low, high]``.

    Args:
        prior: the offset assumed before any answer narrows it (our own wall clock).
    """

    __slots__ = ("high", "low", "prior")

    def __init__(self, prior: float) -> None:
        self.prior = prior
        self.low = -math.inf
        self.high = math.inf

    def __repr__(self) -> str:
        return f"ServerClock(low={self.low:.3f}, high={self.high:.3f})"

    def _narrow(self, low: float, high: float) -> None:
        if low > self.high or high < self.low:
            self.low, self.high = low, high  # contradicted: the server's clock moved
        else:
            self.low = max(self.low, low)
            self.high = min(self.high, high)

    def saw_date(self, date: float, sent: float, received: float) -> None:
        """An answer made at server time ``[date, date + 1)`` was sent and received at
        these local times."""
        self._narrow(date - received - _SLACK, date + 1 - sent + _SLACK)

    def saw_before(self, server_time: float, sent: float) -> None:
        """An answer sent at ``sent`` was made before ``server_time``."""
        self._narrow(-math.inf, server_time - sent + _SLACK)

    def saw_after(self, server_time: float, received: float) -> None:
        """An answer received at ``received`` was made after ``server_time``."""
        self._narrow(server_time - received - _SLACK, math.inf)

    def local(self, server_time: float) -> float:
        """Our best guess of the local time when the server's clock reads
        ``server_time``: the middle of the interval once both ends are known, else the
        latest it can be (a window is then believed to end late, never early)."""
        if self.width <= _PRECISE:
            return server_time - (self.low + self.high) / 2
        low = self.low if self.low > -math.inf else min(self.prior, self.high)
        return server_time - low

    @property
    def width(self) -> float:
        """How uncertain the offset is, in seconds (inf until both ends are known)."""
        return self.high - self.low
