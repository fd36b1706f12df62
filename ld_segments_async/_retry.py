"""Method-aware retries: which failures to try again, how long to wait, and the loop.

The loop is a plain one rather than backoff's decorator: that decorator sleeps with
``asyncio.sleep`` and cannot take the client's clock, and the rules of when to stop
(the method, the call's deadline, a 429's own wait) read better in one place. The
waits between attempts are backoff's: exponential, capped, with full jitter.

* 429 is retried for every method (LaunchDarkly did not process the request), after
  its ``Retry-After`` (or the time left in the window) plus a little jitter.
* 5xx in ``retry_statuses``, timeouts, dropped connections and cut bodies are retried
  only for GET and DELETE: LaunchDarkly has no idempotency keys.
* A connection that never came up (nothing was sent) is retried for every method.
* Nothing is retried past the call's deadline: a wait that would cross it is not
  started, and the last error is raised.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import backoff

from ._clock import Clock
from .config import IDEMPOTENT_METHODS, RetryPolicy
from .errors import LaunchDarklyError, RateLimitedError, ServerError, TransportError

__all__ = ["is_retryable", "retrying"]

logger = logging.getLogger("ld_segments_async")

T = TypeVar("T")


def is_retryable(policy: RetryPolicy, error: LaunchDarklyError) -> bool:
    """Whether ``error`` may be retried under ``policy``."""
    if getattr(error, "final", False):
        return False  # e.g. the rate-limit window ends after the call's deadline
    if isinstance(error, RateLimitedError):
        return error.retry_after is None or error.retry_after <= policy.max_retry_after
    method = getattr(error, "method", "")
    if isinstance(error, ServerError):
        return error.status in policy.retry_statuses and method in IDEMPOTENT_METHODS
    if isinstance(error, TransportError):
        return not error.request_sent or method in IDEMPOTENT_METHODS
    return False


def _backoff(policy: RetryPolicy) -> Iterator[float]:
    """Full-jitter exponential waits: uniform in [0, min(max_delay, base * 2**n)]."""
    ceilings = backoff.expo(factor=policy.base_delay, max_value=policy.max_delay)
    next(ceilings)  # backoff's generators start with a priming yield
    for ceiling in ceilings:
        yield backoff.full_jitter(ceiling)


def _rate_limit_wait(error: RateLimitedError, fallback: Iterator[float]) -> float:
    if error.retry_after is None:
        return next(fallback)
    # At least what LaunchDarkly asked, and a little more so that many waiting calls do
    # not all come back in the same millisecond.
    spread = min(1.0, 0.1 * error.retry_after + 0.05)
    return error.retry_after + random.uniform(0, spread)  # noqa: S311 - jitter


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    clock: Clock,
    deadline: float | None,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or time runs out."""
    waits: Iterator[float] | None = None
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except LaunchDarklyError as error:
            if tries >= policy.max_attempts or not is_retryable(policy, error):
                raise
            waits = waits or _backoff(policy)
            if isinstance(error, RateLimitedError):
                wait = _rate_limit_wait(error, waits)
            else:
                wait = next(waits)
            if deadline is not None and clock.monotonic() + wait >= deadline:
                raise
            _log_retry(error, wait, tries)
        await clock.sleep(wait)


def _log_retry(error: LaunchDarklyError, wait: float, tries: int) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        status = getattr(error, "status", None) or type(error).__name__
        logger.debug(
            "retrying %s %s after %s in %.2fs (attempt %d)",
            getattr(error, "method", "?"),
            getattr(error, "path", "?"),
            status,
            wait,
            tries,
        )
