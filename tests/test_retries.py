"""Method-aware retries: what is retried, how long it waits, and that writes are never
applied twice (the fake's side-effect counters are the proof)."""

from __future__ import annotations

import email.utils
import time

import aiohttp
import pytest
from settings import API_KEY, ENV, FAST_RETRY, PROJECT

from ld_segments_async import (
    ConflictError,
    RateLimitedError,
    RequestTimeoutError,
    RetryPolicy,
    SegmentBody,
    SegmentsClient,
    ServerError,
    Timeout,
    TransportError,
    resend_guard,
)
from ld_segments_async import instructions as ins
from ld_segments_async._outcomes import retry_after as _retry_after
from ld_segments_async.testing import FakeLaunchDarkly, Fault

SEGMENTS = "/api/v2/segments/{projectKey}/{environmentKey}"
SEGMENT = SEGMENTS + "/{segmentKey}"


async def test_429_with_retry_after_waits_at_least_that_long(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.rate_limited(retry_after=1), route=f"GET {SEGMENT}")

    started = time.monotonic()
    segment = await client.get_segment(PROJECT, ENV, "s")
    elapsed = time.monotonic() - started

    assert segment.key == "s"
    assert elapsed >= 1.0
    assert fake.requests[f"GET {SEGMENT}"] == 2


