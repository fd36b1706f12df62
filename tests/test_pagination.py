"""Walking segment lists: links, offsets, concurrency, early exits, repeats."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from servers import segment_json, serving
from settings import API_KEY, ENV, FAST_RETRY, PROJECT

from ld_segments_async import DecodeError, SegmentsClient, UserSegments
from ld_segments_async.filters import any_of, sort_by
from ld_segments_async.testing import FakeLaunchDarkly

LIST = "GET /api/v2/segments/{projectKey}/{environmentKey}"


def seed(fake: FakeLaunchDarkly, count: int) -> list[str]:
    keys = [f"seg-{n:04d}" for n in range(count)]
    for key in keys:
        fake.add_segment(PROJECT, ENV, key, name=key)
    return keys


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for ``condition`` by yielding to the loop (a condition, not a fixed sleep)."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - the fake exposes counters, not events
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


async def test_walks_every_segment_once_following_next_links(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    keys = seed(fake, 123)

    pages = [
        page async for page in client.iter_segment_pages(PROJECT, ENV, page_size=10, sort="name")
    ]

    assert all(isinstance(page, UserSegments) for page in pages)
    assert [len(page.items) for page in pages] == [10] * 12 + [3]
    assert [s.key for page in pages for s in page.items] == keys
    assert fake.requests[LIST] == 13
    assert fake.exchanges[-1].query["offset"] == "120"


async def test_iter_segments_yields_segments(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    keys = seed(fake, 7)
    assert [
        s.key async for s in client.iter_segments(PROJECT, ENV, page_size=3, sort="name")
    ] == keys


async def test_default_page_size_is_50(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    seed(fake, 60)
    assert len([s async for s in client.iter_segments(PROJECT, ENV)]) == 60
    assert fake.exchanges[0].query["limit"] == "50"


async def test_filter_and_sort_are_kept_on_every_page(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    for n in range(9):
        fake.add_segment(PROJECT, ENV, f"s{n}", tags=["even"] if n % 2 == 0 else [])

    found = [
        s.key
        async for s in client.iter_segments(
            PROJECT, ENV, page_size=2, filter=any_of("tags", ["even"]), sort=sort_by("-name")
        )
    ]

    assert found == ["s8", "s6", "s4", "s2", "s0"]
    assert {e.query["filter"] for e in fake.exchanges} == {'tags anyOf ["even"]'}


async def test_a_server_that_clamps_the_page_size(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    keys = seed(fake, 25)
    fake.max_page_size = 7
    found = [s.key async for s in client.iter_segments(PROJECT, ENV, page_size=10, sort="name")]
    assert found == keys


async def test_empty_environment(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    assert [s async for s in client.iter_segments(PROJECT, ENV)] == []
    assert fake.requests[LIST] == 1


@pytest.mark.parametrize("concurrency", [2, 8])
async def test_concurrent_prefetch_yields_in_order(
    client: SegmentsClient, fake: FakeLaunchDarkly, concurrency: int
) -> None:
    keys = seed(fake, 205)
    fake.latency = 0.01

    found = [
        s.key
        async for s in client.iter_segments(
            PROJECT, ENV, page_size=10, sort="name", concurrency=concurrency
        )
    ]

    assert found == keys
    assert fake.requests[LIST] == 21
    assert 1 < fake.max_in_flight <= concurrency


async def test_breaking_out_releases_the_connection(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    seed(fake, 100)
    walk = client.iter_segments(PROJECT, ENV, page_size=10, concurrency=4)
    async with contextlib.aclosing(walk):  # type: ignore[type-var]
        async for segment in walk:
            if segment.key == "seg-0015":
                break

    await until(lambda: fake.in_flight == 0)
    requests_after_break = fake.requests[LIST]
    assert await client.get_segment(PROJECT, ENV, "seg-0099")
    assert fake.requests[LIST] == requests_after_break  # nothing kept fetching


async def test_cancelling_a_walk_releases_every_connection(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    seed(fake, 200)
    fake.latency = 0.05
    first_page = asyncio.Event()

    async def walk() -> None:
        async for _ in client.iter_segments(PROJECT, ENV, page_size=10, concurrency=8):
            first_page.set()

    task = asyncio.ensure_future(walk())
    await first_page.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await until(lambda: fake.in_flight == 0)
    fake.latency = 0
    page = await client.get_segments(PROJECT, ENV, limit=1)
    assert page.total_count == 200


async def test_segments_created_mid_walk_do_not_repeat_keys(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    keys = seed(fake, 30)
    found: list[str] = []
    async for segment in client.iter_segments(PROJECT, ENV, page_size=5, sort="name"):
        found.append(segment.key)
        if len(found) == 5:
            # Sorts first: every later offset page shifts by one.
            fake.add_segment(PROJECT, ENV, "aaa-new", name="aaa-new")

    assert len(found) == len(set(found))
    assert set(keys) <= set(found)


def test_bad_walk_arguments_fail_at_call_time(client: SegmentsClient) -> None:
    with pytest.raises(ValueError, match="limit"):
        client.iter_segments(PROJECT, ENV, page_size=0)
    with pytest.raises(ValueError, match="concurrency"):
        client.iter_segment_pages(PROJECT, ENV, concurrency=0)
    with pytest.raises(ValueError, match="project_key"):
        client.iter_segments("", ENV)


# -- servers that misbehave ----------------------------------------------------------


@contextlib.asynccontextmanager
async def serve(handler: Callable[[web.Request], Any]) -> AsyncIterator[SegmentsClient]:
    app = web.Application()
    app.router.add_get("/api/v2/segments/{project}/{env}", handler)
    async with serving(app) as url, SegmentsClient(API_KEY, base_url=url, retry=FAST_RETRY) as ld:
        yield ld


@pytest.mark.parametrize(
    ("page_size", "server_limit"),
    [(5, 1000), (10, 4)],
    ids=["as-asked", "clamped-by-the-server"],
)
async def test_without_totals_or_links_the_walk_advances_by_offset(
    page_size: int, server_limit: int
) -> None:
    keys = [f"k{n}" for n in range(23)]

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query["offset"])
        limit = min(int(request.query["limit"]), server_limit)
        items = [segment_json(k) for k in keys[offset : offset + limit]]
        return web.json_response({"items": items, "_links": {}})

    async with serve(handler) as ld:
        found = [s.key async for s in ld.iter_segments(PROJECT, ENV, page_size=page_size)]
    assert found == keys


async def test_a_repeated_page_fails_loudly() -> None:
    async def handler(request: web.Request) -> web.Response:
        links = {
            "next": {"href": "/api/v2/segments/p/e?limit=2&offset=2", "type": "application/json"}
        }
        return web.json_response({"items": [segment_json("a"), segment_json("b")], "_links": links})

    async with serve(handler) as ld:
        with pytest.raises(DecodeError, match=r"already fetched|same page"):
            [s async for s in ld.iter_segments(PROJECT, ENV, page_size=2)]


async def test_a_next_link_to_another_host_is_not_followed() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.query_string)
        offset = int(request.query["offset"])
        links = {
            "next": {"href": "https://evil.example/steal?offset=2", "type": "application/json"}
        }
        items = [segment_json(f"k{offset}"), segment_json(f"k{offset + 1}")] if offset < 4 else []
        return web.json_response({"items": items, "_links": links, "totalCount": 4})

    async with serve(handler) as ld:
        found = [s.key async for s in ld.iter_segments(PROJECT, ENV, page_size=2)]
    assert found == ["k0", "k1", "k2", "k3"]
    assert all("steal" not in query for query in seen)


async def test_a_next_link_past_the_end_does_not_loop() -> None:
    """totalCount decides: a server that always sends next still ends the walk."""
    keys = [f"k{n}" for n in range(7)]
    requests: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        requests.append(offset)
        items = [segment_json(k) for k in keys[offset : offset + limit]]
        following = f"/api/v2/segments/p/e?limit={limit}&offset={offset + limit}"
        links = {"next": {"href": following, "type": "application/json"}}
        return web.json_response({"items": items, "_links": links, "totalCount": len(keys)})

    async with serve(handler) as ld:
        found = [s.key async for s in ld.iter_segments(PROJECT, ENV, page_size=3)]
    assert found == keys
    assert requests == [0, 3, 6]


async def test_total_count_wins_over_a_missing_next_link() -> None:
    keys = [f"k{n}" for n in range(12)]

    async def handler(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        items = [segment_json(k) for k in keys[offset : offset + limit]]
        links = {"self": {"href": "/x"}, "last": {"href": "/x?offset=10"}}
        return web.json_response({"items": items, "_links": links, "totalCount": len(keys)})

    async with serve(handler) as ld:
        found = [s.key async for s in ld.iter_segments(PROJECT, ENV, page_size=5)]
    assert found == keys


async def test_pages_keep_the_callers_filter_whatever_the_link_says() -> None:
    queries: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        queries.append(dict(request.query))
        offset = int(request.query["offset"])
        items = [segment_json(f"k{offset}"), segment_json(f"k{offset + 1}")] if offset < 4 else []
        links = {"next": {"href": f"/api/v2/segments/p/e?offset={offset + 2}", "type": "x"}}
        return web.json_response({"items": items, "_links": links})

    async with serve(handler) as ld:
        found = [
            s.key
            async for s in ld.iter_segments(PROJECT, ENV, page_size=2, filter='tags anyOf ["a"]')
        ]
    assert found == ["k0", "k1", "k2", "k3"]
    assert all(q["filter"] == 'tags anyOf ["a"]' and q["limit"] == "2" for q in queries)
