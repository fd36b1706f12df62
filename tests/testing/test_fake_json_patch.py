"""PATCH segment with JSON patch (RFC 6902) and JSON merge patch (RFC 7386)."""

from __future__ import annotations

from typing import Any

import pytest
from raw_api import SEGMENTS, Api

from ld_segments_async.testing import FakeLaunchDarkly

PATH = f"{SEGMENTS}/seg"


@pytest.fixture
def segment(fake: FakeLaunchDarkly) -> dict[str, Any]:
    return fake.add_segment(
        "default",
        "production",
        "seg",
        name="Seg",
        description="first",
        tags=["a", "b"],
        included=["u1"],
        rules=[{"clauses": [{"attribute": "email", "op": "endsWith", "values": ["@x.com"]}]}],
    )


async def test_replace_bumps_version(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    answer = await api.patch(PATH, [{"op": "replace", "path": "/description", "value": "new"}])
    assert answer.status == 200
    assert answer.json["description"] == "new"
    assert answer.json["version"] == segment["version"] + 1
    assert answer.json["lastModifiedDate"] >= segment["lastModifiedDate"]
    stored = fake.segment("default", "production", "seg")
    assert stored is not None
    assert stored["description"] == "new"
    assert fake.side_effects["patch_segment"] == 1


@pytest.mark.parametrize(
    ("operations", "check"),
    [
        ([{"op": "add", "path": "/tags/0", "value": "z"}], lambda s: s["tags"] == ["z", "a", "b"]),
        ([{"op": "add", "path": "/tags/-", "value": "z"}], lambda s: s["tags"] == ["a", "b", "z"]),
        ([{"op": "remove", "path": "/tags/0"}], lambda s: s["tags"] == ["b"]),
        ([{"op": "remove", "path": "/description"}], lambda s: "description" not in s),
        (
            [{"op": "move", "from": "/tags/0", "path": "/tags/-"}],
            lambda s: s["tags"] == ["b", "a"],
        ),
        (
            [{"op": "copy", "from": "/included/0", "path": "/tags/-"}],
            lambda s: s["tags"] == ["a", "b", "u1"],
        ),
        (
            [{"op": "add", "path": "/rules/0/clauses/0/values/-", "value": "@y.com"}],
            lambda s: s["rules"][0]["clauses"][0]["values"] == ["@x.com", "@y.com"],
        ),
        (
            [
                {"op": "test", "path": "/version", "value": 1},
                {"op": "add", "path": "/included/-", "value": "u2"},
            ],
            lambda s: s["included"] == ["u1", "u2"],
        ),
        (
            [{"op": "add", "path": "/rules/-", "value": {"clauses": []}}],
            lambda s: len(s["rules"]) == 2 and s["rules"][1]["_id"],
        ),
    ],
)
async def test_operations(
    api: Api, segment: dict[str, Any], operations: list[Any], check: Any
) -> None:
    answer = await api.patch(PATH, operations)
    assert answer.status == 200, answer.body
    assert check(answer.json)


async def test_pointer_escapes(fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]) -> None:
    # "/_links/self/href" is read-only, but ~0 and ~1 must decode for a test op.
    answer = await api.patch(
        PATH,
        [
            {"op": "test", "path": "/_links/self/type", "value": "application/json"},
            {"op": "add", "path": "/tags/-", "value": "a/b~c"},
            {"op": "test", "path": "/tags/2", "value": "a/b~c"},
        ],
    )
    assert answer.status == 200
    bad = await api.patch(PATH, [{"op": "test", "path": "/a~1b~0c", "value": 1}])
    assert bad.status == 400


async def test_patch_with_comment_envelope(api: Api, segment: dict[str, Any]) -> None:
    body = {"comment": "why", "patch": [{"op": "replace", "path": "/name", "value": "Renamed"}]}
    answer = await api.patch(PATH, body)
    assert answer.status == 200
    assert answer.json["name"] == "Renamed"


