"""Rate limiting: headers on every answer, real budgets, 429s."""

from __future__ import annotations

import time

import aiohttp
import pytest
from raw_api import SEGMENTS, Api

from ld_segments_async.testing import FakeLaunchDarkly, RateLimit
from ld_segments_async.testing.ratelimit import RateLimiter

ROUTE = "GET /api/v2/segments/{projectKey}/{environmentKey}"


async def test_headers_on_every_answer_without_a_limit(fake: FakeLaunchDarkly, api: Api) -> None:
    for answer in (await api.get(SEGMENTS), await api.get("/nope"), await api.delete(SEGMENTS)):
        assert int(answer.headers["X-Ratelimit-Global-Remaining"]) > 0
        assert int(answer.headers["X-Ratelimit-Route-Remaining"]) > 0
        reset_ms = int(answer.headers["X-Ratelimit-Reset"])
        assert time.time() * 1000 < reset_ms <= (time.time() + 10) * 1000


async def test_budget_counts_down_then_429(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.rate_limit = RateLimit(requests=3, window=60)
    answers = [await api.get(SEGMENTS) for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Ratelimit-Global-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert limited.json["code"] == "rate_limited"
    assert limited.json["message"] == "You've exceeded the API rate limit. Try again later."
    assert 55 <= int(limited.headers["Retry-After"]) <= 60
    assert fake.rate_limited == 1
    assert fake.statuses[429] == 1


async def test_route_budget(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.rate_limit = RateLimit(requests=100, window=60, route_requests=2)
    statuses = [(await api.get(SEGMENTS)).status for _ in range(3)]
    other = await api.get("/api/v2/projects/default/environments")
    assert statuses == [200, 200, 429]
    assert other.status == 200
    assert other.headers["X-Ratelimit-Route-Remaining"] == "1"
    assert other.headers["X-Ratelimit-Global-Remaining"] == "97"


async def test_limit_shared_by_tokens(fake: FakeLaunchDarkly) -> None:
    fake.rate_limit = RateLimit(requests=1, window=60)
    async with aiohttp.ClientSession() as session:
        api = Api(session, fake.url)
        first = await api.get(SEGMENTS, headers={"Authorization": "fake-suite-token-0f1e2d3c"})
        unauthorized = await api.get(SEGMENTS, headers={"Authorization": "other"})
        second = await api.get(SEGMENTS, headers={"Authorization": "fake-suite-token-0f1e2d3c"})
    assert (first.status, unauthorized.status, second.status) == (200, 401, 429)


@pytest.mark.parametrize(
    ("limit", "retry_after", "ratelimit_headers"),
    [
        (RateLimit(requests=0, retry_after=False), False, True),
        (RateLimit(requests=0, headers=False), True, False),
        (RateLimit(requests=0, retry_after=False, headers=False), False, False),
    ],
)
async def test_header_knobs(
    fake: FakeLaunchDarkly, api: Api, limit: RateLimit, retry_after: bool, ratelimit_headers: bool
) -> None:
    fake.rate_limit = limit
    answer = await api.get(SEGMENTS)
    assert answer.status == 429
    assert ("Retry-After" in answer.headers) is retry_after
    assert ("X-Ratelimit-Reset" in answer.headers) is ratelimit_headers
    assert ("X-Ratelimit-Global-Remaining" in answer.headers) is ratelimit_headers


def test_windows_reset() -> None:
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limit = RateLimit(requests=2, window=10, route_requests=1)
    assert limiter.check(limit, "r", consume=True).allowed
    assert not limiter.check(limit, "r", consume=True).allowed
    assert limiter.check(limit, "s", consume=True).allowed
    assert not limiter.check(limit, "t", consume=True).allowed
    now[0] = 109.5
    denied = limiter.check(limit, "t", consume=True)
    assert denied.headers["Retry-After"] == "1"
    now[0] = 110.0
    verdict = limiter.check(limit, "r", consume=True)
    assert verdict.allowed
    assert verdict.headers["X-Ratelimit-Global-Remaining"] == "1"
    assert verdict.headers["X-Ratelimit-Route-Remaining"] == "0"


def test_peeking_does_not_consume() -> None:
    limiter = RateLimiter()
    limit = RateLimit(requests=1)
    for _ in range(3):
        assert (
            limiter.check(limit, "r", consume=False).headers["X-Ratelimit-Global-Remaining"] == "1"
        )
    assert limiter.check(limit, "r", consume=True).allowed
