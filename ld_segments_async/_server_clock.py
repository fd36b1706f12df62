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


class _Interval:
    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.low = -math.inf
        self.high = math.inf

    def narrow(self, low: float, high: float) -> None:
        if low > self.high or high < self.low:
            self.low, self.high = low, high  # contradicted: the clock moved
        else:
            self.low = max(self.low, low)
            self.high = min(self.high, high)


class ServerClock:
    """The offset ``server_epoch - local_monotonic`` as an interval ``[low, high]``.

    ``Date`` and the windows' resets may come from different clocks on the server (a
    proxy's ``Date``, say): they are kept apart, and where they disagree the resets win,
    since resets are what the offset serves to read.

    Args:
        prior: the offset assumed before any answer narrows it (our own wall clock).
    """

    __slots__ = ("_dates", "_windows", "prior")

    def __init__(self, prior: float) -> None:
        self.prior = prior
        self._dates = _Interval()
        self._windows = _Interval()

    def __repr__(self) -> str:
        return f"ServerClock(low={self.low:.3f}, high={self.high:.3f})"

    @property
    def low(self) -> float:
        return self._bounds()[0]

    @property
    def high(self) -> float:
        return self._bounds()[1]

    def _bounds(self) -> tuple[float, float]:
        dates, windows = self._dates, self._windows
        low, high = max(dates.low, windows.low), min(dates.high, windows.high)
        if low <= high:
            return low, high
        return windows.low, windows.high

    def saw_date(self, date: float, sent: float, received: float) -> None:
        """An answer made at server time ``[date, date + 1)`` was sent and received at
        these local times."""
        self._dates.narrow(date - received - _SLACK, date + 1 - sent + _SLACK)

    def saw_before(self, server_time: float, sent: float) -> None:
        """An answer sent at ``sent`` was made before ``server_time``."""
        self._windows.narrow(-math.inf, server_time - sent + _SLACK)

    def saw_after(self, server_time: float, received: float) -> None:
        """An answer received at ``received`` was made after ``server_time``."""
        self._windows.narrow(server_time - received - _SLACK, math.inf)

    def local(self, server_time: float) -> float:
        """Our best guess of the local time when the server's clock reads
        ``server_time``: by the middle of the interval once its ends are close, else by
        its low end (a window is then believed to end late, never early)."""
        return server_time - self._offset()

    def server(self, local: float) -> float:
        """The server's clock at local time ``local``, by the same guess."""
        return local + self._offset()

    def _offset(self) -> float:
        low, high = self._bounds()
        if high - low <= _PRECISE:
            return (low + high) / 2
        if low == -math.inf:
            return min(self.prior, high)
        return low

    @property
    def width(self) -> float:
        """How uncertain the offset is, in seconds (inf until both ends are known)."""
        low, high = self._bounds()
        return high - low
