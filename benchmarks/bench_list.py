"""Issue 3 (a): list 10,000 segments from a fake answering each request in 20 ms.

Compares, in one run: our sequential walk, our walk with concurrency=8, and the
official ``launchdarkly_api`` client paging by hand (it has no iterator). Each walk runs
in a fresh process (the official client's import alone slows every garbage collection
of a process), rounds interleaved. Wall and CPU time of the client process; the fake
runs in another process.

    python benchmarks/bench_list.py [--segments 10000] [--latency 0.02] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable

from fake_server import API_KEY, PROJECT, running_fake
from report import append, in_fresh_process, table

from ld_segments_async import SegmentsClient

ENV = "env-00"
PAGE = 50


async def ours(url: str, concurrency: int) -> int:
    async with SegmentsClient(API_KEY, base_url=url) as ld:
        return len(
            [
                s
                async for s in ld.iter_segments(
                    PROJECT, ENV, page_size=PAGE, concurrency=concurrency
                )
            ]
        )


def official(url: str) -> int:
    import launchdarkly_api

    configuration = launchdarkly_api.Configuration(host=url, api_key={"ApiKey": API_KEY})
    with launchdarkly_api.ApiClient(configuration) as api_client:
        api = launchdarkly_api.SegmentsApi(api_client)
        count, offset = 0, 0
        while True:
            page = api.get_segments(PROJECT, ENV, limit=PAGE, offset=offset)
            count += len(page.items)
            offset += len(page.items)
            if len(page.items) < PAGE or offset >= (page.total_count or 0):
                return count


WALKS: dict[str, Callable[[str], int]] = {
    "ours, sequential": lambda url: asyncio.run(ours(url, 1)),
    "ours, concurrency=8": lambda url: asyncio.run(ours(url, 8)),
    "launchdarkly_api (official), sequential": official,
}


def child(name: str, url: str, expected: int) -> None:
    """In a fresh process: walk the whole collection, print wall and CPU seconds."""
    if name.startswith("launchdarkly_api"):
        import launchdarkly_api  # noqa: F401 - its import (seconds) is not what we time
    wall, cpu = time.perf_counter(), time.process_time()
    count = WALKS[name](url)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert count == expected, f"listed {count} of {expected}"
    print(json.dumps([wall, cpu]))


def measure(name: str, url: str, expected: int) -> tuple[float, float]:
    wall, cpu = in_fresh_process(
        __file__, "--child", name, "--url", url, "--expected", str(expected)
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--expected", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.expected)
        return
    expected = args.segments + 1  # the fake server also seeds one big segment
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in WALKS}
    with running_fake("--segments", str(args.segments), "--latency", str(args.latency)) as url:
        for _ in range(args.rounds):
            for name in WALKS:
                results[name].append(measure(name, url, expected))
    base = statistics.median(w for w, _ in results["ours, sequential"])
    official_wall = statistics.median(
        w for w, _ in results["launchdarkly_api (official), sequential"]
    )
    rows = []
    for name, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        rows.append(
            (name, f"{wall:.2f}", f"{cpu:.2f}", f"{wall / base:.3f}", f"{wall / official_wall:.3f}")
        )
    latency_ms = args.latency * 1000
    append(
        f"List {args.segments:,} segments, {latency_ms:.0f} ms per request, pages of {PAGE}",
        table(
            [
                "client",
                "wall s (median)",
                "client CPU s",
                "wall vs our sequential",
                "wall vs official",
            ],
            rows,
        )
        + f"\n\n{args.rounds} rounds each, interleaved, each walk in a fresh process; medians."
        " Targets: concurrency=8 at most 0.2x our sequential walk; our sequential walk no"
        " slower than the official client's.",
    )


if __name__ == "__main__":
    main()
