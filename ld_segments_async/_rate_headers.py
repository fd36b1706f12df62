"""LaunchDarkly's rate-limit headers read into numbers, whatever the server sends.

``X-Ratelimit-Global-Remaining`` and ``X-Ratelimit-Route-Remaining`` count the requests
left in the account's current window, ``X-Ratelimit-Reset`` is the window's end in epoch
milliseconds on the *server's* clock, and ``Date`` says what that clock read (to the
second). No value can raise: garbage, overflow, signs, NaN and absurd dates read as
absent.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from functools import lru_cache

from attrs import frozen
from multidict import istr

__all__ = ["RateLimitNews", "http_date", "read_news", "seconds_header"]

# Case-insensitive names made once: looked up in every answer, they cost half as much
# as plain strings (multidict lower-cases a str key at each lookup).
GLOBAL_REMAINING = istr("X-Ratelimit-Global-Remaining")
ROUTE_REMAINING = istr("X-Ratelimit-Route-Remaining")
RESET = istr("X-Ratelimit-Reset")
DATE = istr("Date")

_MAX_COUNT_DIGITS = 7
"""No account's window grants ten million requests: a longer count is garbage."""
_LATEST_EPOCH = 1e11  # the year 5138: anything later is not a clock reading


@frozen
class RateLimitNews:
    """What one answer says of the rate limits (None: the header is absent or garbage).

    Attributes:
        global_remaining: requests left in the account's window.
        route_remaining: requests left in the route's window.
        reset: the window's end, epoch seconds on the server's clock.
        date: the server's clock when it answered (``Date``), epoch seconds.
    """

    global_remaining: int | None
    route_remaining: int | None
    reset: float | None
    date: float | None

    @property
    def has_budget(self) -> bool:
        return self.global_remaining is not None or self.route_remaining is not None


def _count(value: str | None, digits: int = _MAX_COUNT_DIGITS) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > digits:
        return None
    return int(value)


def _epoch_ms(value: str | None) -> float | None:
    count = _count(value, digits=16)
    if count is None or count / 1000 > _LATEST_EPOCH:
        return None
    return count / 1000


@lru_cache(maxsize=8)
def http_date(value: str) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) in epoch seconds; None if unparsable."""
    # Every answer of the same second carries the same Date: parse it once.
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        epoch = float(email.utils.mktime_tz(parsed))
    except (ValueError, OverflowError, TypeError, IndexError):
        return None
    return epoch if 0 <= epoch <= _LATEST_EPOCH else None


def read_news(headers: Mapping[str, str]) -> RateLimitNews | None:
    """The rate-limit headers of an answer; None when it carries none of them."""
    global_remaining = _count(headers.get(GLOBAL_REMAINING))
    route_remaining = _count(headers.get(ROUTE_REMAINING))
    reset = _epoch_ms(headers.get(RESET))
    if global_remaining is None and route_remaining is None and reset is None:
        return None
    date = headers.get(DATE)
    return RateLimitNews(
        global_remaining, route_remaining, reset, http_date(date) if date else None
    )


def seconds_header(value: str | None, now: float) -> float | None:
    """``Retry-After``: seconds, or an HTTP date (against ``now``, epoch seconds).

    None when absent or meaningless (negative, NaN, infinite, unparsable).
    """
    if not value:
        return None
    value = value.strip()
    number = value[1:] if value.startswith("-") else value
    if number.isascii() and number.replace(".", "", 1).isdigit() and len(number) <= 15:
        return 0.0 if value.startswith("-") else float(number)  # a negative wait is no wait
    when = http_date(value)
    return None if when is None else max(0.0, when - now)
