"""What ``mypy --strict`` must catch: each line marked ``# misuse`` is a mistake it
reports; every other line is correct use (the README's included) that must pass.

Checked by ``test_typing.py``; never imported or run.
"""

from __future__ import annotations

from ld_segments_async import (
    Export,
    Import,
    PatchOperation,
    PollSchedule,
    RetryPolicy,
    SegmentsClient,
    SemanticPatch,
    UserSegment,
    fan_out,
)
from ld_segments_async import instructions as ins
from ld_segments_async.filters import any_of, equals, sort_by

p, e, s = "proj", "production", "beta"


async def misuses(ld: SegmentsClient, segment: UserSegment) -> None:
    await ld.patch_segment(p, e, s, 42)  # misuse
    await ld.patch_segment(p, e, s, "replace name")  # misuse
    await ld.patch_segment(p, e, s, ins.add_tags(values=["x"]))  # misuse
    await ld.patch_segment(p, e, s, [{"op": "add"}], dry_run="yes")  # misuse
    await ld.get_segments(p, e, filter=42)  # misuse
    await ld.get_segments(p, e, sort=["name"])  # misuse
    await ld.iter_segments(p, e, filter=any_of("tags", ["a"]), sort=1).__anext__()  # misuse
    await ld.create_big_segment_import(p, e, s, ["k"], mode="replac")  # misuse
    await ld.import_big_segment(p, e, s, ["k"], "Replace")  # misuse
    await ld.import_big_segment(p, e, s, 42)  # misuse
    await ld.import_big_segment(p, e, s, ["k"], poll="0.2")  # misuse
    await ld.patch_expiring_targets_for_segment(p, e, s, 42)  # misuse
    await ld.post_segment(p, e, "beta")  # misuse
    await ld.get_segment(p, e, 42)  # misuse
    await ld.wait_for_big_segment_export(p, e, s, "id", on_progress=lambda job: job.mode)  # misuse
    await ld.with_raw_response.get_segment(p, e)  # misuse
    print((await ld.with_raw_response.get_segment(p, e, s)).parse().nonexistent)  # misuse
    await ld.export_big_segment(p, e, s, 42)  # misuse
    await fan_out([e], lambda env: ld.get_segment(p, env, s), on_progress=lambda n: n)  # misuse
    len(segment.included_contexts)  # misuse
    segment.description.upper()  # misuse
    PollSchedule(first="1")  # misuse


async def correct_uses(ld: SegmentsClient, segment: UserSegment, envs: list[str]) -> None:
    await ld.patch_segment(p, e, s, [ins.add_tags(values=["x"]), ins.update_name(value="n")])
    await ld.patch_segment(p, e, s, [PatchOperation(op="replace", path="/name", value="n")])
    await ld.patch_segment(p, e, s, [{"op": "add", "path": "/tags/-", "value": "x"}])
    await ld.patch_segment(p, e, s, {"name": "n"}, dry_run=True)
    await ld.patch_segment(p, e, s, SemanticPatch(instructions=[ins.add_tags(values=["x"])]))
    await ld.get_segments(p, e, sort=sort_by("name"), filter=any_of("tags", ["a"]))
    await ld.get_segments(p, e, 10, 0, "-name", 'tags anyOf ["a"]')
    walk = ld.iter_segments(p, e, sort="name", filter=equals("unbounded", False))
    first: UserSegment = await walk.__anext__()
    await ld.import_big_segment(p, e, s, ["k"], mode="replace", timeout=3600, on_progress=print)
    await ld.import_big_segment(p, e, s, "keys.csv", poll=0.2)
    await ld.import_big_segment(p, e, s, b"ada\n", poll=PollSchedule(first=5, factor=1))
    job = await ld.wait_for_big_segment_import(p, e, s, "id", on_progress=lambda j: print(j.status))

    async def report(job: Import) -> None:
        print(job.status)

    await ld.wait_for_big_segment_import(p, e, s, "id", on_progress=report)
    export: Export = await ld.wait_for_big_segment_export(p, e, s, "id", timeout=600)
    await fan_out(envs, lambda env: ld.get_segment(p, env, s), on_progress=lambda done, total: ...)
    path = await ld.export_big_segment(p, e, s, "customers.csv", timeout=600, on_progress=print)
    async for key in ld.iter_big_segment_keys(p, e, s, timeout=600):
        print(key.upper())
    raw = await ld.with_raw_response.get_segment(p, e, s)
    parsed: UserSegment = raw.parse()
    left: int | None = raw.rate_limit.global_remaining
    deleted: None = (await ld.with_raw_response.delete_segment(p, e, s)).parse()
    ld.with_options(retry=RetryPolicy.disabled(), timeout=5)
    len(segment.tags) + len(segment.included_contexts or [])
    print(first, job, export, path, parsed, left, deleted, segment.to_dict())
