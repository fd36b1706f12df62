"""Method-aware retries on top of ``backoff``: which errors to retry, how long to wait."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

import backoff

from .config import IDEMPOTENT_METHODS, RetryPolicy
from .errors import LaunchDarklyError, RateLimitedError, ServerError, TransportError

__all__ = ["is_retryable", "retry_after_failure"]

logger = logging.getLogger("ld_segments_async")

T = TypeVar("T")


def is_retryable(policy: RetryPolicy, error: LaunchDarklyError) -> bool:
    """Whether ``error`` may be retried under ``policy`` (see :class:`RetryPolicy`)."""
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


def _full_jitter(policy: RetryPolicy, attempt: int) -> float:
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def _rate_limit_wait(policy: RetryPolicy, error: RateLimitedError, attempt: int) -> float:
    if error.retry_after is None:
        return _full_jitter(policy, attempt)
    # Wait at least what LaunchDarkly asked, plus a little jitter so that many waiting
    # coroutines do not all come back in the same millisecond.
    return error.retry_after + random.uniform(0, min(1.0, 0.1 * error.retry_after + 0.05))  # noqa: S311


def _waits(policy: RetryPolicy, deadline: float | None) -> Generator[float | None, Any, None]:
    """backoff wait generator: receives each error, yields the wait before the next try.

    A wait that would overrun the call's deadline ends the generator, which makes
    backoff give up and re-raise at once instead of sleeping into a certain timeout.
    """
    attempt = 0
    error = yield None
    while True:
        attempt += 1
        if isinstance(error, RateLimitedError):
            wait = _rate_limit_wait(policy, error, attempt)
        else:
            wait = _full_jitter(policy, attempt)
        if deadline is not None and time.monotonic() + wait >= deadline:
            return
        error = yield wait


def _log_backoff(details: Any) -> None:
    error = details["exception"]
    status = getattr(error, "status", None) or type(error).__name__
    logger.debug(
        "retrying %s %s after %s in %.2fs (attempt %d)",
        getattr(error, "method", "?"),
        getattr(error, "path", "?"),
        status,
        details["wait"],
        details["tries"],
    )


async def retry_after_failure(
    attempt: Callable[[], Awaitable[T]],
    error: LaunchDarklyError,
    policy: RetryPolicy,
    deadline: float | None,
) -> T:
    """Carry on a call whose first attempt failed with ``error``, under ``policy``.

    The first attempt of every call runs bare; backoff, and its bookkeeping, only take
    over once an attempt has failed, which keeps the common path cheap. ``error`` is
    raised again if it is not worth a retry.
    """
    if policy.max_attempts == 1 or not is_retryable(policy, error):
        raise error
    failed = [error]

    async def again() -> T:
        if failed:
            raise failed.pop()  # hands the first failure to backoff to pick the wait
        return await attempt()

    def give_up(error: Exception) -> bool:
        return not (isinstance(error, LaunchDarklyError) and is_retryable(policy, error))

    retrying: Callable[[], Awaitable[T]] = backoff.on_exception(
        cast(Callable[..., Generator[float, None, None]], _waits),
        LaunchDarklyError,
        max_tries=policy.max_attempts,
        giveup=give_up,
        jitter=None,
        on_backoff=_log_backoff,
        logger=None,
        policy=policy,
        deadline=deadline,
    )(again)
    return await retrying()
