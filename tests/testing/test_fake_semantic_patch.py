"""Semantic patches of segments: every documented instruction, atomicity, limits."""

from __future__ import annotations

from typing import Any

import pytest
from raw_api import SEGMENTS, Api

from ld_segments_async.testing import FakeLaunchDarkly

PATH = f"{SEGMENTS}/seg"
RULE_A, RULE_B = "rule-a", "rule-b"
CLAUSE_A, CLAUSE_B = "clause-a", "clause-b"


def body(*instructions: dict[str, Any], environment: str = "production") -> dict[str, Any]:
    return {"environmentKey": environment, "comment": "test", "instructions": list(instructions)}


@pytest.fixture
def segment(fake: FakeLaunchDarkly) -> dict[str, Any]:
    clause_a = {"_id": CLAUSE_A, "attribute": "email", "op": "endsWith", "values": ["@x.com"]}
    clause_b = {"_id": CLAUSE_B, "attribute": "country", "op": "in", "values": ["fr", "de"]}
    return fake.add_segment(
        "default",
        "production",
        "seg",
        tags=["keep", "drop"],
        included=["u1"],
        excluded=["u9"],
        includedContexts=[{"contextKind": "org", "values": ["o1"]}],
        rules=[
            {"_id": RULE_A, "clauses": [clause_a, clause_b], "description": "A"},
            {"_id": RULE_B, "clauses": []},
        ],
    )


CASES: list[tuple[dict[str, Any], Any]] = [
    (
        {"kind": "addTags", "values": ["new", "keep"]},
        lambda s: s["tags"] == ["keep", "drop", "new"],
    ),
    ({"kind": "removeTags", "values": ["drop", "absent"]}, lambda s: s["tags"] == ["keep"]),
    ({"kind": "updateName", "value": "Renamed"}, lambda s: s["name"] == "Renamed"),
    (
        {"kind": "addIncludedTargets", "contextKind": "org", "values": ["o2", "o1"]},
        lambda s: s["includedContexts"] == [{"contextKind": "org", "values": ["o1", "o2"]}],
    ),
    (
        {"kind": "addExcludedTargets", "contextKind": "device", "values": ["d1"]},
        lambda s: s["excludedContexts"] == [{"contextKind": "device", "values": ["d1"]}],
    ),
    (
        {"kind": "removeIncludedTargets", "contextKind": "org", "values": ["o1"]},
        lambda s: s["includedContexts"] == [],
    ),
    (
        {"kind": "removeExcludedTargets", "contextKind": "org", "values": ["nope"]},
        lambda s: s["excludedContexts"] == [],
    ),
    ({"kind": "addIncludedUsers", "values": ["u2"]}, lambda s: s["included"] == ["u1", "u2"]),
    ({"kind": "addExcludedUsers", "values": ["u8"]}, lambda s: s["excluded"] == ["u9", "u8"]),
    ({"kind": "removeIncludedUsers", "values": ["u1"]}, lambda s: s["included"] == []),
    ({"kind": "removeExcludedUsers", "values": ["u9"]}, lambda s: s["excluded"] == []),
    (
        {
            "kind": "addRule",
            "clauses": [{"attribute": "plan", "op": "in", "values": ["pro"]}],
            "description": "Pro plan",
            "weight": 50000,
            "rolloutContextKind": "user",
            "bucketBy": "key",
        },
        lambda s: (
            s["rules"][2]["description"] == "Pro plan"
            and s["rules"][2]["weight"] == 50000
            and s["rules"][2]["bucketBy"] == "key"
            and s["rules"][2]["clauses"][0]["contextKind"] == "user"
            and s["rules"][2]["clauses"][0]["negate"] is False
            and len(s["rules"][2]["_id"]) == 36
        ),
    ),
    (
        {"kind": "removeRule", "ruleId": RULE_A},
        lambda s: [r["_id"] for r in s["rules"]] == [RULE_B],
    ),
    ({"kind": "removeRule", "ruleId": "absent"}, lambda s: len(s["rules"]) == 2),
    (
        {"kind": "reorderRules", "ruleIds": [RULE_B, RULE_A]},
        lambda s: [r["_id"] for r in s["rules"]] == [RULE_B, RULE_A],
    ),
    (
        {"kind": "updateRuleDescription", "ruleId": RULE_B, "description": "B!"},
        lambda s: s["rules"][1]["description"] == "B!",
    ),
    (
        {
            "kind": "updateRuleRolloutAndContextKind",
            "ruleId": RULE_A,
            "weight": "20000",
            "contextKind": "device",
        },
        lambda s: (
            (s["rules"][0]["weight"], s["rules"][0]["rolloutContextKind"]) == (20000, "device")
        ),
    ),
    (
        {
            "kind": "addClauses",
            "ruleId": RULE_B,
            "clauses": [{"contextKind": "org", "attribute": "tier", "op": "in", "values": [1]}],
        },
        lambda s: s["rules"][1]["clauses"][0]["contextKind"] == "org",
    ),
    (
        {"kind": "removeClauses", "ruleId": RULE_A, "clauseIds": [CLAUSE_A]},
        lambda s: [c["_id"] for c in s["rules"][0]["clauses"]] == [CLAUSE_B],
    ),
    (
        {
            "kind": "updateClause",
            "ruleId": RULE_A,
            "clauseId": CLAUSE_B,
            "clause": {"attribute": "country", "op": "in", "values": ["mx"], "negate": True},
        },
        lambda s: (
            s["rules"][0]["clauses"][1]
            == {
                "_id": CLAUSE_B,
                "contextKind": "user",
                "attribute": "country",
                "op": "in",
                "values": ["mx"],
                "negate": True,
            }
        ),
    ),
    (
        {"kind": "addValuesToClause", "ruleId": RULE_A, "clauseId": CLAUSE_B, "values": ["it"]},
        lambda s: s["rules"][0]["clauses"][1]["values"] == ["fr", "de", "it"],
    ),
    (
        {
            "kind": "removeValuesFromClause",
            "ruleId": RULE_A,
            "clauseId": CLAUSE_B,
            "values": ["fr"],
        },
        lambda s: s["rules"][0]["clauses"][1]["values"] == ["de"],
    ),
]


