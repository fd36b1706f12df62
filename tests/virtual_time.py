"""An event loop on a virtual clock, for tests of time-dependent logic without real waits.

The loop's ``time()`` only moves when every task is waiting: then it jumps straight to
the next timer. ``asyncio.sleep`` and ``wait_for`` run on it unchanged, so a test of ten
windows of ten seconds takes milliseconds, and the same run gives the same schedule.
Real sockets have no place on it (their waits are real): it is for the governor, the
retry loop and job polls, driven by simulated servers.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

EPOCH = 1_800_000_000.0
"""What the virtual wall clock reads at the loop's time zero (a date in 2027)."""


class _Selector(selectors.BaseSelector):
    """Answers what is ready now; with nothing ready, moves the clock to the next timer."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()
        self.loop: VirtualTimeLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and no timer is due (deadlock)")
        assert self.loop is not None
        self.loop.now += timeout
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = _Selector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0

    def time(self) -> float:
        return self.now


class VirtualClock:
    """The :class:`~ld_segments_async._clock.Clock` of a virtual loop: monotonic time is
    the loop's, the wall clock reads ``EPOCH + skew`` at time zero."""

    def __init__(self, skew: float = 0.0) -> None:
        self.skew = skew

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    def time(self) -> float:
        return EPOCH + self.skew + self.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on a fresh virtual-time loop."""
    loop = VirtualTimeLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()
