"""Issue 14: ``sync_big_segment`` on a big segment of 1,000,000 keys synced to a list
differing in 1% of them, and on 10,000,000 keys on each side (LaunchDarkly's export
limit): peak RSS growth, wall and CPU time of the client, requests and writes (counted
by the fake), against a baseline that holds both sides in memory as sets. Then the
difference alone, per million keys, against the same baseline.

The client runs in a fresh child process per workload (its peak RSS is its own), the
fake in another (``fake_server.py --big-members N``); the list wanted is a CSV file
written by this process.

    python benchmarks/bench_sync.py [--sizes 1000000 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fake_server import API_KEY, PROJECT, fake_stats, member_keys, running_fake_with_stats
from report import append, in_fresh_process, table

ENV = "env-00"
CHANGED = 0.01
BATCH = 1500
ROUTE_CONTEXTS = "POST /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}/contexts"
ROUTE_IMPORTS = "POST /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}/imports"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def wanted_range(size: int) -> tuple[int, int]:
    """The keys wanted: the members but the first 0.5%, and 0.5% new ones after them."""
    half = int(size * CHANGED / 2)
    return half, size + half


def write_wanted(path: Path, size: int) -> None:
    start, stop = wanted_range(size)
    with path.open("w") as handle:
        for first in range(start, stop, 100_000):
            keys = member_keys(first, min(first + 100_000, stop))
            handle.write("".join(key + "\n" for key in keys))


def measured(work: Any) -> Any:
    async def run() -> dict[str, Any]:
        before = peak_rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        result = await work()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return {**result, "wall": wall, "cpu": cpu, "rss_growth": peak_rss_mb() - before}

    return run


async def sync_workload(kind: str, url: str, wanted: str) -> dict[str, Any]:
    from ld_segments_async import SegmentsClient, _upload
    from ld_segments_async.jobs import PollSchedule

    poll = PollSchedule(first=0.2, cap=1.0)
    async with SegmentsClient(API_KEY, base_url=url, timeout=600) as ld:
        await ld.get_segment(PROJECT, ENV, "big")  # warm up: session, converter, imports

        async def sync() -> dict[str, Any]:
            report = await ld.sync_big_segment(PROJECT, ENV, "big", wanted, poll=poll)
            return {"method": report.method, "changed": report.added + report.removed}

        async def naive() -> dict[str, Any]:
            # The baseline: both sides held in memory as sets.
            present: set[str] = set()
            export_id = await ld.create_big_segment_export(PROJECT, ENV, "big")
            export = await ld.wait_for_big_segment_export(PROJECT, ENV, "big", export_id, poll=poll)
            async for key in ld.iter_big_segment_export_keys(export):
                present.add(key)
            desired: set[str] = set()
            async for batch in _upload.key_batches(wanted):
                desired.update(batch)
            changed = len(desired - present) + len(present - desired)
            return {"method": "(no write)", "changed": changed}

        return await measured(naive if kind == "naive" else sync)()  # type: ignore[no-any-return]


async def each(start: int, stop: int) -> AsyncIterator[str]:
    for first in range(start, stop, 16_384):
        for key in member_keys(first, min(first + 16_384, stop)):
            yield key


async def diff_workload(kind: str, size: int) -> dict[str, Any]:
    from ld_segments_async.reconcile.diff import KeyDiff

    start, stop = wanted_range(size)

    async def flat() -> dict[str, Any]:
        with KeyDiff() as diff:
            await diff.read_wanted(each(start, stop))
            await diff.read_present(each(0, size))
            await diff.compare()
            return {"changed": diff.added.count + diff.removed.count}

    async def naive() -> dict[str, Any]:
        desired = {key async for key in each(start, stop)}
        present = {key async for key in each(0, size)}
        return {"changed": len(desired - present) + len(present - desired)}

    return await measured(naive if kind == "naive" else flat)()  # type: ignore[no-any-return]


def end_to_end(sizes: list[int], folder: Path) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for size in sizes:
        wanted = folder / f"wanted-{size}.csv"
        write_wanted(wanted, size)
        limit = math.ceil(size * CHANGED / BATCH)
        with running_fake_with_stats("--big-members", str(size)) as (url, stats):
            for kind, label, allowed in (
                ("naive", "baseline: both sides in memory (no write)", "-"),
                ("sync", "sync_big_segment, 1% differs", limit),
                ("sync", "the same sync again", 0),
            ):
                fake_stats(stats)  # zero the counters
                result = in_fresh_process(
                    __file__, "--child", kind, "--url", url, "--wanted", str(wanted)
                )
                seen = fake_stats(stats)
                routes = seen["routes"]
                writes = routes.get(ROUTE_CONTEXTS, 0) + routes.get(ROUTE_IMPORTS, 0)
                rows.append(
                    (
                        f"{size:,}",
                        label,
                        result["method"],
                        f"{result['changed']:,}",
                        f"{result['wall']:.1f}",
                        f"{result['cpu']:.1f}",
                        f"{result['rss_growth']:.1f}",
                        seen["requests"] - 1,  # less the warm-up call
                        writes,
                        allowed,
                    )
                )
        wanted.unlink()
    return rows


def diff_alone(sizes: list[int]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for size in sizes:
        results = {
            kind: in_fresh_process(__file__, "--child", f"diff-{kind}", "--size", str(size))
            for kind in ("naive", "flat")
        }
        for kind, label in (("naive", "in-memory sets (baseline)"), ("flat", "KeyDiff (flat)")):
            result = results[kind]
            per_million = result["wall"] / (size / 1_000_000)
            rows.append(
                (
                    f"{size:,}",
                    label,
                    f"{result['wall']:.2f}",
                    f"{result['cpu']:.2f}",
                    f"{per_million:.2f}",
                    f"{result['rss_growth']:.1f}",
                    f"{result['rss_growth'] / results['naive']['rss_growth']:.3f}",
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--wanted")
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    if args.child and args.child.startswith("diff-"):
        result = asyncio.run(diff_workload(args.child.removeprefix("diff-"), args.size))
        print(json.dumps(result))
        return
    if args.child:
        print(json.dumps(asyncio.run(sync_workload(args.child, args.url, args.wanted))))
        return
    with tempfile.TemporaryDirectory() as folder:
        rows = end_to_end(args.sizes, Path(folder))
    sizes = " and ".join(f"{size:,}" for size in args.sizes)
    append(
        f"Sync a big segment: {sizes} keys, 1% different",
        table(
            [
                "keys each side",
                "workload",
                "method",
                "keys changed",
                "wall s",
                "CPU s",
                "peak RSS growth MB",
                "requests",
                "writes",
                "writes allowed",
            ],
            rows,
        )
        + "\n\nThe segment holds `key-000000000`... (seeded in the fake's process); the list"
        " wanted, a CSV file, drops its first 0.5% and adds as many new keys. Client in a"
        " fresh process per row, fake in another; requests and writes counted by the fake"
        " (writes: targeted updates and import uploads). Writes allowed: ceil(changed /"
        f" {BATCH}), the batch size. Targets: peak RSS growth <= 100 MB at 1,000,000 keys,"
        " <= 200 MB at 10,000,000.",
    )
    append(
        f"Sync: the difference alone, {sizes} keys each side",
        table(
            [
                "keys each side",
                "method",
                "wall s",
                "CPU s",
                "wall s per million keys",
                "peak RSS growth MB",
                "RSS vs baseline",
            ],
            diff_alone(args.sizes),
        )
        + "\n\nBoth sides from async generators in the client's process (no network): the"
        " keys wanted read, checked and spread to disk, the keys present likewise, then"
        " compared. Per million keys: wall time over the keys on one side.",
    )


if __name__ == "__main__":
    main()
