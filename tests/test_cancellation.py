"""Cancellation at random points of every kind of call.

After each cancellation: no connection is held, no task is left behind, no
half-written download remains, and the same client keeps working. ``asyncio.wait_for``
(and ``asyncio.timeout`` on 3.11+) around a call cancels it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import RetryPolicy, SegmentsClient, Timeout
from ld_segments_async.jobs import PollSchedule
from ld_segments_async.testing import FakeLaunchDarkly, Fault

ROUNDS = 6
LATENCY = 0.08
SLOW_POLL = PollSchedule(first=0.05, cap=0.05)


@pytest.fixture
async def slow(fake: FakeLaunchDarkly) -> AsyncIterator[SegmentsClient]:
    fake.add_segment(PROJECT, ENV, "s")
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, unboundedContextKind="user")
    fake.add_segment(
        PROJECT, ENV, "exported", unbounded=True, included=[f"k{n}" for n in range(50_000)]
    )
    for n in range(60):
        fake.add_segment(PROJECT, ENV, f"page-{n:02d}")
    policy = RetryPolicy(base_delay=0.3, max_delay=0.3, total_timeout=30)
    async with SegmentsClient(
        API_KEY, base_url=fake.url, retry=policy, timeout=Timeout(read=5)
    ) as ld:
        await ld.get_segments(PROJECT, ENV)  # the rate-limit budget is known
        fake.latency = LATENCY
        yield ld


async def settle(
    client: SegmentsClient, fake: FakeLaunchDarkly, tasks_before: set[asyncio.Task[object]]
) -> None:
    """Everything a cancelled call held is given back; the client still works."""
    leftovers = asyncio.all_tasks() - tasks_before
    if leftovers:  # the fake's handlers finish their latency, then end
        await asyncio.wait(leftovers, timeout=5)
    assert [task for task in leftovers if not task.done()] == []
    session = client._transport._session
    assert session is not None
    assert not session.connector._acquired  # type: ignore[union-attr]
    assert fake.in_flight == 0
    fake.latency = 0
    assert (await client.get_segment(PROJECT, ENV, "s")).key == "s"
    fake.latency = LATENCY


async def cancel_at_random(
    operation: Callable[[], Awaitable[object]],
    client: SegmentsClient,
    fake: FakeLaunchDarkly,
    longest: float,
    seed: int,
) -> None:
    chance = random.Random(seed)  # reproducible cancellation points
    for _ in range(ROUNDS):
        before = asyncio.all_tasks()
        task = asyncio.ensure_future(operation())
        await asyncio.sleep(chance.uniform(0, longest))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await settle(client, fake, before)


async def test_cancel_mid_request(slow: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    await cancel_at_random(lambda: slow.get_segment(PROJECT, ENV, "s"), slow, fake, LATENCY, 1)


async def test_cancel_mid_write(slow: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    from ld_segments_async import instructions as ins

    tags = iter(range(1000))

    async def patch() -> object:
        return await slow.patch_segment(
            PROJECT, ENV, "s", [ins.add_tags(values=[f"t{next(tags)}"])]
        )

    await cancel_at_random(patch, slow, fake, LATENCY, 2)


async def test_cancel_mid_retry_wait(slow: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    async def failing_read() -> object:
        fake.inject(
            Fault.status(503),
            route="GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}",
        )
        return await slow.get_segment(PROJECT, ENV, "s")

    # 80 ms for the 503, then a wait of up to 300 ms: most cancellations land in the wait.
    await cancel_at_random(failing_read, slow, fake, 0.3, 3)


async def test_cancel_mid_page_walk(slow: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    async def walk() -> object:
        return [s async for s in slow.iter_segments(PROJECT, ENV, page_size=10, concurrency=3)]

    await cancel_at_random(walk, slow, fake, 4 * LATENCY, 4)


async def test_cancel_mid_poll(slow: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.job_polls_per_status = 1000
    export_id = await slow.create_big_segment_export(PROJECT, ENV, "exported")

    async def wait() -> object:
        return await slow.wait_for_big_segment_export(
            PROJECT, ENV, "exported", export_id, poll=SLOW_POLL
        )

    await cancel_at_random(wait, slow, fake, 0.3, 5)


async def test_cancel_mid_upload(
    slow: SegmentsClient, fake: FakeLaunchDarkly, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where spooled uploads go
    keys = [f"user-{n:07d}" for n in range(300_000)]  # spills the spool to disk
    # An upload that got through starts an import, and an environment runs one at a time.
    environments = iter(f"upload-{n}" for n in range(ROUNDS))
    for n in range(ROUNDS):
        fake.add_environment(PROJECT, f"upload-{n}")
        fake.add_segment(PROJECT, f"upload-{n}", "big", unbounded=True)

    async def upload() -> object:
        return await slow.create_big_segment_import(PROJECT, next(environments), "big", keys)

    await cancel_at_random(upload, slow, fake, 0.6, 6)
    assert list(tmp_path.iterdir()) == []  # no spool file left behind


async def test_cancel_mid_download(
    slow: SegmentsClient, fake: FakeLaunchDarkly, tmp_path: Path
) -> None:
    fake.latency = 0
    export_id = await slow.create_big_segment_export(PROJECT, ENV, "exported")
    export = await slow.wait_for_big_segment_export(
        PROJECT, ENV, "exported", export_id, poll=SLOW_POLL
    )
    fake.latency = LATENCY
    target = tmp_path / "keys.csv"

    async def download() -> object:
        return await slow.download_big_segment_export(export, target)

    await cancel_at_random(download, slow, fake, 2 * LATENCY, 7)
    # Either a complete file or nothing: never a partial file, never a leftover .part.
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert leftovers == []
    if target.exists():
        assert len(target.read_text().split()) == 50_000


async def test_deadline_wrappers_cancel_like_cancel(
    slow: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    before = asyncio.all_tasks()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(slow.get_segment(PROJECT, ENV, "s"), LATENCY / 2)
    await settle(slow, fake, before)
    if sys.version_info >= (3, 11):  # asyncio.timeout is new in 3.11
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(LATENCY / 2):
                await slow.iter_segments(PROJECT, ENV, page_size=5).__anext__()
        await settle(slow, fake, before)
