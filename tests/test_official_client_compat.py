"""LaunchDarkly's own Python client (``launchdarkly_api``) against FakeLaunchDarkly.

The official client is generated from LaunchDarkly's OpenAPI document and validates every
answer with its pydantic models, so decoding each response kind here shows the fake
answers like LaunchDarkly, not like our client. It is synchronous (urllib3), so each
call runs in a thread while the fake serves on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import launchdarkly_api as ld
import pytest
from launchdarkly_api.exceptions import (
    ApiException,
    BadRequestException,
    ConflictException,
    NotFoundException,
    UnauthorizedException,
)
from launchdarkly_api.models import (
    BigSegmentTarget,
    ContextInstanceSegmentMemberships,
    Environments,
    ExpiringTargetGetResponse,
    ExpiringTargetPatchResponse,
    ExpiringUserTargetGetResponse,
    ExpiringUserTargetPatchResponse,
    Export,
    ModelImport,
    PatchOperation,
    PatchSegmentExpiringTargetInputRep,
    PatchSegmentExpiringTargetInstruction,
    PatchSegmentInstruction,
    PatchSegmentRequest,
    PatchWithComment,
    SegmentBody,
    SegmentUserList,
    SegmentUserState,
    UserSegment,
    UserSegments,
)
from spec_contract import check_exchanges

from ld_segments_async.testing import FakeLaunchDarkly, Fault

TOKEN = "compat-official-client-token"
P, E = "proj", "prod"
SEMANTIC = "application/json; domain-model=launchdarkly.semanticpatch"
WHEN = 1_900_000_000_000
T = TypeVar("T")


@pytest.fixture
async def ld_fake() -> AsyncIterator[FakeLaunchDarkly]:
    async with FakeLaunchDarkly(api_key=TOKEN, projects={P: [E, "staging"]}) as fake:
        yield fake
        check_exchanges(fake.exchanges)


@pytest.fixture
def api_client(ld_fake: FakeLaunchDarkly) -> Iterator[ld.ApiClient]:
    configuration = ld.Configuration(host=ld_fake.url, api_key={"ApiKey": TOKEN})
    client = ld.ApiClient(configuration)
    yield client
    client.rest_client.pool_manager.clear()


@pytest.fixture
def segments(api_client: ld.ApiClient) -> ld.SegmentsApi:
    return ld.SegmentsApi(api_client)


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call the synchronous client in a thread, off the fake's event loop."""
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))


async def test_environments(api_client: ld.ApiClient) -> None:
    environments = await run(ld.EnvironmentsApi(api_client).get_environments_by_project, P)
    assert isinstance(environments, Environments)
    assert [env.key for env in environments.items] == [E, "staging"]
    assert environments.items[0].api_key.startswith("sdk-")
    page = await run(
        ld.EnvironmentsApi(api_client).get_environments_by_project, P, limit=1, sort="-name"
    )
    assert [env.key for env in page.items] == ["staging"]
    assert page.links is not None
    assert "next" in page.links


async def test_segment_lifecycle(segments: ld.SegmentsApi) -> None:
    body = SegmentBody(key="beta/users?", name="Beta", description="Beta testers", tags=["t"])
    created = await run(segments.post_segment, P, E, body)
    assert isinstance(created, UserSegment)
    assert (created.key, created.description, created.version) == ("beta/users?", "Beta testers", 1)

    fetched = await run(segments.get_segment, P, E, "beta/users?")
    assert fetched.flags == []
    assert fetched.links["self"].href == f"/api/v2/segments/{P}/{E}/beta%2Fusers%3F"

    patch = PatchWithComment(
        comment="add a target",
        patch=[
            PatchOperation(op="test", path="/version", value=1),
            PatchOperation(op="add", path="/included/-", value="u1"),
            PatchOperation(
                op="add",
                path="/rules/-",
                value={"clauses": [{"attribute": "email", "op": "endsWith", "values": ["@x.com"]}]},
            ),
        ],
    )
    patched = await run(segments.patch_segment, P, E, "beta/users?", patch)
    assert patched.included == ["u1"]
    assert patched.version == 2
    assert patched.rules[0].clauses[0].id

    preview = await run(
        segments.patch_segment,
        P,
        E,
        "beta/users?",
        PatchWithComment(patch=[PatchOperation(op="replace", path="/name", value="Preview")]),
        dry_run=True,
    )
    assert preview.name == "Preview"
    assert (await run(segments.get_segment, P, E, "beta/users?")).name == "Beta"

    listed = await run(segments.get_segments, P, E, limit=5, sort="name", filter='tags anyOf ["t"]')
    assert isinstance(listed, UserSegments)
    assert [item.key for item in listed.items] == ["beta/users?"]
    assert listed.total_count == 1

    assert await run(segments.delete_segment, P, E, "beta/users?") is None
    with pytest.raises(NotFoundException):
        await run(segments.get_segment, P, E, "beta/users?")


