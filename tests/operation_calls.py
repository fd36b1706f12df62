"""One valid call of each of the 18 operations, against a fake seeded by :func:`seed`:
for the tests that must hold for every operation (raw responses, argument checks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from launchdarkly_api.api.segments_api import SegmentsApi
from settings import ENV, PROJECT

from ld_segments_async import SegmentBody
from ld_segments_async import instructions as ins
from ld_segments_async.testing import FakeLaunchDarkly

WEEK = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)

Call = Callable[[Any, dict[str, str]], Awaitable[Any]]
"""``(ld or ld.with_raw_response, ids) -> awaitable``; ``ids`` holds the job ids seeded."""

P, E = PROJECT, ENV

CALLS: dict[str, Call] = {
    "get_segments": lambda ld, ids: ld.get_segments(P, E, limit=5),
    "get_segment": lambda ld, ids: ld.get_segment(P, E, "s"),
    "post_segment": lambda ld, ids: ld.post_segment(P, E, SegmentBody(key="new", name="New")),
    "patch_segment": lambda ld, ids: ld.patch_segment(P, E, "s", [ins.add_tags(values=["x"])]),
    "delete_segment": lambda ld, ids: ld.delete_segment(P, E, "gone"),
    "create_big_segment_import": lambda ld, ids: ld.create_big_segment_import(
        P, E, "big2", ["a", "b"]
    ),
    "get_big_segment_import": lambda ld, ids: ld.get_big_segment_import(P, E, "big", ids["import"]),
    "create_big_segment_export": lambda ld, ids: ld.create_big_segment_export(P, E, "big"),
    "get_big_segment_export": lambda ld, ids: ld.get_big_segment_export(P, E, "big", ids["export"]),
    "get_segment_membership_for_context": lambda ld, ids: ld.get_segment_membership_for_context(
        P, E, "big", "m1"
    ),
    "get_segment_membership_for_user": lambda ld, ids: ld.get_segment_membership_for_user(
        P, E, "big", "m1"
    ),
    "update_big_segment_context_targets": lambda ld, ids: ld.update_big_segment_context_targets(
        P, E, "big", {"included": {"add": ["z1"]}}
    ),
    "update_big_segment_targets": lambda ld, ids: ld.update_big_segment_targets(
        P, E, "big", {"included": {"add": ["z2"]}}
    ),
    "get_context_instance_segments_membership_by_env": lambda ld, ids: (
        ld.get_context_instance_segments_membership_by_env(P, E, {"kind": "user", "key": "u1"})
    ),
    "get_expiring_targets_for_segment": lambda ld, ids: ld.get_expiring_targets_for_segment(
        P, E, "s"
    ),
    "patch_expiring_targets_for_segment": lambda ld, ids: ld.patch_expiring_targets_for_segment(
        P,
        E,
        "s",
        [ins.add_expiring_target(target_type="included", context_key="u1", value=WEEK)],
    ),
    "get_expiring_user_targets_for_segment": lambda ld, ids: (
        ld.get_expiring_user_targets_for_segment(P, E, "s")
    ),
    "patch_expiring_user_targets_for_segment": lambda ld, ids: (
        ld.patch_expiring_user_targets_for_segment(
            P,
            E,
            "s",
            [ins.add_expire_user_target_date(target_type="included", user_key="u2", value=WEEK)],
        )
    ),
}

DEPRECATED = frozenset(
    {
        "get_segment_membership_for_user",
        "update_big_segment_targets",
        "get_expiring_user_targets_for_segment",
        "patch_expiring_user_targets_for_segment",
    }
)


def official_operations() -> set[str]:
    """The operations of the official client's ``SegmentsApi``."""
    return {
        name
        for name in vars(SegmentsApi)
        if not name.startswith("_")
        and not name.endswith(("_with_http_info", "_without_preload_content"))
        and callable(getattr(SegmentsApi, name))
    }


async def seed(fake: FakeLaunchDarkly, ld: Any) -> dict[str, str]:
    """Segments, jobs and targets for every call of :data:`CALLS`; the job ids."""
    fake.add_segment(P, E, "s", included=["u1", "u2"])
    fake.add_segment(P, E, "gone")
    fake.add_segment(P, E, "big", unbounded=True, unboundedContextKind="user", included=["m1"])
    fake.add_segment(P, E, "big2", unbounded=True, unboundedContextKind="user")
    export_id = await ld.create_big_segment_export(P, E, "big")
    import_id = await ld.create_big_segment_import(P, E, "big", ["m2"])
    # One import runs at a time in an environment: this one ends before the calls.
    await ld.wait_for_big_segment_import(P, E, "big", import_id, poll=0.001)
    return {"export": export_id, "import": import_id}
