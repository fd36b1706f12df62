"""Environments and fan-out: one outcome per item, in order, failures isolated,
cancellation clean."""

from __future__ import annotations

import asyncio

import pytest
from settings import ENV, PROJECT

from ld_segments_async import Environment, NotFoundError, SegmentsClient, fan_out
from ld_segments_async.testing import FakeLaunchDarkly

ENVIRONMENTS = "GET /api/v2/projects/{projectKey}/environments"


async def test_iter_environments_walks_every_page(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    for n in range(7):
        fake.add_environment(PROJECT, f"env-{n}", tags=["eu"] if n % 2 else [])

    found = [env async for env in client.iter_environments(PROJECT, page_size=3)]

    assert all(isinstance(env, Environment) for env in found)
    assert {env.key for env in found} == {ENV, "staging"} | {f"env-{n}" for n in range(7)}
    assert fake.requests[ENVIRONMENTS] == 4  # 3, then 2 new a page: pages overlap by one
    assert found[0].api_key.startswith("sdk-")
    assert "sdk-" not in repr(found[0])  # SDK keys stay out of reprs and logs


async def test_iter_environments_filter_and_sort(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_environment(PROJECT, "eu-1", tags=["eu"])
    fake.add_environment(PROJECT, "eu-2", tags=["eu"])
    found = [e.key async for e in client.iter_environments(PROJECT, filter="tags:eu", sort="-name")]
    assert found == ["eu-2", "eu-1"]


async def test_outcomes_come_back_in_input_order(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    envs = [f"env-{n}" for n in range(12)]
    for env in envs:
        fake.add_environment(PROJECT, env)
        fake.add_segment(PROJECT, env, "beta", name=f"beta in {env}")
    fake.latency = 0.005

    results = await fan_out(
        envs, lambda env: client.get_segment(PROJECT, env, "beta"), concurrency=4
    )

    assert [r.name for r in results] == [f"beta in {env}" for env in envs]  # type: ignore[union-attr]
    assert fake.max_in_flight <= 4


async def test_a_failure_stays_with_its_item(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "beta")
    envs = [ENV, "staging", ENV]

    results = await fan_out(envs, lambda env: client.get_segment(PROJECT, env, "beta"))

    assert results[0].key == "beta"  # type: ignore[union-attr]
    assert isinstance(results[1], NotFoundError)
    assert results[2].key == "beta"  # type: ignore[union-attr]


async def test_progress_is_reported_for_every_item(client: SegmentsClient) -> None:
    seen: list[tuple[int, int]] = []

    async def work(n: int) -> int:
        await asyncio.sleep(0)
        return n * n

    results = await fan_out(
        range(5), work, concurrency=2, on_progress=lambda d, t: seen.append((d, t))
    )

    assert results == [0, 1, 4, 9, 16]
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


async def test_cancelling_a_fan_out_cancels_every_call(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "beta")
    fake.latency = 0.5
    started = asyncio.Event()
    finished: list[int] = []

    async def call(n: int) -> None:
        started.set()
        await client.get_segment(PROJECT, ENV, "beta")
        finished.append(n)

    before = asyncio.all_tasks()
    task = asyncio.ensure_future(fan_out(range(50), call, concurrency=8))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert finished == []
    assert asyncio.all_tasks() - before == set()  # no task left behind
    fake.latency = 0
    assert (await client.get_segment(PROJECT, ENV, "beta")).key == "beta"


async def test_empty_input_and_bad_concurrency() -> None:
    async def never(item: object) -> None:
        raise AssertionError("not called")

    assert await fan_out([], never) == []
    with pytest.raises(ValueError, match="concurrency"):
        await fan_out([1], never, concurrency=0)
