"""``sync_segment_targets``: a standard segment's targets of one context kind made exactly
a list, with semantic patches within LaunchDarkly's 1,500 target operations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from settings import ENV, PROJECT

from ld_segments_async import SegmentsClient, SyncIncompleteError
from ld_segments_async.testing import FakeLaunchDarkly, Fault

SEGMENT = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"
PATCH = f"PATCH {SEGMENT}"
TARGET_KINDS = {
    "addIncludedTargets",
    "addExcludedTargets",
    "removeIncludedTargets",
    "removeExcludedTargets",
    "removeIncludedUsers",
    "removeExcludedUsers",
}


def keys(n: int, start: int = 0) -> list[str]:
    return [f"u{i:05d}" for i in range(start, start + n)]


def patches(fake: FakeLaunchDarkly) -> list[dict[str, Any]]:
    return [json.loads(e.request_body) for e in fake.exchanges if e.method == "PATCH"]


def operations(patch: dict[str, Any]) -> int:
    return sum(len(i["values"]) for i in patch["instructions"] if i["kind"] in TARGET_KINDS)


def targets(fake: FakeLaunchDarkly, key: str, name: str, kind: str) -> set[str]:
    segment = fake.segment(PROJECT, ENV, key)
    assert segment is not None
    found = {v for t in segment[f"{name}Contexts"] if t["contextKind"] == kind for v in t["values"]}
    return found | set(segment[name]) if kind == "user" else found


async def test_targets_in_batches_of_at_most_1500_operations(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    users = [{"contextKind": "user", "values": keys(2000)}]
    fake.add_segment(PROJECT, ENV, "beta", includedContexts=users)
    fake.reset_counters()
    wanted = keys(1000, start=1000) + keys(2200, start=10_000)  # 1,000 removed, 2,200 added
    report = await client.sync_segment_targets(PROJECT, ENV, "beta", wanted)

    assert targets(fake, "beta", "included", "user") == set(wanted)
    assert (report.added, report.removed, report.unchanged) == (2200, 1000, 1000)
    assert report.method == "targets" and report.writes == 3  # ceil(3,200 / 1,500)
    assert fake.requests == {f"GET {SEGMENT}": 1, PATCH: 3}
    assert report.requests == 4
    sent = patches(fake)
    assert [operations(p) for p in sent] == [1500, 1500, 200]
    assert all(p["environmentKey"] == ENV for p in sent)
    assert fake.side_effects["patch_segment"] == 3

    again = await client.sync_segment_targets(PROJECT, ENV, "beta", reversed(wanted))
    assert (again.method, again.writes) == ("none", 0)
    assert fake.requests[PATCH] == 3


async def test_a_batch_size_over_launchdarklys_limit_is_refused_before_sending(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    with pytest.raises(ValueError, match="at most 1500"):
        await client.sync_segment_targets(PROJECT, ENV, "beta", ["a"], batch_size=1501)
    with pytest.raises(ValueError, match="context_kind"):
        await client.sync_segment_targets(PROJECT, ENV, "beta", ["a"], context_kind="")
    assert sum(fake.requests.values()) == 0


async def test_user_keys_in_either_list_and_keys_that_change_sides(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(
        PROJECT,
        ENV,
        "beta",
        included=["legacy-kept", "legacy-gone"],
        includedContexts=[
            {"contextKind": "user", "values": ["ctx-kept", "ctx-gone"]},
            {"contextKind": "org", "values": ["acme"]},
        ],
        excluded=["legacy-excluded"],
        excludedContexts=[{"contextKind": "user", "values": ["ctx-excluded", "stays-excluded"]}],
        rules=[{"clauses": [{"attribute": "email", "op": "endsWith", "values": [".edu"]}]}],
    )
    wanted = ["legacy-kept", "ctx-kept", "legacy-excluded", "ctx-excluded", "new"]
    report = await client.sync_segment_targets(PROJECT, ENV, "beta", wanted, batch_size=4)

    assert targets(fake, "beta", "included", "user") == set(wanted)
    assert targets(fake, "beta", "excluded", "user") == {"stays-excluded"}
    assert targets(fake, "beta", "included", "org") == {"acme"}  # other kinds untouched
    segment = fake.segment(PROJECT, ENV, "beta")
    assert segment is not None and len(segment["rules"]) == 1
    # 2 removals, 2 additions leaving the excluded list (2 each), 1 plain addition: 7
    assert (report.added, report.removed, report.writes) == (3, 2, 2)
    assert all(operations(p) <= 4 for p in patches(fake))
    kinds = {i["kind"] for p in patches(fake) for i in p["instructions"]}
    assert {"removeIncludedUsers", "removeIncludedTargets", "removeExcludedUsers"} <= kinds


async def test_the_excluded_targets_of_another_kind(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(
        PROJECT,
        ENV,
        "vip",
        includedContexts=[{"contextKind": "org", "values": ["acme", "initech"]}],
        excludedContexts=[{"contextKind": "org", "values": ["globex"]}],
        excluded=["acme"],  # a user key: another kind, left alone
    )
    report = await client.sync_segment_targets(
        PROJECT, ENV, "vip", ["acme", "umbrella"], context_kind="org", excluded=True
    )
    assert targets(fake, "vip", "excluded", "org") == {"acme", "umbrella"}
    assert targets(fake, "vip", "included", "org") == {"initech"}
    assert targets(fake, "vip", "excluded", "user") == {"acme"}
    assert (report.added, report.removed) == (2, 1)


async def test_a_dry_run_and_a_bad_key_send_no_patch(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "beta", included=["a"])
    fake.reset_counters()
    with pytest.raises(ValueError, match="line breaks"):
        await client.sync_segment_targets(PROJECT, ENV, "beta", ["b", "c\nd"])
    assert sum(fake.requests.values()) == 0
    report = await client.sync_segment_targets(PROJECT, ENV, "beta", ["b"], dry_run=True)
    assert (report.dry_run, report.added, report.removed, report.writes) == (True, 1, 1, 0)
    assert fake.requests == {f"GET {SEGMENT}": 1}
    with pytest.raises(ValueError, match="allow_empty"):
        await client.sync_segment_targets(PROJECT, ENV, "beta", [])
    emptied = await client.sync_segment_targets(PROJECT, ENV, "beta", [], allow_empty=True)
    assert emptied.removed == 1 and targets(fake, "beta", "included", "user") == set()


async def test_a_failed_patch_says_which_were_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "beta")
    fake.inject(Fault.slow(0), route=PATCH)
    fake.inject(Fault.status(400), route=PATCH)
    with pytest.raises(SyncIncompleteError) as raised:
        await client.sync_segment_targets(PROJECT, ENV, "beta", keys(3500))
    report = raised.value.report
    assert [b.state for b in report.batches] == ["applied", "refused"]
    assert report.applied_added == 1500 == len(targets(fake, "beta", "included", "user"))


async def test_a_big_segment_is_not_a_standard_one(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True)
    with pytest.raises(ValueError, match="big segment: use sync_big_segment"):
        await client.sync_segment_targets(PROJECT, ENV, "big", ["a"])
