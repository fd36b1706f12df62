"""Run a FakeLaunchDarkly in its own process for benchmarks.

    python benchmarks/fake_server.py --segments 10000 --latency 0.02
    python benchmarks/fake_server.py --big-members 1000000   # "big" holds key-000000000...

prints the fake's URL on the first line of stdout, then serves until killed. Benchmark
scripts start it with :func:`running_fake`, so that the server's CPU and memory are not
counted in the client's. :func:`fake_stats` reads (and resets) its counters through a
small control port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from ld_segments_async.testing import FakeLaunchDarkly, RateLimit

API_KEY = "api-benchmark"
PROJECT = "bench"


async def serve(args: argparse.Namespace) -> None:
    environments = [f"env-{n:02d}" for n in range(args.environments)]
    rate_limit = RateLimit(args.rate_limit, window=args.window) if args.rate_limit else None
    fake = FakeLaunchDarkly(
        api_key=API_KEY,
        projects={PROJECT: environments},
        latency=args.latency,
        rate_limit=rate_limit,
        record=False,
        job_polls_per_status=1,
    )
    async with fake:
        for environment in environments:
            for n in range(args.segments):
                fake.add_segment(PROJECT, environment, f"segment-{n:05d}", name=f"Segment {n}")
            fake.add_segment(
                PROJECT,
                environment,
                "big",
                unbounded=True,
                unboundedContextKind="user",
                included=member_keys(0, args.big_members),
            )
        control = await _control(fake)
        print(fake.url, control, flush=True)
        await asyncio.Event().wait()


def member_keys(start: int, stop: int) -> list[str]:
    """The keys ``--big-members`` seeds (and benchmarks compare with): ``key-000000042``."""
    return [f"key-{n:09d}" for n in range(start, stop)]


async def _control(fake: FakeLaunchDarkly) -> str:
    """A side port answering /stats with the fake's counters (and resetting them)."""

    async def stats(request: web.Request) -> web.Response:
        body = {
            "statuses": {str(k): v for k, v in fake.statuses.items()},
            "requests": sum(fake.requests.values()),
            "routes": dict(fake.requests),
            "max_in_flight": fake.max_in_flight,
        }
        fake.reset_counters()
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}/stats"


def fake_stats(control: str) -> dict[str, Any]:
    """The fake's counters since the last call."""
    with urllib.request.urlopen(control) as answer:  # noqa: S310 - a loopback URL we made
        return json.loads(answer.read())  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=0)
    parser.add_argument("--environments", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=0)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--big-members", type=int, default=0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


@contextlib.contextmanager
def running_fake(*options: str) -> Iterator[str]:
    """Start the fake in a subprocess; yield its URL; stop it."""
    with running_fake_with_stats(*options) as (url, _):
        yield url


@contextlib.contextmanager
def running_fake_with_stats(*options: str) -> Iterator[tuple[str, str]]:
    """Start the fake in a subprocess; yield its URL and its stats URL; stop it."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__)), *options], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if len(line) != 2:
            raise RuntimeError("the fake did not start")
        yield line[0], line[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
