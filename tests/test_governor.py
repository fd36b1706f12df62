"""The rate-limit governor: every request of a client draws on one budget, fed by
LaunchDarkly's X-Ratelimit-* headers, so the client slows down before it is refused."""

from __future__ import annotations

import asyncio
import time

import pytest
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import RateLimitedError, RetryPolicy, SegmentsClient
from ld_segments_async.testing import FakeLaunchDarkly, Fault, RateLimit

GET_SEGMENT = "GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"
LIST = "GET /api/v2/segments/{projectKey}/{environmentKey}"
PATIENT = RetryPolicy(max_attempts=30, base_delay=0.05, max_delay=0.5, total_timeout=30)


async def get_many(ld: SegmentsClient, count: int) -> None:
    await asyncio.gather(*(ld.get_segment(PROJECT, ENV, "s") for _ in range(count)))


async def test_requests_wait_for_the_reset_instead_of_being_refused(
    fake: FakeLaunchDarkly,
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.rate_limit = RateLimit(requests=5, window=0.4)
    async with SegmentsClient(
        API_KEY, base_url=fake.url, retry=PATIENT, rate_limit_reserve=0
    ) as ld:
        started = time.monotonic()
        await get_many(ld, 12)
        elapsed = time.monotonic() - started

    assert fake.statuses[429] == 0
    assert fake.requests[GET_SEGMENT] == 12
    assert elapsed >= 0.8  # 5 + 5 + 2: the third window at the earliest


async def test_the_reserve_is_left_unused(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.rate_limit = RateLimit(requests=4, window=0.4)
    async with SegmentsClient(
        API_KEY, base_url=fake.url, retry=PATIENT, rate_limit_reserve=1
    ) as ld:
        started = time.monotonic()
        await get_many(ld, 6)  # 3 per window with a reserve of 1
        elapsed = time.monotonic() - started
    assert fake.statuses[429] == 0
    assert elapsed >= 0.4


async def test_one_429_pauses_every_request_of_the_client(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    await client.get_segments(PROJECT, ENV)  # the budget is known: no probing
    fake.inject(Fault.rate_limited(retry_after=1, ratelimit_headers=False), route=GET_SEGMENT)
    with pytest.raises(RateLimitedError):
        await client.with_options(retry=RetryPolicy.disabled()).get_segment(PROJECT, ENV, "s")

    started = time.monotonic()
    await client.get_segments(PROJECT, ENV)  # another route, same client
    held = time.monotonic() - started

    assert held >= 0.9
    assert fake.statuses[429] == 1


async def test_a_429_with_budget_left_pauses_for_its_retry_after(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    """Counts that say budget is left on a 429 mean another limit refused (LaunchDarkly's
    IP-based one): the client holds for the ``Retry-After`` it names, not to the reset."""
    fake.add_segment(PROJECT, ENV, "s")
    await client.get_segments(PROJECT, ENV)  # the budget is known: no probing
    reset_ms = str(int((time.time() + 8) * 1000))
    headers = {"Retry-After": "1", "X-Ratelimit-Global-Remaining": "900"}
    headers["X-Ratelimit-Reset"] = reset_ms
    fake.inject(Fault.status(429, headers=headers), route=GET_SEGMENT)
    with pytest.raises(RateLimitedError):
        await client.with_options(retry=RetryPolicy.disabled()).get_segment(PROJECT, ENV, "s")

    started = time.monotonic()
    await client.get_segments(PROJECT, ENV)
    held = time.monotonic() - started

    assert 0.9 <= held < 5  # not the 8 s to the window's reset


async def test_route_budgets_are_separate(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.rate_limit = RateLimit(requests=1000, window=1.0, route_requests=2)
    async with SegmentsClient(
        API_KEY, base_url=fake.url, retry=PATIENT, rate_limit_reserve=0
    ) as ld:
        await ld.get_segment(PROJECT, ENV, "s")
        await ld.get_segment(PROJECT, ENV, "s")  # the route's budget is spent
        started = time.monotonic()
        await ld.get_segments(PROJECT, ENV)  # another route goes at once
        other_route = time.monotonic() - started
        await ld.get_segment(PROJECT, ENV, "s")  # this one waits for the reset
        same_route = time.monotonic() - started
    assert other_route < 0.5
    assert same_route >= 0.5
    assert fake.statuses[429] == 0


async def test_without_headers_it_falls_back_to_backoff(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.rate_limit = RateLimit(requests=3, window=0.5, retry_after=False, headers=False)
    async with SegmentsClient(API_KEY, base_url=fake.url, retry=PATIENT) as ld:
        await get_many(ld, 8)
    assert fake.requests[GET_SEGMENT] > 8  # some were refused and retried
    assert fake.statuses[200] == 8


async def test_a_wide_fan_out_opens_with_one_request(fake: FakeLaunchDarkly) -> None:
    """Until the first answer tells the budget, nothing else is sent."""
    fake.add_segment(PROJECT, ENV, "s")
    fake.rate_limit = RateLimit(requests=10, window=1.0)
    async with SegmentsClient(
        API_KEY, base_url=fake.url, retry=PATIENT, rate_limit_reserve=0
    ) as ld:
        await get_many(ld, 10)
    assert fake.statuses[429] == 0


async def test_max_concurrency_bounds_requests_in_flight(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.latency = 0.02
    async with SegmentsClient(API_KEY, base_url=fake.url, max_concurrency=3) as ld:
        await get_many(ld, 20)
    assert fake.max_in_flight <= 3
    assert fake.requests[GET_SEGMENT] == 20
