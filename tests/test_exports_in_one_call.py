"""``export_big_segment`` (create + wait + download) and ``iter_big_segment_keys``
(create + wait + stream): one call each, checked before anything is sent, lazy, and
closed cleanly wherever they stop."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from settings import ENV, PROJECT

from ld_segments_async import Export, JobFailedError, JobTimeoutError, SegmentsClient
from ld_segments_async.testing import FakeLaunchDarkly

FAST = 0.001
MEMBERS = {f"k{n}" for n in range(250)} | {"a,b", 'q"uote'}


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> str:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, included=sorted(MEMBERS))
    return "big"


def read_keys(path: Path) -> set[str]:
    import csv

    with path.open(newline="") as handle:
        return {row[0] for row in csv.reader(handle)}


async def test_export_big_segment_creates_waits_and_downloads(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path
) -> None:
    seen: list[Export] = []
    path = await client.export_big_segment(
        PROJECT, ENV, big, str(tmp_path / "customers.csv"), on_progress=seen.append, poll=FAST
    )
    assert path == tmp_path / "customers.csv" and isinstance(path, Path)
    assert read_keys(path) == MEMBERS
    assert [p.name for p in tmp_path.iterdir()] == ["customers.csv"]
    assert seen and seen[-1].status == "complete"
    posts = [e for e in fake.exchanges if e.method == "POST"]
    assert len(posts) == 1 and posts[0].path.endswith("/big/exports")


async def test_a_missing_folder_fails_before_the_export_is_created(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="no folder") as caught:
        await client.export_big_segment(PROJECT, ENV, big, tmp_path / "gone" / "keys.csv")
    assert ".part" not in str(caught.value)
    assert fake.exchanges == []


async def test_a_failed_or_slow_export_says_so_and_writes_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path
) -> None:
    fake.export_outcome = "stopped"
    with pytest.raises(JobFailedError):
        await client.export_big_segment(PROJECT, ENV, big, tmp_path / "a.csv", poll=FAST)
    fake.export_outcome = "complete"
    fake.job_polls_per_status = 10**6
    with pytest.raises(JobTimeoutError) as caught:
        await client.export_big_segment(
            PROJECT, ENV, big, tmp_path / "b.csv", timeout=0.05, poll=FAST
        )
    assert caught.value.job_id  # to wait for it again
    assert list(tmp_path.iterdir()) == []


async def test_iter_big_segment_keys_streams_every_key(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    keys = [key async for key in client.iter_big_segment_keys(PROJECT, ENV, big, poll=FAST)]
    assert set(keys) == MEMBERS and len(keys) == len(MEMBERS)


async def test_iter_big_segment_keys_sends_nothing_until_iterated(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    keys = client.iter_big_segment_keys(PROJECT, ENV, big, poll=FAST)
    assert fake.exchanges == []
    await keys.aclose()  # closed before it started: still nothing
    assert fake.exchanges == []
    with pytest.raises(StopAsyncIteration):
        await keys.__anext__()


async def test_leaving_the_keys_early_closes_the_download(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    async with contextlib.aclosing(
        client.iter_big_segment_keys(PROJECT, ENV, big, poll=FAST)
    ) as keys:
        first = []
        async for key in keys:
            first.append(key)
            if len(first) == 3:
                break
    assert len(first) == 3
    # the connection went back to the pool: the client goes on
    assert (await client.get_segment(PROJECT, ENV, big)).key == big


async def test_the_keys_of_one_environment_import_into_another(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.add_segment(PROJECT, "staging", big, unbounded=True)
    keys = client.iter_big_segment_keys(PROJECT, ENV, big, poll=FAST)
    job = await client.import_big_segment(PROJECT, "staging", big, keys, "replace", poll=FAST)
    assert job.status == "complete"
    assert fake.big_segment_members(PROJECT, "staging", big) == MEMBERS
