"""Expiring targets (with partial failures) and context evaluation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from settings import ENV, PROJECT

from ld_segments_async import (
    BadRequestError,
    ContextInstanceSegmentMemberships,
    ExpiringTargetGetResponse,
    ExpiringTargetPatchResponse,
    ExpiringUserTargetGetResponse,
    ExpiringUserTargetPatchResponse,
    PartialPatchError,
    PatchSegmentExpiringTargetInputRep,
    PatchSegmentExpiringTargetInstruction,
    SegmentsClient,
    SemanticPatch,
)
from ld_segments_async import instructions as ins
from ld_segments_async.testing import FakeLaunchDarkly

IN_A_WEEK = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)
IN_A_MONTH = IN_A_WEEK + dt.timedelta(days=23)


@pytest.fixture
def segment(fake: FakeLaunchDarkly) -> str:
    fake.add_segment(
        PROJECT,
        ENV,
        "s",
        included=["u1", "u2"],
        includedContexts=[{"contextKind": "org", "values": ["acme"]}],
    )
    return "s"


async def test_schedule_update_and_cancel_expiring_context_targets(
    client: SegmentsClient, fake: FakeLaunchDarkly, segment: str
) -> None:
    result = await client.patch_expiring_targets_for_segment(
        PROJECT,
        ENV,
        segment,
        [
            ins.add_expiring_target(
                target_type="included", context_key="acme", context_kind="org", value=IN_A_WEEK
            )
        ],
    )
    assert isinstance(result, ExpiringTargetPatchResponse)
    assert not result.errors
    (target,) = result.items
    assert (target.context_key, target.context_kind, target.target_type) == (
        "acme",
        "org",
        "included",
    )
    assert target.expiration_date == int(IN_A_WEEK.timestamp() * 1000)
    exchange = fake.exchanges[-1]
    assert (
        exchange.request_content_type == "application/json; domain-model=launchdarkly.semanticpatch"
    )
    assert exchange.path.endswith(f"/{segment}/expiring-targets/{ENV}")

    await client.patch_expiring_targets_for_segment(
        PROJECT,
        ENV,
        segment,
        SemanticPatch(
            instructions=[
                ins.update_expiring_target(
                    target_type="included",
                    context_key="acme",
                    context_kind="org",
                    value=IN_A_MONTH,
                    version=target.version,
                )
            ],
            comment="extend",
        ),
    )
    listed = await client.get_expiring_targets_for_segment(PROJECT, ENV, segment)
    assert isinstance(listed, ExpiringTargetGetResponse)
    assert [t.expiration_date for t in listed.items] == [int(IN_A_MONTH.timestamp() * 1000)]

    await client.patch_expiring_targets_for_segment(
        PROJECT,
        ENV,
        segment,
        {
            "instructions": [
                ins.remove_expiring_target(
                    target_type="included", context_key="acme", context_kind="org"
                )
            ]
        },
    )
    assert (await client.get_expiring_targets_for_segment(PROJECT, ENV, segment)).items == []


async def test_model_bodies_are_accepted(client: SegmentsClient, segment: str) -> None:
    body = PatchSegmentExpiringTargetInputRep(
        instructions=[
            PatchSegmentExpiringTargetInstruction(
                kind="addExpiringTarget",
                context_key="u1",
                context_kind="user",
                target_type="included",
                value=int(IN_A_WEEK.timestamp() * 1000),
            )
        ],
        comment="from the model",
    )
    result = await client.patch_expiring_targets_for_segment(PROJECT, ENV, segment, body)
    assert [t.context_key for t in result.items] == ["u1"]


async def test_partial_failure_keeps_errors_and_applies_the_rest(
    client: SegmentsClient, fake: FakeLaunchDarkly, segment: str
) -> None:
    patch = [
        ins.add_expiring_target(target_type="included", context_key="u1", value=IN_A_WEEK),
        ins.add_expiring_target(target_type="included", context_key="stranger", value=IN_A_WEEK),
    ]

    result = await client.patch_expiring_targets_for_segment(PROJECT, ENV, segment, patch)

    assert [t.context_key for t in result.items] == ["u1"]
    assert result.errors is not None
    assert [e.instruction_index for e in result.errors] == [1]
    assert result.failed_instructions == 1
    assert result.successful_instructions == 1
    assert fake.exchanges[-1].status == 200


async def test_raise_on_partial(client: SegmentsClient, segment: str) -> None:
    patch = [
        ins.add_expiring_target(target_type="included", context_key="u2", value=IN_A_WEEK),
        ins.add_expiring_target(target_type="excluded", context_key="u2", value=IN_A_WEEK),
    ]
    with pytest.raises(PartialPatchError) as caught:
        await client.patch_expiring_targets_for_segment(
            PROJECT, ENV, segment, patch, raise_on_partial=True
        )
    assert [e.instruction_index for e in caught.value.errors] == [1]
    assert [t.context_key for t in caught.value.result.items] == ["u2"]
    assert "#1:" in str(caught.value)


async def test_malformed_expiring_patch(
    client: SegmentsClient, fake: FakeLaunchDarkly, segment: str
) -> None:
    with pytest.raises(ValueError, match="instructions"):
        await client.patch_expiring_targets_for_segment(PROJECT, ENV, segment, {"comment": "x"})
    with pytest.raises(BadRequestError):
        await client.patch_expiring_targets_for_segment(
            PROJECT, ENV, segment, [{"kind": "noSuchKind"}]
        )


async def test_user_variants_warn_and_work(
    client: SegmentsClient, fake: FakeLaunchDarkly, segment: str
) -> None:
    with pytest.warns(DeprecationWarning, match="patch_expiring_targets_for_segment"):
        result = await client.patch_expiring_user_targets_for_segment(
            PROJECT,
            ENV,
            segment,
            [
                ins.add_expire_user_target_date(
                    target_type="included", user_key="u1", value=IN_A_WEEK
                )
            ],
        )
    assert isinstance(result, ExpiringUserTargetPatchResponse)
    assert [t.user_key for t in result.items] == ["u1"]

    version = fake.segment(PROJECT, ENV, segment)["version"]
    with pytest.warns(DeprecationWarning, match="deprecated"):
        await client.patch_expiring_user_targets_for_segment(
            PROJECT,
            ENV,
            segment,
            [
                ins.update_expire_user_target_date(
                    target_type="included", user_key="u1", value=IN_A_MONTH, version=version
                ),
                ins.remove_expire_user_target_date(target_type="included", user_key="u2"),
            ],
        )
    with pytest.warns(DeprecationWarning, match="get_expiring_targets_for_segment"):
        listed = await client.get_expiring_user_targets_for_segment(PROJECT, ENV, segment)
    assert isinstance(listed, ExpiringUserTargetGetResponse)
    assert [t.expiration_date for t in listed.items] == [int(IN_A_MONTH.timestamp() * 1000)]


async def test_evaluate_a_context_against_every_segment(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "listed", included=["ada"])
    fake.add_segment(
        PROJECT,
        ENV,
        "students",
        rules=[
            {
                "clauses": [
                    {"attribute": "email", "op": "endsWith", "values": [".edu"], "negate": False}
                ]
            }
        ],
    )
    fake.add_segment(
        PROJECT, ENV, "orgs", includedContexts=[{"contextKind": "org", "values": ["acme"]}]
    )
    fake.add_segment(
        PROJECT,
        ENV,
        "banned",
        excluded=["ada"],
        rules=[{"clauses": [{"attribute": "key", "op": "in", "values": ["ada"], "negate": False}]}],
    )

    result = await client.get_context_instance_segments_membership_by_env(
        PROJECT,
        ENV,
        {"kind": "multi", "user": {"key": "ada", "email": "ada@uni.edu"}, "org": {"key": "acme"}},
    )

    assert isinstance(result, ContextInstanceSegmentMemberships)
    membership = {m.key: m for m in result.items}
    assert membership["listed"].is_member and membership["listed"].is_individually_targeted
    assert membership["students"].is_member and membership["students"].is_rule_targeted
    assert membership["orgs"].is_member
    assert not membership["banned"].is_member
    assert json.loads(fake.exchanges[-1].request_body)["user"]["key"] == "ada"


async def test_evaluate_needs_a_dict(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    with pytest.raises(TypeError, match="context"):
        await client.get_context_instance_segments_membership_by_env(PROJECT, ENV, ["ada"])  # type: ignore[arg-type]
    with pytest.raises(BadRequestError):
        await client.get_context_instance_segments_membership_by_env(PROJECT, ENV, {"kind": "user"})