async def test_error_statuses_raise_typed_exceptions(
    ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi, api_client: ld.ApiClient
) -> None:
    await run(segments.post_segment, P, E, SegmentBody(key="dup", name="Dup"))
    with pytest.raises(ConflictException) as conflict:
        await run(segments.post_segment, P, E, SegmentBody(key="dup", name="Dup"))
    assert conflict.value.status == 409
    assert "key_exists" in str(conflict.value.body)
    with pytest.raises(BadRequestException):
        await run(segments.get_segments, P, E, filter="tags anyOf")
    with pytest.raises(NotFoundException):
        await run(segments.get_segments, "nope", E)
    # urllib3 itself retries a 429 that has Retry-After, so send one without.
    ld_fake.inject(Fault.rate_limited(retry_after=None))
    with pytest.raises(ApiException) as limited:
        await run(segments.get_segment, P, E, "dup")
    assert limited.value.status == 429
    assert limited.value.headers is not None
    assert limited.value.headers["X-Ratelimit-Route-Remaining"] == "0"
    ld_fake.inject(Fault.status(503))
    with pytest.raises(ApiException) as unavailable:
        await run(segments.get_segment, P, E, "dup")
    assert unavailable.value.status == 503
    wrong = ld.ApiClient(ld.Configuration(host=ld_fake.url, api_key={"ApiKey": "wrong"}))
    with pytest.raises(UnauthorizedException):
        await run(ld.SegmentsApi(wrong).get_segment, P, E, "dup")
    wrong.rest_client.pool_manager.clear()


async def test_big_segment_targets_and_membership(
    ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi
) -> None:
    ld_fake.add_segment(P, E, "big", unbounded=True, unboundedContextKind="user")
    state = SegmentUserState(
        included=SegmentUserList(add=["c1", "c2"]), excluded=SegmentUserList(add=["c3"])
    )
    assert await run(segments.update_big_segment_context_targets, P, E, "big", state) is None
    users = SegmentUserState(included=SegmentUserList(remove=["c2"]))
    assert await run(segments.update_big_segment_targets, P, E, "big", users) is None
    member = await run(segments.get_segment_membership_for_context, P, E, "big", "c1")
    assert isinstance(member, BigSegmentTarget)
    assert (member.user_key, member.included, member.excluded) == ("c1", True, False)
    user = await run(segments.get_segment_membership_for_user, P, E, "big", "c3")
    assert (user.included, user.excluded) == (False, True)
    assert ld_fake.big_segment_members(P, E, "big") == {"c1"}


