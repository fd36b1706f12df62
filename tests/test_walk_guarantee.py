"""The walk's guarantee, as a property: whatever is created or deleted between the pages
of a walk, every segment present throughout is yielded exactly once, none twice, in a
bounded number of requests. Real sockets: the fake changes its listing between list
requests (``Churn``)."""

from __future__ import annotations

import asyncio
import math
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import DecodeError, SegmentsClient
from ld_segments_async.testing import Churn, FakeLaunchDarkly

LIST = "GET /api/v2/segments/{projectKey}/{environmentKey}"
SORTS = [None, "name", "-name", "creationDate", "-creationDate", "lastModified"]


def request_bound(segments: int, page_size: int, concurrency: int, changes: int) -> int:
    """The bound the walk documents (``ld_segments_async.pagination``): a change can
    also cost the pages in flight."""
    return math.ceil(segments / (page_size - 1)) + 2 + (2 + concurrency) * changes


async def walk(
    segments: int, page_size: int, sort: str | None, concurrency: int, churn: Churn
) -> tuple[list[str], set[str], int]:
    fake = FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: [ENV]}, record=False)
    for n in range(segments):
        # Names in no particular order, so that created segments land among them.
        fake.add_segment(PROJECT, ENV, f"seg-{n}", name=f"{(n * 7919) % 1009:04d}", creationDate=n)
    initial = {f"seg-{n}" for n in range(segments)}
    fake.churn = churn
    async with fake, SegmentsClient(API_KEY, base_url=fake.url) as ld:
        found = [
            s.key
            async for s in ld.iter_segments(
                PROJECT, ENV, page_size=page_size, sort=sort, concurrency=concurrency
            )
        ]
    return found, initial - set(churn.deleted), fake.requests[LIST]


churns = st.builds(
    Churn,
    every=st.integers(1, 3),
    create=st.integers(0, 4),
    delete=st.integers(0, 4),
    times=st.integers(0, 12),
    pick=st.sampled_from(["random", "first", "last"]),
    seed=st.integers(0, 1000),
)


@pytest.mark.parametrize("concurrency", [1, 8])
@settings(
    max_examples=int(os.environ.get("WALK_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    segments=st.integers(0, 60),
    page_size=st.integers(2, 12),
    sort=st.sampled_from(SORTS),
    churn=churns,
)
@example(segments=100, page_size=10, sort="-creationDate", churn=Churn(create=30, times=1))
@example(segments=100, page_size=10, sort="-creationDate", churn=Churn(create=10, times=1))
@example(segments=50, page_size=5, sort="name", churn=Churn(delete=4, pick="first", times=8))
def test_segments_present_throughout_are_yielded_exactly_once(
    concurrency: int, segments: int, page_size: int, sort: str | None, churn: Churn
) -> None:
    outcome = asyncio.run(walk_or_error(segments, page_size, sort, concurrency, churn))

    if isinstance(outcome, DecodeError):
        # The documented limit: segments created at least as fast as the walk advances
        # (page_size - 1 a request) may land before it on every page; then it says so.
        assert churn.create >= (page_size - 1) * churn.every, outcome
        assert "changes faster than it can be walked" in str(outcome)
        return
    found, survivors, requests = outcome
    assert len(found) == len(set(found)), "a segment was yielded twice"
    assert survivors <= set(found), f"lost {sorted(survivors - set(found))}"
    assert set(found) <= survivors | set(churn.created) | set(churn.deleted)
    assert requests <= request_bound(segments, page_size, concurrency, churn.changes)


async def walk_or_error(
    segments: int, page_size: int, sort: str | None, concurrency: int, churn: Churn
) -> tuple[list[str], set[str], int] | DecodeError:
    try:
        return await walk(segments, page_size, sort, concurrency, churn)
    except DecodeError as error:
        return error