async def test_failed_version_test_is_409(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    answer = await api.patch(
        PATH,
        [
            {"op": "test", "path": "/version", "value": 99},
            {"op": "replace", "path": "/name", "value": "never"},
        ],
    )
    assert answer.status == 409
    assert answer.json["code"] == "optimistic_locking_error"
    assert fake.segment("default", "production", "seg")["name"] == "Seg"  # type: ignore[index]


async def test_test_is_type_strict(api: Api, segment: dict[str, Any]) -> None:
    answer = await api.patch(PATH, [{"op": "test", "path": "/deleted", "value": 0}])
    assert answer.status == 409


@pytest.mark.parametrize(
    "path",
    ["/key", "/creationDate", "/version", "/_links/self", "/_flags", "/lastModifiedDate", ""],
)
async def test_read_only_paths_are_400(api: Api, segment: dict[str, Any], path: str) -> None:
    answer = await api.patch(PATH, [{"op": "replace", "path": path, "value": "x"}])
    assert answer.status == 400


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "remove", "path": "/nothing"}],
        [{"op": "replace", "path": "/tags/7", "value": "x"}],
        [{"op": "add", "path": "/tags/01", "value": "x"}],
        [{"op": "jump", "path": "/name"}],
        [{"op": "add", "path": "/name"}],
        [{"op": "move", "from": "/rules", "path": "/rules/0"}],
        [{"op": "add", "path": "name", "value": "no slash"}],
        [{"op": "add", "path": "/surprise", "value": "not a segment field"}],
        ["not an object"],
        {"patch": "not a list"},
    ],
)
async def test_inapplicable_operations_are_400(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any], operations: Any
) -> None:
    answer = await api.patch(PATH, operations)
    assert answer.status == 400
    assert answer.json["code"] == "invalid_request"
    assert fake.segment("default", "production", "seg")["version"] == 1  # type: ignore[index]


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "replace", "path": "/name", "value": 5}],
        [{"op": "replace", "path": "/tags", "value": "a"}],
        [{"op": "add", "path": "/rules/0/clauses/0/op", "value": "resembles"}],
        [{"op": "add", "path": "/rules/0/weight", "value": 100001}],
        [{"op": "remove", "path": "/name"}],
    ],
)
async def test_invalid_results_are_422(api: Api, segment: dict[str, Any], operations: Any) -> None:
    answer = await api.patch(PATH, operations)
    assert answer.status == 422
    assert answer.json["code"] == "unprocessable_entity"


async def test_merge_patch(api: Api, segment: dict[str, Any]) -> None:
    answer = await api.patch(
        PATH, {"comment": "c", "merge": {"name": "Merged", "description": None, "tags": ["m"]}}
    )
    assert answer.status == 200
    assert answer.json["name"] == "Merged"
    assert "description" not in answer.json
    assert answer.json["tags"] == ["m"]


async def test_merge_patch_of_read_only_field_is_400(api: Api, segment: dict[str, Any]) -> None:
    answer = await api.patch(PATH, {"merge": {"version": 7}})
    assert answer.status == 400


async def test_dry_run_previews_without_saving(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    answer = await api.patch(
        f"{PATH}?dryRun=true", [{"op": "replace", "path": "/name", "value": "Preview"}]
    )
    assert answer.status == 200
    assert answer.json["name"] == "Preview"
    assert answer.json["version"] == 2
    stored = fake.segment("default", "production", "seg")
    assert stored is not None
    assert (stored["name"], stored["version"]) == ("Seg", 1)
    assert not fake.side_effects


async def test_unchanged_patch_keeps_version(
    fake: FakeLaunchDarkly, api: Api, segment: dict[str, Any]
) -> None:
    answer = await api.patch(PATH, [{"op": "replace", "path": "/name", "value": "Seg"}])
    assert answer.status == 200
    assert answer.json["version"] == 1
    assert not fake.side_effects


async def test_semantic_body_without_semantic_type_is_400(
    api: Api, segment: dict[str, Any]
) -> None:
    body = {"environmentKey": "production", "instructions": [{"kind": "addTags", "values": ["x"]}]}
    answer = await api.patch(PATH, body)
    assert answer.status == 400
    assert "semantic" in answer.json["message"]


async def test_big_segment_targets_are_not_json_patchable(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True, included=["k"])
    answer = await api.patch(
        f"{SEGMENTS}/big", [{"op": "add", "path": "/included", "value": ["x"]}]
    )
    assert answer.status == 422
    assert fake.big_segment_members("default", "production", "big") == {"k"}