async def test_context_evaluation(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    ld_fake.add_segment(P, E, "listed", included=["u1"])
    ld_fake.add_segment(
        P, E, "ruled", rules=[{"clauses": [{"attribute": "plan", "op": "in", "values": ["pro"]}]}]
    )
    result = await run(
        segments.get_context_instance_segments_membership_by_env,
        P,
        E,
        {"kind": "user", "key": "u1", "plan": "free"},
    )
    assert isinstance(result, ContextInstanceSegmentMemberships)
    by_key = {item.key: item for item in result.items}
    assert by_key["listed"].is_member is True
    assert by_key["listed"].is_individually_targeted is True
    assert by_key["ruled"].is_member is False
    assert by_key["ruled"].description == ""


async def test_import_job(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    ld_fake.add_segment(P, E, "big", unbounded=True, included=["old"])
    created = await run(
        segments.create_big_segment_import_with_http_info,
        P,
        E,
        "big",
        file=("keys.csv", b"k1\nk2\n"),
        mode="replace",
        wait_on_approvals=False,
    )
    assert created.status_code == 204
    import_id = created.headers["Location"].rsplit("/", 1)[-1]
    statuses = []
    for _ in range(3):
        job = await run(segments.get_big_segment_import, P, E, "big", import_id)
        assert isinstance(job, ModelImport)
        statuses.append(job.status)
    assert statuses == ["in_progress", "complete", "complete"]
    assert job.mode == "replace"
    assert job.files is not None
    assert job.files[0].filename == "keys.csv"
    assert ld_fake.big_segment_members(P, E, "big") == {"k1", "k2"}
    with pytest.raises(BadRequestException):
        await run(segments.create_big_segment_import, P, E, "big", file=b"k", mode="upsert")


async def test_import_conflict(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    ld_fake.add_segment(P, E, "one", unbounded=True)
    ld_fake.add_segment(P, E, "two", unbounded=True)
    await run(segments.create_big_segment_import, P, E, "one", file=b"a\n")
    with pytest.raises(ConflictException):
        await run(segments.create_big_segment_import, P, E, "two", file=b"b\n")


async def test_export_job(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    ld_fake.add_segment(P, E, "big", unbounded=True, included=["k1", "k2"])
    created = await run(segments.create_big_segment_export_with_http_info, P, E, "big")
    assert created.status_code == 200
    assert created.data is None
    export_id = created.headers["Location"].rsplit("/", 1)[-1]
    jobs = [await run(segments.get_big_segment_export, P, E, "big", export_id) for _ in range(2)]
    assert all(isinstance(job, Export) for job in jobs)
    assert [job.status for job in jobs] == ["in_progress", "complete"]
    done = jobs[-1]
    assert done.size_bytes == len(b"k1\nk2\n")
    assert done.size == "6 B"
    [file_link] = [link for name, link in done.links.items() if name != "self"]
    assert file_link.type == "text/csv"
    assert file_link.href is not None
    assert file_link.href.startswith(ld_fake.url)


def expiring(kind: str, **fields: Any) -> PatchSegmentExpiringTargetInstruction:
    defaults = {"target_type": "included", "context_kind": "org", "context_key": "o1"}
    return PatchSegmentExpiringTargetInstruction(kind=kind, **{**defaults, **fields})


async def test_expiring_targets(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    ld_fake.add_segment(P, E, "seg", includedContexts=[{"contextKind": "org", "values": ["o1"]}])
    body = PatchSegmentExpiringTargetInputRep(
        comment="expire o1",
        instructions=[
            expiring("addExpiringTarget", value=WHEN),
            expiring("addExpiringTarget", context_key="stranger", value=WHEN),
            expiring("updateExpiringTarget", value=WHEN + 1, version=1),
        ],
    )
    result = await run(
        segments.patch_expiring_targets_for_segment, P, E, "seg", body, _content_type=SEMANTIC
    )
    assert isinstance(result, ExpiringTargetPatchResponse)
    assert (result.total_instructions, result.successful_instructions) == (3, 2)
    assert result.failed_instructions == 1
    assert result.errors is not None
    assert [error.instruction_index for error in result.errors] == [1]
    [item] = result.items
    assert (item.context_key, item.expiration_date, item.version) == ("o1", WHEN + 1, 2)
    assert item.resource_id.kind == "segment"
    listed = await run(segments.get_expiring_targets_for_segment, P, E, "seg")
    assert isinstance(listed, ExpiringTargetGetResponse)
    assert [entry.context_key for entry in listed.items] == ["o1"]
    with pytest.raises(BadRequestException):
        # Without the semantic-patch content type LaunchDarkly refuses the body.
        await run(segments.patch_expiring_targets_for_segment, P, E, "seg", body)


async def test_expiring_user_targets(ld_fake: FakeLaunchDarkly, segments: ld.SegmentsApi) -> None:
    segment = ld_fake.add_segment(P, E, "seg", included=["u1"])
    body = PatchSegmentRequest(
        instructions=[
            PatchSegmentInstruction(
                kind="addExpireUserTargetDate", user_key="u1", target_type="included", value=WHEN
            ),
            PatchSegmentInstruction(
                kind="updateExpireUserTargetDate",
                user_key="u1",
                target_type="included",
                value=WHEN + 9,
                version=segment["version"],
            ),
        ]
    )
    result = await run(
        segments.patch_expiring_user_targets_for_segment, P, E, "seg", body, _content_type=SEMANTIC
    )
    assert isinstance(result, ExpiringUserTargetPatchResponse)
    assert result.errors == []
    [item] = result.items
    assert (item.user_key, item.expiration_date) == ("u1", WHEN + 9)
    listed = await run(segments.get_expiring_user_targets_for_segment, P, E, "seg")
    assert isinstance(listed, ExpiringUserTargetGetResponse)
    assert [entry.user_key for entry in listed.items] == ["u1"]