@pytest.mark.parametrize(("instruction", "check"), CASES, ids=[c[0]["kind"] for c in CASES])
async def test_standard_instructions(
    fake: FakeLaunchDarkly,
    api: Api,
    segment: dict[str, Any],
    instruction: dict[str, Any],
    check: Any,
) -> None:
    answer = await api.semantic(PATH, body(instruction))
    assert answer.status == 200, answer.body
    assert check(answer.json)
    stored = fake.segment("default", "production", "seg")
    assert check(stored)


async def test_success_bumps_version_once(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    answer = await api.semantic(
        PATH,
        body({"kind": "addTags", "values": ["x"]}, {"kind": "updateName", "value": "Y"}),
    )
    assert answer.json["version"] == segment["version"] + 1
    assert fake.side_effects["patch_segment"] == 1


INVALID: list[dict[str, Any]] = [
    {"kind": "explode"},
    {"values": ["no kind"]},
    {"kind": "addTags", "values": "x"},
    {"kind": "updateName", "value": ""},
    {"kind": "addIncludedTargets", "values": ["missing kind"]},
    {"kind": "addIncludedUsers", "values": ["u9"]},
    {"kind": "addExcludedTargets", "contextKind": "org", "values": ["o1"]},
    {"kind": "removeRule"},
    {"kind": "reorderRules", "ruleIds": [RULE_A]},
    {"kind": "reorderRules", "ruleIds": [RULE_A, RULE_A]},
    {"kind": "reorderRules", "ruleIds": [RULE_A, RULE_B, "extra"]},
    {"kind": "updateRuleDescription", "ruleId": "absent", "description": "x"},
    {
        "kind": "updateRuleRolloutAndContextKind",
        "ruleId": RULE_A,
        "weight": 100001,
        "contextKind": "u",
    },
    {"kind": "updateRuleRolloutAndContextKind", "ruleId": RULE_A, "weight": 5},
    {"kind": "addClauses", "ruleId": RULE_A, "clauses": []},
    {
        "kind": "addClauses",
        "ruleId": RULE_A,
        "clauses": [{"attribute": "a", "op": "LIKE", "values": []}],
    },
    {"kind": "removeClauses", "ruleId": RULE_A, "clauseIds": ["absent"]},
    {"kind": "updateClause", "ruleId": RULE_A, "clauseId": "absent", "clause": {}},
    {"kind": "addValuesToClause", "ruleId": RULE_A, "clauseId": CLAUSE_A, "values": "x"},
    {"kind": "addRule", "clauses": [{"op": "in", "values": []}]},
    {"kind": "addRule", "clauses": [], "weight": -1},
    {"kind": "addBigSegmentIncludedTargets", "values": ["k"]},
    {"kind": "processBigSegmentImport", "importId": "nope"},
]


@pytest.mark.parametrize("instruction", INVALID)
async def test_invalid_instruction_fails_everything(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any], instruction: dict[str, Any]
) -> None:
    answer = await api.semantic(
        PATH, body({"kind": "addTags", "values": ["applied-first"]}, instruction)
    )
    assert answer.status == 400
    assert answer.json["code"] == "invalid_request"
    message = answer.json["message"]
    assert "Instruction 1" in message or "both included and excluded" in message
    assert fake.segment("default", "production", "seg") == segment
    assert not fake.side_effects


