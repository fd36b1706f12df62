"""``Churn``: the fake changes a listing between list requests, as other people would."""

from __future__ import annotations

import pytest
from raw_api import Api

from ld_segments_async.testing import Churn, FakeLaunchDarkly

SEGMENTS = "/api/v2/segments/default/production"
ENVIRONMENTS = "/api/v2/projects/default/environments"


def seed(fake: FakeLaunchDarkly, count: int) -> list[str]:
    keys = [f"s{n}" for n in range(count)]
    for key in keys:
        fake.add_segment("default", "production", key)
    return keys


async def listed(api: Api, path: str = SEGMENTS) -> tuple[list[str], int]:
    answer = await api.get(f"{path}?limit=100")
    assert answer.status == 200
    return [item["key"] for item in answer.json["items"]], answer.json["totalCount"]


async def test_changes_come_before_every_nth_list_request_after_the_first(
    fake: FakeLaunchDarkly, api: Api
) -> None:
    seed(fake, 5)
    fake.churn = Churn(every=2, create=1, delete=1, pick="first")

    counts = [len((await listed(api))[0]) for _ in range(5)]
    keys, total = await listed(api)

    assert counts == [5, 5, 5, 5, 5]  # one created and one deleted each time: same size
    assert fake.churn.list_requests == 6
    assert fake.churn.deleted == ["s0", "s1"]  # before requests 3 and 5
    assert fake.churn.created == ["churn-0", "churn-1"]
    assert keys[:3] == ["s2", "s3", "s4"] and total == 5
    assert fake.churn.changes == 4


async def test_other_requests_do_not_count(fake: FakeLaunchDarkly, api: Api) -> None:
    seed(fake, 3)
    fake.churn = Churn(delete=1)
    for _ in range(3):
        assert (await api.get(f"{SEGMENTS}/s0")).status == 200
    assert fake.churn.list_requests == 0
    await listed(api)
    await listed(api)
    assert len(fake.churn.deleted) == 1


@pytest.mark.parametrize(("pick", "gone"), [("first", ["s0", "s1"]), ("last", ["s8", "s9"])])
async def test_deletions_pick_the_first_or_last_created(
    fake: FakeLaunchDarkly, api: Api, pick: str, gone: list[str]
) -> None:
    keys = seed(fake, 10)
    fake.churn = Churn(delete=2, pick=pick, times=1)
    await listed(api)
    after, total = await listed(api)
    assert fake.churn.deleted == gone
    assert after == [key for key in keys if key not in gone] and total == 8
    assert (await listed(api))[1] == 8  # times=1: no more changes


async def test_created_segments_are_real_segments_created_now(
    fake: FakeLaunchDarkly, api: Api
) -> None:
    fake.add_segment("default", "production", "old", creationDate=1)
    fake.churn = Churn(create=3, seed=7)
    await listed(api)
    newest_first = (await api.get(f"{SEGMENTS}?sort=-creationDate")).json["items"]
    assert [item["key"] for item in newest_first][-1] == "old"
    assert {item["key"] for item in newest_first[:3]} == {"churn-0", "churn-1", "churn-2"}
    names = [item["name"] for item in newest_first[:3]]
    assert len(set(names)) == 3  # random names: they land anywhere under sort=name
    assert (await api.get(f"{SEGMENTS}/churn-0")).status == 200


async def test_environment_listings_churn_too(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.churn = Churn(create=1, delete=1, pick="first")
    before, _ = await listed(api, ENVIRONMENTS)
    after, total = await listed(api, ENVIRONMENTS)
    assert before == ["production", "test"]
    assert after == ["test", "churn-0"] and total == 2


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="every"):
        Churn(every=0)
    with pytest.raises(ValueError, match="pick"):
        Churn(pick="middle")
