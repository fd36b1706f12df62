"""Run a FakeLaunchDarkly in its own process for benchmarks.

    python benchmarks/fake_server.py --segments 10000 --latency 0.02

prints the fake's URL on the first line of stdout, then serves until killed. Benchmark
scripts start it with :func:`running_fake`, so that the server's CPU and memory are not
counted in the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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
                PROJECT, environment, "big", unbounded=True, unboundedContextKind="user"
            )
        print(fake.url, flush=True)
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=0)
    parser.add_argument("--environments", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=0)
    parser.add_argument("--window", type=float, default=10.0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


@contextlib.contextmanager
def running_fake(*options: str) -> Iterator[str]:
    """Start the fake in a subprocess; yield its URL; stop it."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__)), *options], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError("the fake did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