async def test_target_batch_limit(api: Api, segment: dict[str, Any]) -> None:
    keys = [f"k{i}" for i in range(1501)]
    answer = await api.semantic(PATH, body({"kind": "addIncludedUsers", "values": keys}))
    assert answer.status == 400
    assert "1,500" in answer.json["message"] or "1500" in answer.json["message"]
    split = await api.semantic(
        PATH,
        body(
            {"kind": "addIncludedUsers", "values": keys[:750]},
            {"kind": "addIncludedTargets", "contextKind": "org", "values": keys[750:1500]},
        ),
    )
    assert split.status == 200


async def test_include_then_exclude_same_key_conflicts(api: Api, segment: dict[str, Any]) -> None:
    answer = await api.semantic(
        PATH,
        body(
            {"kind": "addIncludedTargets", "contextKind": "org", "values": ["o7"]},
            {"kind": "addExcludedTargets", "contextKind": "org", "values": ["o7"]},
        ),
    )
    assert answer.status == 400
    moved = await api.semantic(
        PATH,
        body(
            {"kind": "removeIncludedUsers", "values": ["u1"]},
            {"kind": "addExcludedUsers", "values": ["u1"]},
        ),
    )
    assert moved.status == 200
    assert moved.json["excluded"] == ["u9", "u1"]


@pytest.mark.parametrize(
    "payload",
    [
        {"instructions": [{"kind": "addTags", "values": ["x"]}]},
        body({"kind": "addTags", "values": ["x"]}, environment="test"),
        {"environmentKey": "production", "instructions": []},
        {"environmentKey": "production"},
        [{"kind": "addTags", "values": ["x"]}],
    ],
)
async def test_malformed_semantic_bodies_are_400(
    api: Api, segment: dict[str, Any], payload: Any
) -> None:
    answer = await api.semantic(PATH, payload)
    assert answer.status == 400


async def test_dry_run(fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]) -> None:
    answer = await api.semantic(f"{PATH}?dryRun=true", body({"kind": "updateName", "value": "Z"}))
    assert answer.status == 200
    assert answer.json["name"] == "Z"
    assert fake.segment("default", "production", "seg") == segment
    assert not fake.side_effects


async def test_big_segment_instructions(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True, included=["a", "b"])
    answer = await api.semantic(
        f"{SEGMENTS}/big",
        body(
            {"kind": "addBigSegmentIncludedTargets", "values": ["c"]},
            {"kind": "removeBigSegmentIncludedTargets", "values": ["a"]},
            {"kind": "addBigSegmentExcludedTargets", "values": ["z"]},
        ),
    )
    assert answer.status == 200
    assert answer.json["_unboundedMetadata"]["includedCount"] == 2
    members = fake.big_segment_members("default", "production", "big")
    assert members == {"b", "c"}
    undo = await api.semantic(
        f"{SEGMENTS}/big", body({"kind": "removeBigSegmentExcludedTargets", "values": ["z"]})
    )
    assert undo.status == 200
    assert fake.big_segment_members("default", "production", "big", "excluded") == set()


async def test_big_segment_conflict_is_atomic(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True, included=["a"])
    answer = await api.semantic(
        f"{SEGMENTS}/big",
        body(
            {"kind": "addBigSegmentIncludedTargets", "values": ["n"]},
            {"kind": "addBigSegmentExcludedTargets", "values": ["a"]},
        ),
    )
    assert answer.status == 400
    assert fake.big_segment_members("default", "production", "big") == {"a"}


async def test_standard_target_instructions_refuse_big_segments(
    fake: FakeLaunchDarkly, api: Api
) -> None:
    fake.add_segment("default", "production", "big", unbounded=True)
    answer = await api.semantic(
        f"{SEGMENTS}/big", body({"kind": "addIncludedUsers", "values": ["u"]})
    )
    assert answer.status == 400
