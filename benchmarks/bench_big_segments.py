"""Issue 3 (b): import 1,000,000 keys from an async generator, then export and download
them; peak RSS growth and wall time of the client process (the fake runs in another).

Each workload runs in a fresh child process, so that its peak RSS is its own:

    python benchmarks/bench_big_segments.py [--keys 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fake_server import API_KEY, PROJECT, running_fake
from report import append, in_fresh_process, table

ENV = "env-00"
FAST_POLL_FIRST = 0.2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def keys(count: int) -> AsyncIterator[str]:
    for n in range(count):
        yield f"context-key-{n:08d}"


async def workload(kind: str, url: str, count: int) -> dict[str, float]:
    from ld_segments_async import SegmentsClient
    from ld_segments_async.jobs import PollSchedule

    poll = PollSchedule(first=FAST_POLL_FIRST, cap=1.0)
    async with SegmentsClient(API_KEY, base_url=url, timeout=300) as ld:
        await ld.get_segment(PROJECT, ENV, "big")  # warm up: session, converter, imports
        before = peak_rss_mb()
        started = time.perf_counter()
        if kind == "import":
            job = await ld.import_big_segment(PROJECT, ENV, "big", keys(count), poll=poll)
            assert job.status == "complete", job
            found = count
        else:
            export_id = await ld.create_big_segment_export(PROJECT, ENV, "big")
            export = await ld.wait_for_big_segment_export(PROJECT, ENV, "big", export_id, poll=poll)
            with tempfile.TemporaryDirectory() as folder:
                path = await ld.download_big_segment_export(export, Path(folder) / "keys.csv")
                with path.open("rb") as handle:
                    found = sum(1 for _ in handle)
            if kind == "export+iterate":
                found = 0
                async for _ in ld.iter_big_segment_export_keys(export):
                    found += 1
        wall = time.perf_counter() - started
        assert found == count, f"{kind}: {found} of {count} keys"
        return {"wall": wall, "rss_growth": peak_rss_mb() - before}


def child(kind: str, url: str, count: int) -> dict[str, float]:
    result: dict[str, float] = in_fresh_process(
        __file__, "--child", kind, "--url", url, "--keys", str(count)
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(workload(args.child, args.url, args.keys))))
        return
    rows = []
    with running_fake() as url:
        for kind in ("import", "export+download", "export+iterate"):
            result = child(kind, url, args.keys)
            rows.append((kind, f"{result['wall']:.2f}", f"{result['rss_growth']:.1f}"))
    append(
        f"Big segment: {args.keys:,} keys in and out",
        table(["workload", "wall s", "peak RSS growth MB"], rows)
        + "\n\nRSS growth: the client process's peak RSS after the workload minus its peak"
        " before it (after a warm-up call). Import: keys from an async generator through"
        " `import_big_segment`; export: `download_big_segment_export` to a file, then"
        " `iter_big_segment_export_keys`.",
    )


if __name__ == "__main__":
    main()
