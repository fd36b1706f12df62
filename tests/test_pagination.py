"""Walking segment lists: overlapping pages, listings that change mid-walk, links,
concurrency, early exits, servers that contradict themselves."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from servers import segment_json, serving
from settings import API_KEY, ENV, FAST_RETRY, PROJECT

from ld_segments_async import DecodeError, SegmentsClient, UserSegments
from ld_segments_async.filters import any_of, sort_by
from ld_segments_async.testing import Churn, FakeLaunchDarkly

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


def unchanged_cost(segments: int, page_size: int) -> int:
    """Requests a walk of an unchanging listing makes: pages overlap by one segment."""
    return 1 + max(0, math.ceil((segments - page_size) / (page_size - 1)))


async def test_walks_every_segment_once_with_pages_overlapping_by_one(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    keys = seed(fake, 123)

    pages = [
        page async for page in client.iter_segment_pages(PROJECT, ENV, page_size=10, sort="name")
    ]

    assert all(isinstance(page, UserSegments) for page in pages)
    # Each page holds what is new to the walk: the first ten, then nine at a time.
    assert [len(page.items) for page in pages] == [10] + [9] * 12 + [5]
    assert [s.key for page in pages for s in page.items] == keys
    assert fake.requests[LIST] == 14 == unchanged_cost(123, 10)
    assert [e.query["offset"] for e in fake.exchanges] == [str(9 * n) for n in range(14)]
    assert {e.query["limit"] for e in fake.exchanges} == {"10"}


@pytest.mark.parametrize("segments", [0, 1, 9, 10, 11, 19, 20, 100])
async def test_an_unchanging_listing_costs_one_request_per_page_size_minus_one(
    client: SegmentsClient, fake: FakeLaunchDarkly, segments: int
) -> None:
    keys = seed(fake, segments)
    assert [s.key async for s in client.iter_segments(PROJECT, ENV, page_size=10)] == keys
    assert fake.requests[LIST] == unchanged_cost(segments, 10)


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
    assert fake.requests[LIST] == unchanged_cost(205, 10) == 23
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


@pytest.mark.parametrize("created", [10, 20, 30])
@pytest.mark.parametrize("concurrency", [1, 8])
async def test_segments_created_before_the_walks_position_lose_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, created: int, concurrency: int
) -> None:
    """Newest first, new segments land before the walk and push every other one back."""
    for n in range(100):
        fake.add_segment(PROJECT, ENV, f"seg-{n:04d}", creationDate=1000 + n)
    fake.churn = Churn(create=created, times=1)  # right after the first page

    found = [
        s.key
        async for s in client.iter_segments(
            PROJECT, ENV, page_size=10, sort="-creationDate", concurrency=concurrency
        )
    ]

    assert len(found) == len(set(found))
    assert {f"seg-{n:04d}" for n in range(100)} <= set(found)
    assert fake.requests[LIST] <= unchanged_cost(100 + created, 10) + concurrency + 2


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_caller_deleting_what_it_walks_loses_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, concurrency: int
) -> None:
    """Each deletion shifts every later segment back across the page boundary."""
    keys = seed(fake, 60)
    found = []
    async for segment in client.iter_segments(
        PROJECT, ENV, page_size=10, sort="name", concurrency=concurrency
    ):
        found.append(segment.key)
        await client.delete_segment(PROJECT, ENV, segment.key)

    assert found == keys
    if concurrency == 1:  # the walk expects the same deletions again: no extra request
        assert fake.requests[LIST] == unchanged_cost(60, 10)


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_segments_deleted_by_others_mid_walk_lose_no_other(
    client: SegmentsClient, fake: FakeLaunchDarkly, concurrency: int
) -> None:
    keys = seed(fake, 80)
    fake.churn = Churn(delete=3, every=2, seed=3)

    found = [
        s.key
        async for s in client.iter_segments(
            PROJECT, ENV, page_size=10, sort="name", concurrency=concurrency
        )
    ]

    assert len(found) == len(set(found))
    assert set(keys) - set(fake.churn.deleted) <= set(found) <= set(keys)


async def test_a_segment_modified_after_it_was_yielded_is_not_yielded_again(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    """Under sort=lastModified a change moves a segment to the end of the listing."""
    keys = seed(fake, 40)
    found = []
    async for segment in client.iter_segments(PROJECT, ENV, page_size=10, sort="lastModified"):
        found.append(segment.key)
        await client.patch_segment(PROJECT, ENV, segment.key, {"description": "seen"})

    assert sorted(found) == keys


def test_bad_walk_arguments_fail_at_call_time(client: SegmentsClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        client.iter_segments(PROJECT, ENV, page_size=0)
    with pytest.raises(ValueError, match="at least 2"):
        client.iter_segments(PROJECT, ENV, page_size=1)
    with pytest.raises(ValueError, match="page_size"):
        client.iter_environments(PROJECT, page_size=1)
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
        with pytest.raises(DecodeError, match="brought nothing new"):
            [s async for s in ld.iter_segments(PROJECT, ENV, page_size=2)]


async def test_a_next_link_to_another_host_is_not_followed() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.query_string)
        offset = int(request.query["offset"])
        links = {
            "next": {"href": "https://evil.example/steal?offset=2", "type": "application/json"}
        }
        items = [segment_json(f"k{n}") for n in range(offset, min(offset + 2, 4))]
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
    assert requests == [0, 2, 4]


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
        items = [segment_json(f"k{n}") for n in range(offset, min(offset + 2, 4))]
        links = {"next": {"href": f"/api/v2/segments/p/e?offset={offset + 2}", "type": "x"}}
        return web.json_response({"items": items, "_links": links})

    async with serve(handler) as ld:
        found = [
            s.key
            async for s in ld.iter_segments(PROJECT, ENV, page_size=2, filter='tags anyOf ["a"]')
        ]
    assert found == ["k0", "k1", "k2", "k3"]
    assert all(q["filter"] == 'tags anyOf ["a"]' and q["limit"] == "2" for q in queries)


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_server_ignoring_the_offset_fails_loudly_whatever_total_it_claims(
    concurrency: int,
) -> None:
    requests = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal requests
        requests += 1
        items = [segment_json(f"k{n}") for n in range(5)]
        return web.json_response({"items": items, "_links": {}, "totalCount": 1000})

    async with serve(handler) as ld:
        with pytest.raises(DecodeError, match="contradict"):
            [s async for s in ld.iter_segments(PROJECT, ENV, page_size=5, concurrency=concurrency)]
    assert requests <= 10 + concurrency


async def test_a_key_repeated_inside_one_page_is_yielded_once() -> None:
    keys = ["a", "b", "b", "c", "d"]  # as in the spec's own example page

    async def handler(request: web.Request) -> web.Response:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        items = [segment_json(k) for k in keys[offset : offset + limit]]
        return web.json_response({"items": items, "_links": {}, "totalCount": len(keys)})

    async with serve(handler) as ld:
        found = [s.key async for s in ld.iter_segments(PROJECT, ENV, page_size=3)]
    assert found == ["a", "b", "c", "d"]


@pytest.mark.parametrize("concurrency", [1, 2, 8])
@pytest.mark.parametrize(
    ("claimed", "segments"),
    [(lambda request: 1000 * request, 100), (lambda request: 500, 35)],
    ids=["growing-on-every-page", "too-large"],
)
async def test_a_walk_ends_where_the_listing_does_whatever_total_count_claims(
    concurrency: int, claimed: Callable[[int], int], segments: int
) -> None:
    """A concurrent walk plans from each page answered, not from the first totalCount."""
    keys = [f"k{n:03d}" for n in range(segments)]
    requests = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal requests
        requests += 1
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        items = [segment_json(k) for k in keys[offset : offset + limit]]
        total = claimed(requests)
        return web.json_response({"items": items, "_links": {}, "totalCount": total})

    async with serve(handler) as ld:
        found = [
            s.key
            async for s in ld.iter_segments(PROJECT, ENV, page_size=10, concurrency=concurrency)
        ]
    assert found == keys
    assert requests <= unchanged_cost(segments, 10) + concurrency


async def test_environments_walk_keeps_the_guarantee_while_environments_change(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    for n in range(30):
        fake.add_environment(PROJECT, f"env-{n:02d}")
    fake.churn = Churn(create=2, delete=2, pick="first", seed=1)

    found = [env.key async for env in client.iter_environments(PROJECT, page_size=5)]

    initial = {ENV, "staging"} | {f"env-{n:02d}" for n in range(30)}
    assert len(found) == len(set(found))
    assert initial - set(fake.churn.deleted) <= set(found)


async def test_a_server_serving_one_item_per_page_fails_loudly() -> None:
    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query["offset"])
        items = [segment_json(f"k{offset}")] if offset < 5 else []
        return web.json_response({"items": items, "_links": {}, "totalCount": 5})

    async with serve(handler) as ld:
        with pytest.raises(DecodeError, match="one item per page"):
            [s async for s in ld.iter_segments(PROJECT, ENV, page_size=10)]
