"""The segment operations: list, get, create, the three patch formats, delete."""

from __future__ import annotations

import json

import pytest
from settings import ENV, PROJECT

from ld_segments_async import (
    BadRequestError,
    ConflictError,
    MergePatch,
    NotFoundError,
    PatchOperation,
    PatchWithComment,
    SegmentBody,
    SegmentsClient,
    SemanticPatch,
    UserSegment,
    UserSegments,
)
from ld_segments_async import instructions as ins
from ld_segments_async.testing import FakeLaunchDarkly

SEGMENT_ROUTE = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


def last_exchange(fake: FakeLaunchDarkly, method: str) -> object:
    return [e for e in fake.exchanges if e.method == method][-1]


async def test_post_segment_creates_and_returns_the_segment(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    created = await client.post_segment(
        PROJECT, ENV, SegmentBody(key="beta", name="Beta", description="testers", tags=["t"])
    )

    assert isinstance(created, UserSegment)
    assert (created.key, created.name, created.description, created.tags) == (
        "beta",
        "Beta",
        "testers",
        ["t"],
    )
    assert created.version == 1
    assert fake.segment(PROJECT, ENV, "beta") is not None
    assert fake.side_effects["create_segment"] == 1
    exchange = last_exchange(fake, "POST")
    assert exchange.status == 201
    # Unset optional fields are not sent.
    assert json.loads(exchange.request_body) == {
        "key": "beta",
        "name": "Beta",
        "description": "testers",
        "tags": ["t"],
    }


async def test_post_segment_accepts_a_plain_dict(client: SegmentsClient) -> None:
    created = await client.post_segment(PROJECT, ENV, {"key": "k", "name": "K"})
    assert created.key == "k"


async def test_post_segment_twice_is_a_conflict(client: SegmentsClient) -> None:
    await client.post_segment(PROJECT, ENV, SegmentBody(key="dup", name="Dup"))
    with pytest.raises(ConflictError) as caught:
        await client.post_segment(PROJECT, ENV, SegmentBody(key="dup", name="Dup"))
    assert caught.value.code == "key_exists"
    assert caught.value.status == 409


async def test_get_segment_returns_the_model(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s1", name="One", tags=["a"], included=["u1"])

    segment = await client.get_segment(PROJECT, ENV, "s1")

    assert (segment.key, segment.name, segment.tags, segment.included) == (
        "s1",
        "One",
        ["a"],
        ["u1"],
    )
    assert segment.links["self"].href
    assert isinstance(segment.creation_date, int)


async def test_get_segment_missing_is_not_found(client: SegmentsClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get_segment(PROJECT, ENV, "missing")
    assert caught.value.request_id
    assert "GET /api/v2/segments/proj/production/missing" in str(caught.value)


async def test_get_segments_pages_with_limit_offset_sort_and_filter(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    for name in ("c", "a", "b", "d"):
        fake.add_segment(PROJECT, ENV, name, tags=["x"] if name != "d" else [])

    page = await client.get_segments(
        PROJECT, ENV, limit=2, offset=1, sort="name", filter='tags anyOf ["x"]'
    )

    assert isinstance(page, UserSegments)
    assert [s.key for s in page.items] == ["b", "c"]
    assert page.total_count == 3
    assert "next" not in page.links and "prev" in page.links
    sent = last_exchange(fake, "GET")
    assert sent.query == {"limit": "2", "offset": "1", "sort": "name", "filter": 'tags anyOf ["x"]'}


@pytest.mark.parametrize(("limit", "offset"), [(0, None), (-1, None), (None, -5), (True, None)])
async def test_get_segments_rejects_bad_paging_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, limit: int | None, offset: int | None
) -> None:
    with pytest.raises(ValueError, match=r"limit|offset"):
        await client.get_segments(PROJECT, ENV, limit=limit, offset=offset)
    assert fake.exchanges == []


async def test_patch_segment_json_patch_list(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", name="Old")

    patched = await client.patch_segment(
        PROJECT,
        ENV,
        "s",
        [
            PatchOperation(op="test", path="/version", value=1),
            PatchOperation(op="replace", path="/name", value="New"),
            {"op": "add", "path": "/tags/-", "value": "t"},
        ],
    )

    assert (patched.name, patched.tags, patched.version) == ("New", ["t"], 2)
    exchange = last_exchange(fake, "PATCH")
    assert exchange.request_content_type == "application/json"
    body = json.loads(exchange.request_body)
    assert body["patch"][0] == {"op": "test", "path": "/version", "value": 1}


async def test_patch_segment_json_patch_with_comment_and_explicit_null(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", description="to clear")

    patched = await client.patch_segment(
        PROJECT,
        ENV,
        "s",
        PatchWithComment(
            patch=[PatchOperation(op="replace", path="/description", value=None)], comment="why"
        ),
    )

    assert patched.description is None
    body = json.loads(last_exchange(fake, "PATCH").request_body)
    assert body == {
        "patch": [{"op": "replace", "path": "/description", "value": None}],
        "comment": "why",
    }


async def test_failed_test_operation_is_a_conflict_and_changes_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", name="Old")
    with pytest.raises(ConflictError):
        await client.patch_segment(
            PROJECT,
            ENV,
            "s",
            [
                {"op": "test", "path": "/version", "value": 7},
                {"op": "replace", "path": "/name", "value": "X"},
            ],
        )
    assert fake.segment(PROJECT, ENV, "s")["name"] == "Old"
    # 409 is never retried.
    assert fake.requests[f"PATCH {SEGMENT_ROUTE}"] == 1


@pytest.mark.parametrize(
    "patch",
    [
        MergePatch(merge={"name": "Merged"}, comment="c"),
        {"merge": {"name": "Merged"}},
        {"name": "Merged"},
    ],
    ids=["model", "dict-with-merge", "bare-dict"],
)
async def test_patch_segment_merge_patch(
    client: SegmentsClient, fake: FakeLaunchDarkly, patch: object
) -> None:
    fake.add_segment(PROJECT, ENV, "s", name="Old")

    patched = await client.patch_segment(PROJECT, ENV, "s", patch)

    assert patched.name == "Merged"
    sent = json.loads(last_exchange(fake, "PATCH").request_body)
    # A bare dict is sent as the RFC 7386 document it is; the others carry "merge".
    assert sent == {"name": "Merged"} if patch == {"name": "Merged"} else "merge" in sent


@pytest.mark.parametrize(
    "wrap",
    [
        lambda items: items,
        lambda items: SemanticPatch(instructions=items, comment="c"),
        lambda items: {"instructions": items},
    ],
    ids=["list", "model", "dict"],
)
async def test_patch_segment_semantic_patch_fills_environment_and_content_type(
    client: SegmentsClient, fake: FakeLaunchDarkly, wrap: object
) -> None:
    fake.add_segment(PROJECT, ENV, "s")

    patched = await client.patch_segment(
        PROJECT, ENV, "s", wrap([ins.add_tags(values=["a"]), {"kind": "updateName", "value": "N"}])
    )

    assert (patched.tags, patched.name) == (["a"], "N")
    exchange = last_exchange(fake, "PATCH")
    assert (
        exchange.request_content_type == "application/json; domain-model=launchdarkly.semanticpatch"
    )
    body = json.loads(exchange.request_body)
    assert body["environmentKey"] == ENV
    assert body["instructions"][0] == {"kind": "addTags", "values": ["a"]}


async def test_semantic_patch_for_another_environment_is_refused(client: SegmentsClient) -> None:
    with pytest.raises(ValueError, match="environment"):
        await client.patch_segment(
            PROJECT,
            ENV,
            "s",
            SemanticPatch(instructions=[ins.add_tags(values=["a"])], environment_key="staging"),
        )


async def test_semantic_body_without_semantic_content_type_is_a_400(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    """What the official client does by default: LaunchDarkly reads it as a JSON patch."""
    fake.add_segment(PROJECT, ENV, "s")
    session = client._transport.session()
    async with session.patch(
        f"{fake.url}/api/v2/segments/{PROJECT}/{ENV}/s",
        json={"environmentKey": ENV, "instructions": [{"kind": "addTags", "values": ["a"]}]},
        headers={"Authorization": client._transport._credential.authorization},
    ) as response:
        assert response.status == 400


async def test_invalid_semantic_patch_is_atomic(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", tags=[])
    with pytest.raises(BadRequestError):
        await client.patch_segment(
            PROJECT,
            ENV,
            "s",
            [ins.add_tags(values=["a"]), ins.remove_rule(rule_id="nope"), {"kind": "noSuchKind"}],
        )
    assert fake.segment(PROJECT, ENV, "s")["tags"] == []


async def test_dry_run_previews_without_saving(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", name="Old")

    preview = await client.patch_segment(
        PROJECT, ENV, "s", [ins.update_name(value="New")], dry_run=True
    )

    assert preview.name == "New"
    assert fake.segment(PROJECT, ENV, "s")["name"] == "Old"
    assert last_exchange(fake, "PATCH").query == {"dryRun": "true"}


@pytest.mark.parametrize(
    "patch",
    [
        [],
        {},
        [{"op": "add", "path": "/tags/-", "value": "x"}, {"kind": "addTags"}],
        [{"nothing": 1}],
        "text",
        42,
    ],
)
async def test_bad_patches_fail_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, patch: object
) -> None:
    with pytest.raises((ValueError, TypeError)):
        await client.patch_segment(PROJECT, ENV, "s", patch)
    assert fake.exchanges == []


async def test_delete_segment(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "gone")

    assert await client.delete_segment(PROJECT, ENV, "gone") is None

    assert fake.segment(PROJECT, ENV, "gone") is None
    assert last_exchange(fake, "DELETE").status == 204
    with pytest.raises(NotFoundError):
        await client.delete_segment(PROJECT, ENV, "gone")


async def test_unknown_project_or_environment_is_not_found(client: SegmentsClient) -> None:
    with pytest.raises(NotFoundError):
        await client.get_segments("nope", ENV)
    with pytest.raises(NotFoundError):
        await client.get_segments(PROJECT, "nope")


@pytest.mark.parametrize(
    "key", ["a/b", "100%", "what?", "#tag", "..", ".", "sp ace", "ünï", "🚀", "a+b&c=d"]
)
async def test_path_keys_are_percent_encoded(
    client: SegmentsClient, fake: FakeLaunchDarkly, key: str
) -> None:
    await client.post_segment(PROJECT, ENV, SegmentBody(key=key, name="n"))

    fetched = await client.get_segment(PROJECT, ENV, key)
    patched = await client.patch_segment(PROJECT, ENV, key, [ins.add_tags(values=["t"])])
    await client.delete_segment(PROJECT, ENV, key)

    assert fetched.key == key and patched.key == key
    assert fake.segment(PROJECT, ENV, key) is None


@pytest.mark.parametrize("bad", ["", None, 5])
async def test_empty_or_non_string_keys_fail_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, bad: object
) -> None:
    with pytest.raises((ValueError, TypeError), match="segment_key"):
        await client.get_segment(PROJECT, ENV, bad)  # type: ignore[arg-type]
    assert fake.exchanges == []


async def test_official_client_models_are_accepted(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    import launchdarkly_api

    await client.post_segment(PROJECT, ENV, launchdarkly_api.SegmentBody(key="k", name="K"))
    patch = launchdarkly_api.PatchWithComment(
        patch=[launchdarkly_api.PatchOperation(op="replace", path="/name", value="New")],
        comment="migrated",
    )
    patched = await client.patch_segment(PROJECT, ENV, "k", patch)
    assert patched.name == "New"
    assert json.loads(last_exchange(fake, "PATCH").request_body)["comment"] == "migrated"


async def test_patch_with_comment_takes_plain_operations(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s", tags=[])
    patch = PatchWithComment(patch=[{"op": "add", "path": "/tags/-", "value": "t"}])
    assert (await client.patch_segment(PROJECT, ENV, "s", patch)).tags == ["t"]


@pytest.mark.parametrize(("key", "wire"), [("..", "%2E%2E"), (".", "%2E"), ("a/b", "a%2Fb")])
async def test_keys_that_would_change_the_path_are_escaped_on_the_wire(
    client: SegmentsClient, fake: FakeLaunchDarkly, key: str, wire: str
) -> None:
    """A proxy normalising dot-segments or slashes must not see another resource."""
    fake.add_segment(PROJECT, ENV, key)
    await client.get_segment(PROJECT, ENV, key)
    assert fake.exchanges[-1].path == f"/api/v2/segments/{PROJECT}/{ENV}/{wire}"
