"""Every semantic-patch builder, applied by the fake with LaunchDarkly's semantics,
and validated before any request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from settings import ENV, PROJECT

from ld_segments_async import Clause, SegmentsClient
from ld_segments_async import instructions as ins
from ld_segments_async.testing import FakeLaunchDarkly

EMAIL = Clause(attribute="email", op="endsWith", values=[".edu"])


async def patched(
    client: SegmentsClient, fake: FakeLaunchDarkly, *items: ins.Instruction
) -> dict[str, Any]:
    await client.patch_segment(PROJECT, ENV, "s", list(items))
    segment = fake.segment(PROJECT, ENV, "s")
    assert segment is not None
    return segment


def targets(segment: dict[str, Any], field: str, kind: str) -> list[str]:
    for target in segment.get(field) or []:
        if target["contextKind"] == kind:
            return sorted(target["values"])
    return []


async def test_tags_and_name(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s", tags=["old", "keep"])
    segment = await patched(
        client,
        fake,
        ins.add_tags(values=["new"]),
        ins.remove_tags(values=["old"]),
        ins.update_name(value="Renamed"),
    )
    assert sorted(segment["tags"]) == ["keep", "new"]
    assert segment["name"] == "Renamed"


async def test_context_targets(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    segment = await patched(
        client,
        fake,
        ins.add_included_targets(context_kind="org", values=["o1", "o2"]),
        ins.add_excluded_targets(context_kind="device", values=["d1", "d2"]),
    )
    assert targets(segment, "includedContexts", "org") == ["o1", "o2"]
    assert targets(segment, "excludedContexts", "device") == ["d1", "d2"]

    segment = await patched(
        client,
        fake,
        ins.remove_included_targets(context_kind="org", values=["o1"]),
        ins.remove_excluded_targets(context_kind="device", values=["d2"]),
    )
    assert targets(segment, "includedContexts", "org") == ["o2"]
    assert targets(segment, "excludedContexts", "device") == ["d1"]


async def test_user_targets(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    segment = await patched(
        client,
        fake,
        ins.add_included_users(values=["u1", "u2"]),
        ins.add_excluded_users(values=["u3"]),
    )
    assert (sorted(segment["included"]), segment["excluded"]) == (["u1", "u2"], ["u3"])
    segment = await patched(
        client,
        fake,
        ins.remove_included_users(values=["u2"]),
        ins.remove_excluded_users(values=["u3"]),
    )
    assert (segment["included"], segment["excluded"]) == (["u1"], [])


async def test_rules_and_clauses(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    segment = await patched(
        client,
        fake,
        ins.add_rule(clauses=[EMAIL], description="students"),
        ins.add_rule(
            clauses=[{"attribute": "country", "op": "in", "values": ["FR"], "negate": False}]
        ),
    )
    first, second = segment["rules"]
    assert first["description"] == "students"
    assert first["clauses"][0]["values"] == [".edu"]
    assert first["clauses"][0].get("contextKind", "user") == "user"
    rule_id, clause_id = first["_id"], first["clauses"][0]["_id"]

    segment = await patched(
        client,
        fake,
        ins.add_clauses(
            rule_id=rule_id, clauses=[Clause(attribute="age", op="greaterThan", values=[17])]
        ),
        ins.add_values_to_clause(rule_id=rule_id, clause_id=clause_id, values=[".ac.uk"]),
        ins.update_rule_description(rule_id=rule_id, description="universities"),
        ins.update_rule_rollout_and_context_kind(
            rule_id=rule_id, weight=25_000, context_kind="org"
        ),
        ins.reorder_rules(rule_ids=[second["_id"], rule_id]),
    )
    second_now, first_now = segment["rules"]
    assert second_now["_id"] == second["_id"]
    assert first_now["description"] == "universities"
    assert first_now["weight"] == 25_000
    assert first_now["rolloutContextKind"] == "org"
    assert [c["attribute"] for c in first_now["clauses"]] == ["email", "age"]
    assert first_now["clauses"][0]["values"] == [".edu", ".ac.uk"]

    age_id = first_now["clauses"][1]["_id"]
    segment = await patched(
        client,
        fake,
        ins.remove_values_from_clause(rule_id=rule_id, clause_id=clause_id, values=[".edu"]),
        ins.update_clause(
            rule_id=rule_id,
            clause_id=age_id,
            clause=Clause(attribute="age", op="lessThan", values=[99], negate=True),
        ),
    )
    rule = next(r for r in segment["rules"] if r["_id"] == rule_id)
    assert rule["clauses"][0]["values"] == [".ac.uk"]
    assert (rule["clauses"][1]["op"], rule["clauses"][1]["negate"]) == ("lessThan", True)

    segment = await patched(
        client,
        fake,
        ins.remove_clauses(rule_id=rule_id, clause_ids=[age_id]),
        ins.remove_rule(rule_id=second["_id"]),
    )
    assert [r["_id"] for r in segment["rules"]] == [rule_id]
    assert len(segment["rules"][0]["clauses"]) == 1


async def test_big_segment_targets(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s", unbounded=True, included=["keep", "drop"], excluded=["x"])
    await patched(
        client,
        fake,
        ins.add_big_segment_included_targets(values=["new"]),
        ins.remove_big_segment_included_targets(values=["drop"]),
        ins.add_big_segment_excluded_targets(values=["y"]),
        ins.remove_big_segment_excluded_targets(values=["x"]),
    )
    assert fake.big_segment_members(PROJECT, ENV, "s") == {"keep", "new"}
    assert fake.big_segment_members(PROJECT, ENV, "s", "excluded") == {"y"}


async def test_big_segment_instructions_refused_on_standard_segments(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    from ld_segments_async import BadRequestError

    fake.add_segment(PROJECT, ENV, "s")
    with pytest.raises(BadRequestError):
        await client.patch_segment(
            PROJECT, ENV, "s", [ins.add_big_segment_included_targets(values=["a"])]
        )


def test_builders_render_launchdarkly_json() -> None:
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    assert ins.add_included_targets(values=["a"]).to_dict() == {
        "kind": "addIncludedTargets",
        "contextKind": "user",
        "values": ["a"],
    }
    assert ins.add_rule(clauses=[EMAIL]).to_dict() == {
        "kind": "addRule",
        "clauses": [{"attribute": "email", "op": "endsWith", "values": [".edu"], "negate": False}],
    }
    assert ins.process_big_segment_import(import_id="i-1").to_dict() == {
        "kind": "processBigSegmentImport",
        "importId": "i-1",
    }
    assert ins.add_expiring_target(
        target_type="included", context_key="k", context_kind="org", value=when
    ).to_dict() == {
        "kind": "addExpiringTarget",
        "targetType": "included",
        "contextKey": "k",
        "contextKind": "org",
        "value": int(when.timestamp() * 1000),
    }
    assert ins.update_expire_user_target_date(
        target_type="excluded", user_key="u", value=1_900_000_000_000, version=3
    ).to_dict() == {
        "kind": "updateExpireUserTargetDate",
        "targetType": "excluded",
        "userKey": "u",
        "value": 1_900_000_000_000,
        "version": 3,
    }


@pytest.mark.parametrize(
    "build",
    [
        lambda: ins.add_tags(values=[]),
        lambda: ins.add_tags(values="tag"),
        lambda: ins.add_tags(values=[""]),
        lambda: ins.update_name(value=""),
        lambda: ins.add_included_targets(values=["a"], context_kind=""),
        lambda: ins.add_included_targets(values=[f"k{n}" for n in range(1501)]),
        lambda: ins.update_rule_rollout_and_context_kind(rule_id="r", weight=100_001),
        lambda: ins.update_rule_rollout_and_context_kind(rule_id="r", weight=-1),
        lambda: ins.update_rule_rollout_and_context_kind(rule_id="r", weight=50.5),
        lambda: ins.add_rule(clauses=[]),
        lambda: ins.add_rule(clauses=[{"attribute": "a", "op": "in"}]),
        lambda: ins.add_rule(clauses=[{"attribute": "a", "op": "in", "values": []}]),
        lambda: ins.add_values_to_clause(rule_id="r", clause_id="c", values=[]),
        lambda: ins.remove_rule(rule_id=""),
        lambda: ins.add_expiring_target(target_type="both", context_key="k", value=10**12),
        lambda: ins.add_expiring_target(
            target_type="included", context_key="k", value=1_700_000_000
        ),
        lambda: ins.add_expiring_target(
            target_type="included", context_key="k", value=dt.datetime(2030, 1, 1)
        ),
        lambda: ins.update_expire_user_target_date(
            target_type="included", user_key="u", value=10**12, version="3"
        ),
        lambda: ins.process_big_segment_import(import_id=""),
    ],
)
def test_invalid_arguments_fail_when_built(build: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        build()


def test_naive_datetimes_are_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ins.add_expiring_target(
            target_type="included", context_key="k", value=dt.datetime(2030, 1, 1)
        )
