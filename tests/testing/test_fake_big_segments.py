"""Big-segment member updates (``/contexts``, ``/users``) and membership look-ups."""

from __future__ import annotations

from typing import Any

import pytest
from raw_api import SEGMENTS, Api, enc

from ld_segments_async.testing import FakeLaunchDarkly

BIG = f"{SEGMENTS}/big"


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> FakeLaunchDarkly:
    fake.add_segment("default", "production", "big", unbounded=True, included=["a"], excluded=["x"])
    fake.add_segment("default", "production", "small", included=["a"])
    return fake


@pytest.mark.parametrize("route", ["contexts", "users"])
async def test_update_targets(big: FakeLaunchDarkly, api: Api, route: str) -> None:
    state = {"included": {"add": ["b", "c"], "remove": ["a"]}, "excluded": {"remove": ["x"]}}
    answer = await api.post(f"{BIG}/{route}", state)
    assert answer.status == 204
    assert answer.body == b""
    assert big.big_segment_members("default", "production", "big") == {"b", "c"}
    assert big.big_segment_members("default", "production", "big", "excluded") == set()
    assert big.side_effects["update_big_segment_targets"] == 1


async def test_no_op_update_is_not_a_side_effect(big: FakeLaunchDarkly, api: Api) -> None:
    answer = await api.post(f"{BIG}/contexts", {"included": {"add": ["a"]}})
    assert answer.status == 204
    assert not big.side_effects


@pytest.mark.parametrize(
    "state",
    [
        {"included": {"add": ["x"]}},
        {"included": {"add": ["n"]}, "excluded": {"add": ["n"]}},
        {"included": "a"},
        {"included": {"add": "a"}},
        {"included": {"add": [""]}},
        ["a"],
    ],
)
async def test_invalid_updates_are_400(big: FakeLaunchDarkly, api: Api, state: Any) -> None:
    answer = await api.post(f"{BIG}/contexts", state)
    assert answer.status == 400
    assert big.big_segment_members("default", "production", "big") == {"a"}


async def test_standard_segments_refuse_member_routes(big: FakeLaunchDarkly, api: Api) -> None:
    update = await api.post(f"{SEGMENTS}/small/contexts", {"included": {"add": ["z"]}})
    lookup = await api.get(f"{SEGMENTS}/small/contexts/a")
    assert (update.status, lookup.status) == (400, 400)


@pytest.mark.parametrize("route", ["contexts", "users"])
@pytest.mark.parametrize(
    ("key", "included", "excluded"), [("a", True, False), ("x", False, True), ("n/a", False, False)]
)
async def test_membership(
    big: FakeLaunchDarkly, api: Api, route: str, key: str, included: bool, excluded: bool
) -> None:
    answer = await api.get(f"{BIG}/{route}/{enc(key)}")
    assert answer.status == 200
    assert answer.json == {"userKey": key, "included": included, "excluded": excluded}


async def test_membership_of_unknown_segment_is_404(big: FakeLaunchDarkly, api: Api) -> None:
    assert (await api.get(f"{SEGMENTS}/nope/contexts/a")).status == 404
