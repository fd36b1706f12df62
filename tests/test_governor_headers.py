"""Rate-limit headers a server may garble, over real sockets: no value can raise, slow the
client for good or keep a concurrency slot; and slots come back whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from servers import segment_json, serving
from settings import API_KEY

from ld_segments_async import LaunchDarklyError, RateLimitedError, RetryPolicy, SegmentsClient
from ld_segments_async._rate_headers import read_news, seconds_header

GARBAGE = [
    "9" * 400,
    "-1500",
    "NaN",
    "inf",
    "1e309",
    "0x10",
    "\uff11\uff12\uff13",  # fullwidth digits: isdigit() says yes, int() takes them
    "",
    " 12 ",
    "12.5",
]


@pytest.mark.parametrize("value", GARBAGE)
def test_no_header_value_raises(value: str) -> None:
    headers = {
        "X-Ratelimit-Global-Remaining": value,
        "X-Ratelimit-Route-Remaining": value,
        "X-Ratelimit-Reset": value,
        "Date": value,
    }
    news = read_news(headers)
    if news is not None:
        for number in (news.global_remaining, news.route_remaining, news.reset, news.date):
            assert number is None or 0 <= number < 1e12
    seconds = seconds_header(value, 1e9)
    assert seconds is None or 0 <= seconds < 1e15


def test_dates_far_off_or_malformed_are_ignored() -> None:
    for date in ("Mon, 01 Dec 99999 00:00:00 GMT", "Mon, 99 Foo 2026 99:99:99", "yesterday"):
        news = read_news({"X-Ratelimit-Global-Remaining": "5", "Date": date})
        assert news is not None
        assert news.global_remaining == 5
        assert news.date is None


@pytest.fixture
async def garbled() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A server answering each request with the next set of headers of a script (a 429
    when the set says so), then plain 200s."""
    script: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.Response:
        headers = script.pop(0) if script else {}
        status = int(headers.pop("status", "200"))
        if status == 429:
            return web.json_response(
                {"code": "rate_limited", "message": "slow down"}, status=429, headers=headers
            )
        return web.json_response(segment_json("s"), headers=headers)

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    async with serving(app) as url:
        yield url, script


@pytest.mark.parametrize("value", GARBAGE)
async def test_garbled_headers_on_answers_and_429s_leave_the_client_working(
    garbled: tuple[str, list[dict[str, str]]], value: str
) -> None:
    url, script = garbled
    names = ("X-Ratelimit-Global-Remaining", "X-Ratelimit-Route-Remaining", "X-Ratelimit-Reset")
    for status in ("200", "429", "200", "429"):
        script.append({"status": status, **dict.fromkeys(names, value), "Retry-After": value})
    policy = RetryPolicy(base_delay=0.001, max_delay=0.01, max_retry_after=0.05, total_timeout=5)
    async with SegmentsClient(API_KEY, base_url=url, retry=policy, max_concurrency=2) as ld:
        outcomes = await asyncio.gather(
            *(ld.get_segment("p", "e", "s") for _ in range(4)), return_exceptions=True
        )
        for outcome in outcomes:
            assert not isinstance(outcome, BaseException) or isinstance(
                outcome, LaunchDarklyError
            ), repr(outcome)
        # Neither a slot nor the rate-limit queue is stuck: a later call goes at once.
        segment = await asyncio.wait_for(ld.get_segment("p", "e", "s"), 2)
    assert segment.key == "s"


async def test_a_cancelled_first_request_does_not_hold_the_others() -> None:
    """The first request goes alone; cancelled while out, it must let the next one go."""
    arrived, release = asyncio.Event(), asyncio.Event()
    hits = 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        if hits == 1:
            arrived.set()
            await release.wait()
        return web.json_response(segment_json("s"))

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    async with serving(app) as url, SegmentsClient(API_KEY, base_url=url, max_concurrency=1) as ld:
        first = asyncio.ensure_future(ld.get_segment("p", "e", "s"))
        await arrived.wait()
        second = asyncio.ensure_future(ld.get_segment("p", "e", "s"))
        first.cancel()
        release.set()
        segment = await asyncio.wait_for(second, 2)
    assert segment.key == "s"
    assert first.cancelled()


def _routes_app(segment_headers: dict[str, str], status: int = 429) -> web.Application:
    """``get_segment`` refused with ``segment_headers``; listing is healthy."""

    async def refused(request: web.Request) -> web.Response:
        body = {"code": "rate_limited", "message": "slow down"}
        return web.json_response(body, status=status, headers=segment_headers)

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"items": [], "_links": {}, "totalCount": 0})

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", refused)
    app.router.add_get("/api/v2/segments/{p}/{e}", listing)
    return app


@pytest.mark.parametrize("max_concurrency", [None, 2])
async def test_a_route_refused_holds_only_itself(max_concurrency: int | None) -> None:
    """A 429 that says the route is spent (its account budget is not) holds that route
    alone, and calls waiting for it hold no concurrency slot."""
    import time

    reset = str(int((time.time() + 10) * 1000))
    app = _routes_app(
        {
            "X-Ratelimit-Global-Remaining": "900",
            "X-Ratelimit-Route-Remaining": "0",
            "X-Ratelimit-Reset": reset,
            "Retry-After": "10",
        }
    )
    policy = RetryPolicy(max_retry_after=30, total_timeout=30)
    async with (
        serving(app) as url,
        SegmentsClient(API_KEY, base_url=url, retry=policy, max_concurrency=max_concurrency) as ld,
    ):
        with pytest.raises(RateLimitedError):  # the route is spent for the window
            await ld.with_options(retry=RetryPolicy.disabled()).get_segment("p", "e", "s")
        held = [asyncio.ensure_future(ld.get_segment("p", "e", "s")) for _ in range(4)]
        await asyncio.sleep(0)  # one turn of the loop: each call reaches the governor
        assert ld._transport.governor._waiting == 4  # all four wait for the route's window
        listed = await asyncio.wait_for(ld.get_segments("p", "e"), 2)
        for call in held:
            call.cancel()
        await asyncio.gather(*held, return_exceptions=True)
    assert listed.total_count == 0


async def test_a_retry_after_beyond_the_policy_fails_the_call_without_holding_the_client() -> None:
    app = _routes_app({"Retry-After": "99999999999999"})
    async with serving(app) as url, SegmentsClient(API_KEY, base_url=url) as ld:
        with pytest.raises(LaunchDarklyError):
            await ld.get_segment("p", "e", "s")
        listed = await asyncio.wait_for(ld.get_segments("p", "e"), 2)
    assert listed.total_count == 0


async def test_an_attempt_gets_all_the_time_its_call_has_left() -> None:
    """With 1.9 s left, a server answering in 1.5 s is waited for (not cut at 1 s)."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.json_response(segment_json("s"))

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", slow)
    policy = RetryPolicy(total_timeout=1.9, max_attempts=1)
    async with serving(app) as url, SegmentsClient(API_KEY, base_url=url, retry=policy) as ld:
        assert (await ld.get_segment("p", "e", "s")).key == "s"
