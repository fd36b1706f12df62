"""A short tour of the client against an embedded FakeLaunchDarkly (no account needed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from . import SegmentsClient
from . import instructions as ins
from .errors import ConflictError, NotFoundError, PartialPatchError
from .jobs import PollSchedule
from .models import Clause, Import, SegmentBody, SemanticPatch
from .testing import FakeLaunchDarkly

PROJECT = "demo"
ENV = "production"
FAST_POLL = PollSchedule(first=0.05, cap=0.2)  # the fake's jobs move on at every poll


def _step(title: str) -> None:
    print(f"\n== {title}")


async def _create_and_list(ld: SegmentsClient) -> None:
    _step("create three segments, then list them two per page")
    for key, tags in (("beta-users", ["beta"]), ("staff", ["internal"]), ("vip", [])):
        segment = await ld.post_segment(PROJECT, ENV, SegmentBody(key=key, name=key, tags=tags))
        print(f"created {segment.key!r} (version {segment.version}, tags {segment.tags})")
    async for segment in ld.iter_segments(PROJECT, ENV, page_size=2, sort="-name"):
        print(f"- {segment.key}")


async def _semantic_patch(ld: SegmentsClient) -> None:
    _step("semantic patch: a tag, a target and a rule in one atomic change")
    students = Clause(attribute="email", op="endsWith", values=["@example.edu"])
    patch = SemanticPatch(
        instructions=[
            ins.add_tags(values=["mobile"]),
            ins.add_included_targets(context_kind="user", values=["ada"]),
            ins.add_rule(clauses=[students], description="students"),
        ],
        comment="demo tour",
    )
    segment = await ld.patch_segment(PROJECT, ENV, "beta-users", patch)
    print(f"beta-users: version {segment.version}, tags {segment.tags}, {len(segment.rules)} rule")


async def _expiring_targets(ld: SegmentsClient) -> None:
    _step("expiring targets: LaunchDarkly applies what it can and reports the rest")
    in_a_week = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)
    patch = [
        ins.add_expiring_target(target_type="included", context_key="ada", value=in_a_week),
        ins.add_expiring_target(target_type="included", context_key="nobody", value=in_a_week),
    ]
    try:
        await ld.patch_expiring_targets_for_segment(
            PROJECT, ENV, "beta-users", patch, raise_on_partial=True
        )
    except PartialPatchError as error:
        print(f"PartialPatchError: {error}")
        print(f"scheduled anyway: {[target.context_key for target in error.result.items]}")


async def _big_segment(ld: SegmentsClient, folder: Path) -> None:
    _step("big segment: import 10,000 keys from a generator, then export them")
    body = SegmentBody(
        key="customers", name="Customers", unbounded=True, unbounded_context_kind="user"
    )
    await ld.post_segment(PROJECT, ENV, body)

    def progress(job: Import) -> None:
        print(f"  import {job.id[:8]}: {job.status}")

    started = time.perf_counter()
    keys = (f"customer-{n}" for n in range(10_000))
    job = await ld.import_big_segment(
        PROJECT, ENV, "customers", keys, mode="replace", on_progress=progress, poll=FAST_POLL
    )
    print(f"import {job.status} in {time.perf_counter() - started:.2f}s")
    member = await ld.get_segment_membership_for_context(PROJECT, ENV, "customers", "customer-42")
    print(f"customer-42 included: {member.included}")

    export_id = await ld.create_big_segment_export(PROJECT, ENV, "customers")
    export = await ld.wait_for_big_segment_export(
        PROJECT, ENV, "customers", export_id, poll=FAST_POLL
    )
    path = await ld.download_big_segment_export(export, folder / "customers.csv")
    count = len(path.read_text().splitlines())
    print(f"export {export.status} ({export.size}): {count} keys downloaded to {path.name}")


async def _errors(ld: SegmentsClient) -> None:
    _step("errors are typed and say what happened")
    try:
        await ld.get_segment(PROJECT, ENV, "no-such-segment")
    except NotFoundError as error:
        print(f"NotFoundError: {error}")
    try:
        await ld.post_segment(PROJECT, ENV, SegmentBody(key="vip", name="VIP again"))
    except ConflictError as error:
        print(f"ConflictError: {error}")


async def tour() -> None:
    """Create, list, patch, import, export and fail, printing what happens."""
    projects = {PROJECT: [ENV, "staging"]}
    async with FakeLaunchDarkly(projects=projects) as fake:
        print(f"FakeLaunchDarkly listening on {fake.url}")
        async with SegmentsClient(api_key="api-demo-token", base_url=fake.url) as ld:
            await _create_and_list(ld)
            await _semantic_patch(ld)
            await _expiring_targets(ld)
            with tempfile.TemporaryDirectory() as folder:
                await _big_segment(ld, Path(folder))
            await _errors(ld)
        print(f"\n{sum(fake.requests.values())} requests, all answered over real HTTP.")


def main() -> int:
    asyncio.run(tour())
    return 0