@pytest.mark.parametrize("method", ["post", "patch"])
async def test_429_is_retried_for_writes_and_applied_once(
    client: SegmentsClient, fake: FakeLaunchDarkly, method: str
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.rate_limited(retry_after=None, ratelimit_headers=False), times=2)

    if method == "post":
        await client.post_segment(PROJECT, ENV, SegmentBody(key="new", name="New"))
        effect = "create_segment"
    else:
        await client.patch_segment(PROJECT, ENV, "s", [ins.add_tags(values=["t"])])
        effect = "patch_segment"

    assert fake.side_effects[effect] == 1
    assert fake.statuses[429] == 2


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(500),
        Fault.status(502),
        Fault.status(503),
        Fault.status(504),
        Fault.html(502),
        Fault.empty(503),
        Fault.drop(),
        Fault.truncate(),
        Fault.slow(2.0),
    ],
    ids=["500", "502", "503", "504", "html-502", "empty-503", "drop", "truncate", "slow"],
)
async def test_gets_survive_server_errors_and_broken_connections(
    fake: FakeLaunchDarkly, fault: Fault
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(fault, route=f"GET {SEGMENT}", times=2)
    async with SegmentsClient(
        api_key=API_KEY, base_url=fake.url, retry=FAST_RETRY, timeout=Timeout(read=0.3)
    ) as ld:
        segment = await ld.get_segment(PROJECT, ENV, "s")
    assert segment.key == "s"
    assert fake.requests[f"GET {SEGMENT}"] == 3


@pytest.mark.parametrize(
    "fault",
    [Fault.status(500, after=True), Fault.status(503, after=True), Fault.drop(after=True)],
    ids=["500", "503", "drop"],
)
async def test_a_post_is_never_applied_twice(
    client: SegmentsClient, fake: FakeLaunchDarkly, fault: Fault
) -> None:
    fake.inject(fault, route=f"POST {SEGMENTS}", times=5)

    with pytest.raises((ServerError, TransportError)):
        await client.post_segment(PROJECT, ENV, SegmentBody(key="once", name="Once"))

    assert fake.requests[f"POST {SEGMENTS}"] == 1
    assert fake.side_effects["create_segment"] == 1
    assert fake.segment(PROJECT, ENV, "once") is not None


async def test_a_patch_is_never_applied_twice(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(502, after=True), route=f"PATCH {SEGMENT}")

    with pytest.raises(ServerError):
        await client.patch_segment(PROJECT, ENV, "s", [ins.add_tags(values=["t"])])

    assert fake.side_effects["patch_segment"] == 1
    assert fake.segment(PROJECT, ENV, "s")["version"] == 2


async def test_a_slow_post_times_out_without_a_retry(fake: FakeLaunchDarkly) -> None:
    fake.inject(Fault.slow(1.0, after=True), route=f"POST {SEGMENTS}")
    async with SegmentsClient(
        api_key=API_KEY, base_url=fake.url, retry=FAST_RETRY, timeout=Timeout(read=0.2)
    ) as ld:
        with pytest.raises(RequestTimeoutError) as caught:
            await ld.post_segment(PROJECT, ENV, SegmentBody(key="slow", name="Slow"))
    assert caught.value.request_sent is True
    assert fake.requests[f"POST {SEGMENTS}"] == 1


async def test_a_retried_delete_that_finds_the_segment_gone_succeeds(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(503, after=True), route=f"DELETE {SEGMENT}")

    await client.delete_segment(PROJECT, ENV, "s")

    assert fake.requests[f"DELETE {SEGMENT}"] == 2
    assert fake.side_effects["delete_segment"] == 1


async def test_conflict_is_never_retried(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(409), route=f"GET {SEGMENT}", times=3)
    with pytest.raises(ConflictError):
        await client.get_segment(PROJECT, ENV, "s")
    assert fake.requests[f"GET {SEGMENT}"] == 1


async def test_a_post_is_retried_when_the_connection_was_refused(
    debug_logs: object,
) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    async with SegmentsClient(api_key=API_KEY, base_url="http://127.0.0.1:9", retry=policy) as ld:
        with pytest.raises(TransportError) as caught:
            await ld.post_segment(PROJECT, ENV, SegmentBody(key="k", name="n"))
    assert caught.value.request_sent is False
    retries = [line for line in debug_logs.lines if "retrying POST" in line]  # type: ignore[attr-defined]
    assert len(retries) == 2


async def test_retries_stop_at_max_attempts(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.inject(Fault.status(503), times=100)
    with pytest.raises(ServerError):
        await client.with_options(retry=RetryPolicy(max_attempts=3, base_delay=0.001)).get_segments(
            PROJECT, ENV
        )
    assert fake.requests[f"GET {SEGMENTS}"] == 3


async def test_retry_after_beyond_the_limit_fails_at_once(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.inject(Fault.rate_limited(retry_after=3600))
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        await client.get_segments(PROJECT, ENV)
    assert time.monotonic() - started < 1
    assert caught.value.retry_after == 3600


async def test_a_wait_past_the_time_budget_is_not_started(fake: FakeLaunchDarkly) -> None:
    fake.inject(Fault.rate_limited(retry_after=5))
    policy = RetryPolicy(total_timeout=1.0)
    async with SegmentsClient(api_key=API_KEY, base_url=fake.url, retry=policy) as ld:
        started = time.monotonic()
        with pytest.raises(RateLimitedError):
            await ld.get_segments(PROJECT, ENV)
    assert time.monotonic() - started < 1
    assert fake.requests[f"GET {SEGMENTS}"] == 1


async def test_the_time_budget_covers_every_attempt(fake: FakeLaunchDarkly) -> None:
    fake.inject(Fault.slow(5.0), times=10)
    policy = RetryPolicy(total_timeout=0.5, base_delay=0.01)
    async with SegmentsClient(api_key=API_KEY, base_url=fake.url, retry=policy) as ld:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            await ld.get_segments(PROJECT, ENV)
    assert time.monotonic() - started < 1.5


async def test_retry_policy_per_call(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.inject(Fault.status(503), times=2)
    with pytest.raises(ServerError):
        await client.with_options(retry=RetryPolicy.disabled()).get_segments(PROJECT, ENV)
    page = await client.get_segments(PROJECT, ENV)  # the client's own policy retries
    assert page.items == []
    assert fake.requests[f"GET {SEGMENTS}"] == 3


async def test_each_attempt_is_logged_at_debug(
    client: SegmentsClient, fake: FakeLaunchDarkly, debug_logs: object
) -> None:
    fake.inject(Fault.status(503))
    await client.get_segments(PROJECT, ENV)
    lines = [line for line in debug_logs.lines if line.startswith("ld_segments_async")]  # type: ignore[attr-defined]
    assert any("GET /api/v2/segments/proj/production -> 503" in line for line in lines)
    assert any(
        "retrying GET /api/v2/segments/proj/production after 503 in" in line for line in lines
    )
    assert any("-> 200" in line and "attempt 2" in line for line in lines)


def test_retry_after_header_forms() -> None:
    policy = RetryPolicy()
    now = time.time()
    http_date = email.utils.formatdate(now + 30, usegmt=True)
    assert _retry_after({"Retry-After": "7"}, policy, now) == 7
    assert 28 <= (_retry_after({"Retry-After": http_date}, policy, now) or 0) <= 31
    reset_soon = str(int((now + 3) * 1000))
    assert 2 <= (_retry_after({"X-Ratelimit-Reset": reset_soon}, policy, now) or 0) <= 3.1
    reset_far = str(int((now + 86_400) * 1000))
    assert _retry_after({"X-Ratelimit-Reset": reset_far}, policy, now) == policy.max_reset_wait
    reset_past = str(int((now - 5) * 1000))
    assert _retry_after({"X-Ratelimit-Reset": reset_past}, policy, now) is None
    assert _retry_after({"Retry-After": "soon"}, policy, now) is None
    assert _retry_after({}, policy, now) is None


async def test_a_delete_whose_answer_was_lost_still_succeeds(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    """aiohttp would resend it silently and report the 404 as a first answer."""
    fake.add_segment(PROJECT, ENV, "s")
    await client.get_segments(PROJECT, ENV)  # a pooled connection to break
    fake.inject(Fault.drop(after=True), route=f"DELETE {SEGMENT}")

    await client.delete_segment(PROJECT, ENV, "s")

    assert fake.segment(PROJECT, ENV, "s") is None
    assert fake.requests[f"DELETE {SEGMENT}"] == 2


@pytest.mark.parametrize("retry", [FAST_RETRY, RetryPolicy.disabled()], ids=["retries", "none"])
async def test_a_session_of_your_own_with_the_guard_behaves_the_same(
    fake: FakeLaunchDarkly, retry: RetryPolicy
) -> None:
    """aiohttp resends a GET or DELETE by itself when a connection drops; with
    ``resend_guard`` on your session, only the client's retry loop sends anything twice."""
    fake.add_segment(PROJECT, ENV, "s")
    async with aiohttp.ClientSession(middlewares=[resend_guard]) as session:
        async with SegmentsClient(API_KEY, base_url=fake.url, session=session, retry=retry) as ld:
            await ld.get_segments(PROJECT, ENV)
            fake.inject(Fault.drop(), route=f"GET {SEGMENT}")
            fake.inject(Fault.drop(after=True), route=f"DELETE {SEGMENT}")
            if retry.max_attempts == 1:
                with pytest.raises(TransportError):
                    await ld.get_segment(PROJECT, ENV, "s")
                assert fake.requests[f"GET {SEGMENT}"] == 1
                return
            await ld.get_segment(PROJECT, ENV, "s")
            await ld.delete_segment(PROJECT, ENV, "s")  # applied, answer lost: still done
        # The guard leaves the session's other requests alone.
        async with session.get(f"{fake.url}/api/v2/segments/{PROJECT}/{ENV}") as plain:
            assert plain.status == 401
    assert fake.segment(PROJECT, ENV, "s") is None
    assert fake.requests[f"GET {SEGMENT}"] == 2
    assert fake.requests[f"DELETE {SEGMENT}"] == 2


async def test_a_long_retry_after_does_not_freeze_the_client(fake: FakeLaunchDarkly) -> None:
    policy = RetryPolicy(max_retry_after=0.5, base_delay=0.01)
    async with SegmentsClient(API_KEY, base_url=fake.url, retry=policy) as ld:
        await ld.get_segments(PROJECT, ENV)
        fake.inject(Fault.rate_limited(retry_after=3600, ratelimit_headers=False))
        with pytest.raises(RateLimitedError):
            await ld.get_segments(PROJECT, ENV)
        started = time.monotonic()
        await ld.get_segments(PROJECT, ENV)
    assert time.monotonic() - started < 2


async def test_a_window_past_the_deadline_fails_at_once_without_sending(
    fake: FakeLaunchDarkly,
) -> None:
    from ld_segments_async.testing import RateLimit

    fake.rate_limit = RateLimit(requests=2, window=10.0)
    policy = RetryPolicy(total_timeout=0.5, base_delay=0.01)
    async with SegmentsClient(API_KEY, base_url=fake.url, retry=policy, rate_limit_reserve=0) as ld:
        await ld.get_segments(PROJECT, ENV)
        await ld.get_segments(PROJECT, ENV)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="rate-limit window") as caught:
            await ld.get_segments(PROJECT, ENV)
    assert time.monotonic() - started < 0.5
    assert caught.value.request_sent is False
    assert fake.requests[f"GET {SEGMENTS}"] == 2


def test_meaningless_retry_after_values_are_ignored() -> None:
    now = time.time()
    assert _retry_after({"Retry-After": "inf"}, RetryPolicy(), now) is None
    assert _retry_after({"Retry-After": "nan"}, RetryPolicy(), now) is None
    assert _retry_after({"Retry-After": "-3"}, RetryPolicy(), now) == 0
