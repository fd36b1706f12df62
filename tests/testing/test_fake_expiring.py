"""Expiring targets of a segment (context and user variants), with partial failures."""

from __future__ import annotations

from typing import Any

import pytest
from raw_api import Api

from ld_segments_async.testing import FakeLaunchDarkly

TARGETS = "/api/v2/segments/default/seg/expiring-targets/production"
USER_TARGETS = "/api/v2/segments/default/seg/expiring-user-targets/production"
WHEN = 1_900_000_000_000


@pytest.fixture
def segment(fake: FakeLaunchDarkly) -> dict[str, Any]:
    return fake.add_segment(
        "default",
        "production",
        "seg",
        included=["u1", "u2"],
        excluded=["u9"],
        includedContexts=[{"contextKind": "org", "values": ["o1"]}],
    )


def add(key: str, kind: str = "org", target_type: str = "included", **extra: Any) -> dict[str, Any]:
    instruction = {
        "kind": "addExpiringTarget",
        "targetType": target_type,
        "contextKey": key,
        "contextKind": kind,
        "value": WHEN,
    }
    return {**instruction, **extra}


async def test_add_then_get(fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]) -> None:
    answer = await api.semantic(TARGETS, {"comment": "c", "instructions": [add("o1")]})
    assert answer.status == 200
    result = answer.json
    assert (result["totalInstructions"], result["successfulInstructions"]) == (1, 1)
    assert result["failedInstructions"] == 0
    assert result["errors"] == []
    [item] = result["items"]
    assert item["contextKey"] == "o1"
    assert item["contextKind"] == "org"
    assert item["targetType"] == "included"
    assert item["expirationDate"] == WHEN
    assert item["_version"] == 1
    assert item["_resourceId"] == {
        "environmentKey": "production",
        "key": "seg",
        "kind": "segment",
        "projectKey": "default",
    }
    listed = await api.get(TARGETS)
    assert listed.status == 200
    assert listed.json["items"] == result["items"]
    assert fake.side_effects["patch_expiring_targets"] == 1


async def test_partial_failure_applies_the_rest(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    instructions = [
        add("o1"),
        add("not-a-target"),
        add("u9", kind="user", target_type="excluded"),
        add("o1"),
        {**add("u1", kind="user"), "value": None},
    ]
    answer = await api.semantic(TARGETS, {"instructions": instructions})
    assert answer.status == 200
    result = answer.json
    assert result["totalInstructions"] == 5
    assert result["successfulInstructions"] == 2
    assert result["failedInstructions"] == 3
    assert [error["instructionIndex"] for error in result["errors"]] == [1, 3, 4]
    assert all(error["message"] for error in result["errors"])
    assert sorted(item["contextKey"] for item in result["items"]) == ["o1", "u9"]


async def test_update_and_remove(api: Api, segment: dict[str, Any]) -> None:
    await api.semantic(TARGETS, {"instructions": [add("o1")]})
    update = {**add("o1"), "kind": "updateExpiringTarget", "value": WHEN + 1, "version": 1}
    stale = {**update, "value": WHEN + 2, "version": 1}
    answer = await api.semantic(TARGETS, {"instructions": [update, stale]})
    assert [error["instructionIndex"] for error in answer.json["errors"]] == [1]
    [item] = answer.json["items"]
    assert (item["expirationDate"], item["_version"]) == (WHEN + 1, 2)
    unversioned = {**update, "value": WHEN + 3}
    unversioned.pop("version")
    assert (await api.semantic(TARGETS, {"instructions": [unversioned]})).json["errors"] == []
    remove = {
        "kind": "removeExpiringTarget",
        "targetType": "included",
        "contextKey": "o1",
        "contextKind": "org",
    }
    removed = await api.semantic(TARGETS, {"instructions": [remove, remove]})
    assert removed.json["items"] == []
    assert [error["instructionIndex"] for error in removed.json["errors"]] == [1]


async def test_removing_the_target_drops_its_expiry(api: Api, segment: dict[str, Any]) -> None:
    await api.semantic(TARGETS, {"instructions": [add("o1")]})
    patch = {
        "environmentKey": "production",
        "instructions": [{"kind": "removeIncludedTargets", "contextKind": "org", "values": ["o1"]}],
    }
    assert (await api.semantic("/api/v2/segments/default/production/seg", patch)).status == 200
    assert (await api.get(TARGETS)).json["items"] == []


@pytest.mark.parametrize(
    "payload",
    [
        {"instructions": []},
        {"comment": "no instructions"},
        {
            "instructions": [
                {
                    "kind": "explode",
                    "targetType": "included",
                    "contextKey": "o1",
                    "contextKind": "org",
                }
            ]
        },
        {"instructions": [{**add("o1"), "targetType": "sideways"}]},
        {"instructions": [{**add("o1"), "contextKey": ""}]},
        {"instructions": [{**add("o1"), "value": "soon"}]},
        {
            "instructions": [
                {
                    "kind": "addExpireUserTargetDate",
                    "targetType": "included",
                    "userKey": "u1",
                    "value": WHEN,
                }
            ]
        },
    ],
)
async def test_malformed_requests_are_400(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any], payload: Any
) -> None:
    answer = await api.semantic(TARGETS, payload)
    assert answer.status == 400
    assert not fake.side_effects


async def test_plain_json_content_type_is_400(api: Api, segment: dict[str, Any]) -> None:
    answer = await api.patch(TARGETS, {"instructions": [add("o1")]})
    assert answer.status == 400


async def test_unknown_segment_is_404(api: Api, segment: dict[str, Any]) -> None:
    path = TARGETS.replace("/seg/", "/other/")
    assert (await api.get(path)).status == 404
    assert (await api.semantic(path, {"instructions": [add("o1")]})).status == 404


def user_instruction(kind: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "targetType": "included", "userKey": key, **extra}


async def test_user_variant(fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]) -> None:
    version = segment["version"]
    answer = await api.semantic(
        USER_TARGETS,
        {
            "instructions": [
                user_instruction("addExpireUserTargetDate", "u1", value=WHEN),
                user_instruction("addExpireUserTargetDate", "u2", value=WHEN),
                user_instruction(
                    "updateExpireUserTargetDate", "u1", value=WHEN + 5, version=version
                ),
                user_instruction(
                    "updateExpireUserTargetDate", "u2", value=WHEN + 5, version=version + 7
                ),
                user_instruction("updateExpireUserTargetDate", "u2", value=WHEN + 5),
                user_instruction("removeExpireUserTargetDate", "u3"),
            ]
        },
    )
    assert answer.status == 200
    result = answer.json
    assert [error["instructionIndex"] for error in result["errors"]] == [3, 4, 5]
    items = {item["userKey"]: item for item in result["items"]}
    assert items["u1"]["expirationDate"] == WHEN + 5
    assert items["u2"]["expirationDate"] == WHEN
    assert items["u1"]["_resourceId"]["kind"] == "segment"
    assert "contextKey" not in items["u1"]
    listed = await api.get(USER_TARGETS)
    assert {item["userKey"] for item in listed.json["items"]} == {"u1", "u2"}
    assert fake.side_effects["patch_expiring_user_targets"] == 1


async def test_user_listing_skips_other_kinds(api: Api, segment: dict[str, Any]) -> None:
    await api.semantic(TARGETS, {"instructions": [add("o1"), add("u1", kind="user")]})
    assert [item["userKey"] for item in (await api.get(USER_TARGETS)).json["items"]] == ["u1"]
