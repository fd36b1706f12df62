"""Issue 9: the rate-limit governor under the loads users put on it.

Every client runs in its own process against ``window_server.py`` (fixed windows on the
server's clock, LaunchDarkly's headers and ``Date``, 429 + ``Retry-After`` once a window
is spent) in yet another process. Clients use the defaults unless the row says otherwise.

* (a) 2,000 ``get_segment`` over 40 environments, 100 requests per 1 s window, 10 ms
  latency: plain ``asyncio.gather``, ``fan_out(concurrency=64)``, ``max_concurrency=16``;
* (b) 300 concurrent calls on a budget of 20 per 10 s window, 100 ms latency (with no
  total time limit, so that every call waits its turn);
* (c) 4 processes x 500 calls through plain gather, sharing one 100 per 1 s budget;
* (d) (a) with the server's clock -5 s, -0.5 s and +30 s off the client's;
* (s) (c) with ``rate_limit_share=0.25`` each, and one bulk process at ``share=0.5``
  beside a service making 100 calls.

    python benchmarks/bench_rate_limit.py [--only a,b,c,d,s]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from report import append, table
from window_server import running, stats

from ld_segments_async import RetryPolicy, SegmentsClient, fan_out

API_KEY = "api-benchmark"


async def client(mode: str, url: str, calls: int, share: float) -> dict[str, Any]:
    options: dict[str, Any] = {"rate_limit_share": share}
    if mode == "max16":
        options["max_concurrency"] = 16
    if mode == "patient":
        options["retry"] = RetryPolicy(total_timeout=None)
    work = [(f"env-{n % 40:02d}", f"segment-{n // 40:05d}") for n in range(calls)]
    async with SegmentsClient(API_KEY, base_url=url, **options) as ld:
        started = time.time()
        if mode == "fan_out64":
            results = await fan_out(work, lambda w: ld.get_segment("bench", *w), concurrency=64)
        else:
            results = await asyncio.gather(
                *(ld.get_segment("bench", *w) for w in work), return_exceptions=True
            )
        ended = time.time()
    errors = Counter(type(r).__name__ for r in results if isinstance(r, BaseException))
    return {"started": started, "ended": ended, "errors": dict(errors)}


def child(args: argparse.Namespace) -> None:
    time.sleep(max(0.0, args.start_at - time.time()))  # start together, imports done
    result = asyncio.run(client(args.child, args.url, args.calls, args.share))
    print(json.dumps(result))


def clients(url: str, runs: list[tuple[str, int, float]]) -> list[dict[str, Any]]:
    """Run one process per (mode, calls, share), started together; their results."""
    start_at = time.time() + 3.0
    processes = [
        subprocess.Popen(
            [
                *(sys.executable, __file__, "--child", mode, "--url", url),
                *("--calls", str(calls), "--share", str(share), "--start-at", str(start_at)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for mode, calls, share in runs
    ]
    results = []
    for process in processes:
        out, _ = process.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def row(
    label: str, server: str, runs: list[tuple[str, int, float]], minimum: float
) -> tuple[object, ...]:
    stats(server)  # reset the counts
    results = clients(server, runs)
    counts = stats(server)
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    refused = counts["statuses"].get("429", 0)
    failed: Counter[str] = Counter()
    for result in results:
        failed.update(result["errors"])
    return (
        label,
        f"{wall:.2f}",
        f"{wall / minimum:.3f}" if minimum else "-",
        counts["requests"],
        refused,
        f"{refused / max(1, counts['requests']):.2%}",
        sum(failed.values()) or 0,
        counts["most_in_a_window"],
        ", ".join(f"{r['ended'] - r['started']:.1f}" for r in results),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="a,b,c,d,s")
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    parts = set(args.only.split(","))
    rows = []
    fast = ["--budget", "100", "--window", "1", "--latency", "0.01"]
    if "a" in parts:
        with running(*fast) as url:
            for mode, label in (
                ("gather", "(a) asyncio.gather, defaults"),
                ("fan_out64", "(a) fan_out(concurrency=64)"),
                ("max16", "(a) max_concurrency=16, gather"),
            ):
                rows.append(row(label, url, [(mode, 2000, 1.0)], 20.0))
    if "b" in parts:
        with running("--budget", "20", "--window", "10", "--latency", "0.1") as url:
            rows.append(row("(b) 300 calls, 20 per 10 s", url, [("patient", 300, 1.0)], 150.0))
    if "c" in parts:
        with running(*fast) as url:
            rows.append(row("(c) 4 processes x 500, gather", url, [("gather", 500, 1.0)] * 4, 20.0))
    if "d" in parts:
        for skew in ("-5", "-0.5", "30"):
            with running(*fast, "--skew", skew) as url:
                label = f"(d) gather, server clock {float(skew):+g} s"
                rows.append(row(label, url, [("gather", 2000, 1.0)], 20.0))
    if "s" in parts:
        with running(*fast) as url:
            label = "(s) 4 processes x 500, share=0.25 each"
            rows.append(row(label, url, [("gather", 500, 0.25)] * 4, 20.0))
            label = "(s) bulk 1,000 at share=0.5 + a service's 100 calls"
            rows.append(row(label, url, [("gather", 1000, 0.5), ("gather", 100, 1.0)], 0))
    append(
        "Rate-limit governor: plain gather, fan-out, several processes, skewed clocks",
        table(
            [
                "workload",
                "wall s",
                "vs minimum",
                "requests",
                "429s",
                "429 share",
                "calls failed",
                "most in a window",
                "wall s per process",
            ],
            rows,
        )
        + "\n\nEach client in its own process, the server (`window_server.py`: fixed windows"
        " on its own clock, LaunchDarkly's headers and `Date`) in another. Wall: first call"
        " to last answer over all processes. Minimum: calls / budget x window. Targets:"
        " (a) <= 1.05x, < 1% 429, 0 failed; (b) no window over 20; (c) <= 1.10x, < 2% 429,"
        " 0 failed; (d) <= 1.15x, < 2% 429, 0 failed.",
    )


if __name__ == "__main__":
    main()
