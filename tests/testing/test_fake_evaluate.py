"""``POST .../segments/evaluate``: membership of one context in every segment."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from raw_api import Api

from ld_segments_async.testing import FakeLaunchDarkly

EVALUATE = "/api/v2/projects/default/environments/production/segments/evaluate"


async def memberships(api: Api, context: dict[str, Any]) -> dict[str, dict[str, Any]]:
    answer = await api.post(EVALUATE, context)
    assert answer.status == 200, answer.body
    return {item["key"]: item for item in answer.json["items"]}


def clause(attribute: str, op: str, values: list[Any], **extra: Any) -> dict[str, Any]:
    return {"attribute": attribute, "op": op, "values": values, **extra}


async def test_individual_and_rule_targeting(fake: FakeLaunchDarkly, api: Api) -> None:
    add = fake.add_segment
    add("default", "production", "listed", included=["u1"], description="Listed users")
    add(
        "default",
        "production",
        "ruled",
        rules=[{"clauses": [clause("email", "endsWith", ["@x.com"])]}],
    )
    add("default", "production", "banned", excluded=["u1"], rules=[{"clauses": []}])
    add("default", "production", "synced", unbounded=True, included=["u1"], _external="amplitude")
    result = await memberships(api, {"key": "u1", "email": "me@x.com"})
    assert result["listed"]["isIndividuallyTargeted"] is True
    assert result["listed"]["isMember"] is True
    assert result["listed"]["description"] == "Listed users"
    assert result["ruled"]["isRuleTargeted"] is True
    assert result["ruled"]["isIndividuallyTargeted"] is False
    assert result["ruled"]["description"] == ""
    assert result["banned"]["isMember"] is False
    assert result["banned"]["isRuleTargeted"] is False
    assert result["synced"]["isMember"] is True
    assert result["synced"]["external"] == "amplitude"
    assert result["synced"]["unbounded"] is True
    assert result["listed"]["_links"]["self"]["href"].endswith("/listed")


async def test_context_kinds(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment(
        "default", "production", "orgs", includedContexts=[{"contextKind": "org", "values": ["o1"]}]
    )
    fake.add_segment(
        "default",
        "production",
        "org-rule",
        rules=[{"clauses": [clause("tier", "in", ["gold"], contextKind="org")]}],
    )
    single_user = await memberships(api, {"key": "o1"})
    assert single_user["orgs"]["isMember"] is False
    org = await memberships(api, {"kind": "org", "key": "o1", "tier": "gold"})
    assert org["orgs"]["isMember"] is True
    assert org["org-rule"]["isRuleTargeted"] is True
    multi = await memberships(
        api, {"kind": "multi", "user": {"key": "u"}, "org": {"key": "o1", "tier": "silver"}}
    )
    assert multi["orgs"]["isIndividuallyTargeted"] is True
    assert multi["org-rule"]["isRuleTargeted"] is False


@pytest.mark.parametrize(
    ("rule_clause", "context", "expected"),
    [
        (clause("country", "in", ["fr", "de"]), {"country": "de"}, True),
        (clause("country", "in", ["fr"]), {"country": "it"}, False),
        (clause("age", "in", [30]), {"age": 30}, True),
        (clause("age", "in", ["30"]), {"age": 30}, False),
        (clause("flag", "in", [1]), {"flag": True}, False),
        (clause("email", "startsWith", ["ad"]), {"email": "admin@x"}, True),
        (clause("email", "contains", ["@x"]), {"email": "admin@x"}, True),
        (clause("email", "matches", ["^a.*n@"]), {"email": "admin@x"}, True),
        (clause("email", "matches", ["("]), {"email": "admin@x"}, False),
        (clause("age", "lessThan", [18]), {"age": 17}, True),
        (clause("age", "lessThanOrEqual", [18]), {"age": 18}, True),
        (clause("age", "greaterThan", [18]), {"age": 18}, False),
        (clause("age", "greaterThanOrEqual", [18]), {"age": 18}, True),
        (clause("age", "greaterThan", [18]), {"age": "19"}, False),
        (
            clause("joined", "before", ["2024-01-01T00:00:00Z"]),
            {"joined": "2023-06-01T00:00:00Z"},
            True,
        ),
        (clause("joined", "after", [1700000000000]), {"joined": 1800000000000}, True),
        (clause("app", "semVerEqual", ["1.2.0"]), {"app": "1.2"}, True),
        (clause("app", "semVerLessThan", ["1.10.0"]), {"app": "1.9.9"}, True),
        (clause("app", "semVerGreaterThan", ["2.0.0-beta.2"]), {"app": "2.0.0-beta.10"}, True),
        (clause("app", "semVerLessThan", ["2.0.0"]), {"app": "2.0.0-rc.1"}, True),
        (clause("country", "in", ["fr"], negate=True), {"country": "de"}, True),
        (clause("country", "in", ["fr"], negate=True), {}, False),
        (clause("groups", "in", ["b"]), {"groups": ["a", "b"]}, True),
        (clause("/address/city", "in", ["Paris"]), {"address": {"city": "Paris"}}, True),
        (clause("kind", "in", ["user"]), {}, True),
        (clause("key", "endsWith", ["-1"]), {}, True),
    ],
)
async def test_clause_operators(
    fake: FakeLaunchDarkly,
    api: Api,
    rule_clause: dict[str, Any],
    context: dict[str, Any],
    expected: bool,
) -> None:
    fake.add_segment("default", "production", "s", rules=[{"clauses": [rule_clause]}])
    result = await memberships(api, {"kind": "user", "key": "user-1", **context})
    assert result["s"]["isRuleTargeted"] is expected


def expected_bucket(segment_key: str, salt: str, value: str) -> float:
    digest = hashlib.sha1(f"{segment_key}.{salt}.{value}".encode()).hexdigest()  # noqa: S324
    return int(digest[:15], 16) / 0xFFFFFFFFFFFFFFF


async def test_rollout_weight_buckets_like_launchdarkly(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "half", rules=[{"clauses": [], "weight": 50000}])
    fake.add_segment(
        "default",
        "production",
        "salted",
        salt="pepper",
        rules=[{"clauses": [], "weight": 30000, "bucketBy": "email"}],
    )
    members = 0
    for index in range(40):
        key = f"user-{index}"
        result = await memberships(api, {"key": key, "email": f"{key}@x"})
        in_half = expected_bucket("half", "half", key) < 0.5
        assert result["half"]["isRuleTargeted"] is in_half
        assert result["salted"]["isRuleTargeted"] is (
            expected_bucket("salted", "pepper", f"{key}@x") < 0.3
        )
        members += in_half
    assert 5 < members < 35


@pytest.mark.parametrize(("weight", "expected"), [(0, False), (100000, True)])
async def test_rollout_extremes(
    fake: FakeLaunchDarkly, api: Api, weight: int, expected: bool
) -> None:
    fake.add_segment("default", "production", "r", rules=[{"clauses": [], "weight": weight}])
    assert (await memberships(api, {"key": "anyone"}))["r"]["isMember"] is expected


@pytest.mark.parametrize(
    "context",
    [
        {"name": "no key"},
        {"key": ""},
        {"key": 5},
        {"kind": "multi"},
        {"kind": "multi", "user": {"name": "no key"}},
        {"kind": 3, "key": "k"},
        ["not", "an", "object"],
    ],
)
async def test_invalid_contexts_are_400(api: Api, context: Any) -> None:
    answer = await api.post(EVALUATE, context)
    assert answer.status == 400
