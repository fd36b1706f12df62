"""Rate-limit headers a server may garble, over real sockets: no value can raise, slow the
client for good or keep a concurrency slot; and slots come back whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from servers import segment_json, serving
from settings import API_KEY

from ld_segments_async import LaunchDarklyError, RetryPolicy, SegmentsClient
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
