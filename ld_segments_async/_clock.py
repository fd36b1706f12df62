"""Time as a parameter: the clocks and the sleep every wait of the client goes through.

The governor, the retry loop and job polls take a :class:`Clock`, so that tests of
windows, herds, skew and backoff run on a virtual clock in milliseconds, and nothing in
the request path reads the system clock behind their back.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


class Clock(Protocol):
    """What the client needs of time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines, windows, pacing)."""

    def time(self) -> float:
        """Seconds since the epoch, by this machine's (possibly wrong) wall clock."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The real thing: :func:`time.monotonic`, :func:`time.time`, :func:`asyncio.sleep`."""

    __slots__ = ("monotonic", "sleep", "time")

    def __init__(self) -> None:
        # The functions themselves, not methods calling them: a request reads the clock
        # a few times, and a Python frame each time shows in its cost.
        self.monotonic = time.monotonic
        self.time = time.time
        self.sleep = asyncio.sleep

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()
