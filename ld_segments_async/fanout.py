"""Run one coroutine per item, a bounded number at a time, and keep every outcome."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

__all__ = ["fan_out"]

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int], object]
"""Called with (finished, total) after each item; what it returns is awaited if it is
awaitable (an ``async def``), else ignored (``lambda done, total: print(done)``)."""


async def fan_out(
    items: Iterable[T],
    fn: Callable[[T], Awaitable[R]],
    *,
    concurrency: int = 16,
    on_progress: Progress | None = None,
) -> list[R | Exception]:
    """Run ``fn(item)`` for every item, at most ``concurrency`` at once.

    Every item gets an outcome, in input order: the value ``fn`` returned, or the
    exception it raised (one failure does not stop the others). Cancelling the fan-out
    cancels every call still running and waits for them to finish. Share one
    :class:`~ld_segments_async.SegmentsClient` between the calls: its connection pool
    and rate-limit governor are what keep a wide fan-out polite::

        results = await fan_out(environments, lambda env: ld.get_segment("proj", env, "beta"))
        failed = {env: r for env, r in zip(environments, results) if isinstance(r, Exception)}

    Args:
        items: the inputs; read once, up front.
        fn: called once per item.
        concurrency: calls in flight at once.
        on_progress: called (sync or async) with ``(finished, total)`` after each call.

    Raises:
        ValueError: ``concurrency`` below 1.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
    pending = list(items)
    total = len(pending)
    outcomes: list[Any] = [None] * total
    queue = iter(enumerate(pending))
    finished = 0

    async def worker() -> None:
        nonlocal finished
        for index, item in queue:  # one shared iterator: each item goes to one worker
            try:
                outcomes[index] = await fn(item)
            except Exception as error:  # kept as this item's outcome
                outcomes[index] = error
            finished += 1
            if on_progress is not None:
                report = on_progress(finished, total)
                if inspect.isawaitable(report):
                    await report

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, total))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return outcomes
