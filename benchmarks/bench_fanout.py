"""Issue 4 (c): 2,000 ``get_segment`` calls over 40 environments against a fake that
allows 100 requests per 1-second window.

The theoretical minimum is 20 s (2,000 requests / 100 per window). Ours fans out with
``fan_out`` on one client (its governor reads the rate-limit headers); the official
``launchdarkly_api`` client runs the same calls on 16 threads with its defaults. Each
client runs in its own process; the fake counts the 429s it answered.

    python benchmarks/bench_fanout.py [--environments 40] [--per-environment 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

from fake_server import API_KEY, PROJECT, fake_stats, running_fake_with_stats
from report import append, in_fresh_process, table

from ld_segments_async import SegmentsClient, fan_out

LIMIT = 100
WINDOW = 1.0


def calls(environments: int, per_environment: int) -> list[tuple[str, str]]:
    return [
        (f"env-{e:02d}", f"segment-{s:05d}")
        for s in range(per_environment)
        for e in range(environments)
    ]


async def ours(url: str, work: list[tuple[str, str]]) -> int:
    async with SegmentsClient(API_KEY, base_url=url) as ld:
        results = await fan_out(work, lambda call: ld.get_segment(PROJECT, *call), concurrency=16)
    return sum(isinstance(result, Exception) for result in results)


def official(url: str, work: list[tuple[str, str]]) -> int:
    import launchdarkly_api

    configuration = launchdarkly_api.Configuration(host=url, api_key={"ApiKey": API_KEY})
    configuration.connection_pool_maxsize = 16
    with launchdarkly_api.ApiClient(configuration) as api_client:
        api = launchdarkly_api.SegmentsApi(api_client)

        def one(call: tuple[str, str]) -> bool:
            try:
                api.get_segment(PROJECT, *call)
            except launchdarkly_api.ApiException:
                return False
            return True

        with ThreadPoolExecutor(16) as pool:
            return sum(not ok for ok in pool.map(one, work))


def child(name: str, url: str, environments: int, per_environment: int) -> None:
    work = calls(environments, per_environment)
    if name == "official":
        import launchdarkly_api  # noqa: F401 - its import is not what we time
    started = time.perf_counter()
    failed = asyncio.run(ours(url, work)) if name == "ours" else official(url, work)
    print(json.dumps({"wall": time.perf_counter() - started, "failed": failed}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--environments", type=int, default=40)
    parser.add_argument("--per-environment", type=int, default=50)
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.environments, args.per_environment)
        return
    total = args.environments * args.per_environment
    minimum = total / LIMIT * WINDOW
    options = ["--environments", str(args.environments), "--segments", str(args.per_environment)]
    options += ["--rate-limit", str(LIMIT), "--window", str(WINDOW)]
    rows = []
    with running_fake_with_stats(*options) as (url, stats):
        for name, label in (
            ("ours", "ld_segments_async, fan_out(concurrency=16)"),
            ("official", "launchdarkly_api, 16 threads, defaults"),
        ):
            fake_stats(stats)  # reset the counters
            time.sleep(WINDOW)  # start in a fresh window
            result = in_fresh_process(
                __file__,
                "--child",
                name,
                "--url",
                url,
                "--environments",
                str(args.environments),
                "--per-environment",
                str(args.per_environment),
            )
            counters = fake_stats(stats)
            limited = counters["statuses"].get("429", 0)
            rows.append(
                (
                    label,
                    f"{result['wall']:.2f}",
                    f"{result['wall'] / minimum:.3f}",
                    counters["requests"],
                    limited,
                    f"{limited / counters['requests']:.1%}",
                    result["failed"],
                )
            )
    append(
        f"Rate-limited fan-out: {total:,} get_segment calls over {args.environments}"
        f" environments, {LIMIT} requests per {WINDOW:g} s window",
        table(
            ["client", "wall s", "vs minimum", "requests", "429s", "429 share", "calls failed"],
            rows,
        )
        + f"\n\nTheoretical minimum: {minimum:.0f} s. Targets: within 1.05x of it, under 1% of"
        " requests answered 429.",
    )


if __name__ == "__main__":
    main()
