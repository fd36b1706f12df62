"""Issue 4 (a): client CPU per call for 3,000 ``get_segment`` calls at concurrency 64.

Compared in one run, rounds interleaved: our client; the floor (raw aiohttp +
``json.loads`` into dicts); and the official ``launchdarkly_api`` client, sequential
and on 16 threads. Each measurement runs in a fresh process (a warm-up pass, then the
measured pass), so no client pays for another's heap: importing the official client
alone makes every garbage collection of the process slower. CPU is the client
process's (user + system); the fake runs in yet another process.

    python benchmarks/bench_overhead.py [--calls 3000] [--rounds 5] [--server static]

``--server static`` measures against ``window_server.py`` (one small segment from a
prebuilt buffer, no rate-limit headers) instead of the project's fake: a server whose
own cost and headers are out of the picture. ``--instructions`` also counts the client
process's instructions per call (valgrind's callgrind) for ours and the floor: figures
that the load of a shared machine cannot move, as CPU times can.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from fake_server import API_KEY, PROJECT, running_fake
from report import append, in_fresh_process, instructions, table
from window_server import running as running_static

from ld_segments_async import SegmentsClient

ENV = "env-00"
CONCURRENCY = 64
KEYS = [f"segment-{n:05d}" for n in range(100)]


async def bounded(calls: int, one: Callable[[int], Awaitable[object]]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def call(n: int) -> None:
        async with gate:
            await one(n)

    await asyncio.gather(*(call(n) for n in range(calls)))


async def raw_aiohttp(url: str, calls: int) -> None:
    async with aiohttp.ClientSession() as session:

        async def one(n: int) -> object:
            path = f"{url}/api/v2/segments/{PROJECT}/{ENV}/{KEYS[n % len(KEYS)]}"
            async with session.get(path, headers={"Authorization": API_KEY}) as response:
                return json.loads(await response.read())

        await bounded(calls, one)


async def ours(url: str, calls: int) -> None:
    async with SegmentsClient(API_KEY, base_url=url) as ld:
        await bounded(calls, lambda n: ld.get_segment(PROJECT, ENV, KEYS[n % len(KEYS)]))


def official(url: str, calls: int, threads: int) -> None:
    import launchdarkly_api

    configuration = launchdarkly_api.Configuration(host=url, api_key={"ApiKey": API_KEY})
    configuration.connection_pool_maxsize = max(threads, 4)
    with launchdarkly_api.ApiClient(configuration) as api_client:
        api = launchdarkly_api.SegmentsApi(api_client)

        def one(n: int) -> object:
            return api.get_segment(PROJECT, ENV, KEYS[n % len(KEYS)])

        if threads == 1:
            for n in range(calls):
                one(n)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(one, range(calls)))


FLOOR = "raw aiohttp + json.loads (floor)"
OURS = "ld_segments_async"

CLIENTS: dict[str, Callable[[str, int], None]] = {
    "raw aiohttp + json.loads (floor)": lambda url, n: asyncio.run(raw_aiohttp(url, n)),
    "ld_segments_async": lambda url, n: asyncio.run(ours(url, n)),
    "launchdarkly_api, sequential": lambda url, n: official(url, n, 1),
    "launchdarkly_api, 16 threads": lambda url, n: official(url, n, 16),
}


def child(name: str, url: str, calls: int) -> None:
    """In a fresh process: warm up, then print the measured wall and CPU seconds."""
    run = CLIENTS[name]
    run(url, min(calls, 500))  # connections, imports, code generation
    wall, cpu = time.perf_counter(), time.process_time()
    run(url, calls)
    print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu]))


def measure(name: str, url: str, calls: int) -> tuple[float, float]:
    wall, cpu = in_fresh_process(__file__, "--child", name, "--url", url, "--calls", str(calls))
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--server", choices=("fake", "static"), default="fake")
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.child and args.count is not None:
        CLIENTS[args.child](args.url, args.count)  # under valgrind: just the calls
        return
    if args.child:
        child(args.child, args.url, args.calls)
        return
    clients = CLIENTS
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    server = running_static() if args.server == "static" else running_fake("--segments", "100")
    with server as url:
        for _ in range(args.rounds):
            for name in clients:
                samples[name].append(measure(name, url, args.calls))
        counted = {
            name: instructions([__file__, "--child", name, "--url", url], 200, 1200)
            for name in (FLOOR, OURS)
            if args.instructions
        }

    def cpu_us(name: str, pick: Callable[[list[float]], float] = min) -> float:
        return pick([cpu for _, cpu in samples[name]]) / args.calls * 1e6

    floor, ours_cpu = cpu_us(FLOOR), cpu_us(OURS)
    rows = []
    for name in clients:
        wall = statistics.median(w for w, _ in samples[name])
        rows.append(
            (
                name,
                f"{cpu_us(name):.0f}",
                f"{cpu_us(name, statistics.median):.0f}",
                f"{wall:.2f}",
                f"{cpu_us(name) / floor:.2f}",
                f"{ours_cpu / cpu_us(name):.2f}",
                f"{counted[name] / 1000:.0f}k" if name in counted else "-",
                f"{counted[name] / counted[FLOOR]:.3f}" if name in counted else "-",
            )
        )
    append(
        f"Per-call overhead: {args.calls:,} get_segment calls, concurrency {CONCURRENCY}"
        + (", minimal static server" if args.server == "static" else ""),
        table(
            [
                "client",
                "CPU µs/call (min)",
                "CPU µs/call (median)",
                "wall s (median)",
                "CPU vs floor",
                "ours / this",
                "instructions per call",
                "instructions vs floor",
            ],
            rows,
        )
        + f"\n\n{args.rounds} interleaved rounds, each client in a fresh process after a"
        " warm-up pass. Ratios use the minimum CPU time of the rounds: on a shared machine"
        " contention only ever adds time. Instructions (with --instructions): callgrind, 1,200"
        " calls less 200, over 1,000. Targets: ours at most 1.3x the floor and at most 0.5x"
        " the official client.",
    )


if __name__ == "__main__":
    main()
