"""A minimal LaunchDarkly stand-in for benchmarks, independent of the project's fake.

It answers ``GET /api/v2/segments/{p}/{e}/{s}`` with the same small segment every time
(about 1.5 KB), from a buffer built once, so that its own cost stays out of the way.
With ``--budget N`` it grants N requests per fixed window of ``--window`` seconds of
*its* clock (``--skew`` seconds off the machine's), sends
``X-Ratelimit-Global-Remaining``, ``X-Ratelimit-Reset`` (epoch ms) and ``Date`` on that
clock, and answers 429 with ``Retry-After`` once a window is spent, as LaunchDarkly
does. With ``--budget 0`` it sends no rate-limit headers at all.

    python benchmarks/window_server.py --budget 100 --window 1 --latency 0.01 --skew -5

prints its URL, then serves until killed. ``GET /_stats`` returns (and resets) the
counts: requests, answers by status, and the most requests any window received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import json
import math
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

SEGMENT = {
    "key": "segment",
    "name": "A segment of the benchmark",
    "description": "Served the same every time by the benchmark's minimal server.",
    "tags": ["benchmark", "static", "small"],
    "creationDate": 1_764_000_000_000,
    "lastModifiedDate": 1_764_000_000_000,
    "_links": {
        "self": {"href": "/api/v2/segments/bench/env/segment", "type": "application/json"},
        "parent": {"href": "/api/v2/segments/bench/env", "type": "application/json"},
    },
    "rules": [
        {
            "_id": "1c7bb7b6-8d67-4f79-8b19-f2c1a7a6c001",
            "clauses": [
                {
                    "_id": "0c7bb7b6-8d67-4f79-8b19-f2c1a7a6c002",
                    "attribute": "email",
                    "op": "endsWith",
                    "values": [".edu", ".ac.uk", ".example.org"],
                    "negate": False,
                    "contextKind": "user",
                }
            ],
            "description": "Universities",
        }
    ],
    "included": [f"user-{n:04d}" for n in range(20)],
    "excluded": [],
    "includedContexts": [{"contextKind": "org", "values": [f"org-{n}" for n in range(10)]}],
    "excludedContexts": [],
    "version": 12,
    "deleted": False,
    "generation": 3,
    "unbounded": False,
}
BODY = json.dumps(SEGMENT).encode()


class Windows:
    def __init__(self, budget: int, window: float, skew: float) -> None:
        self.budget, self.window, self.skew = budget, window, skew
        self.received: Counter[int] = Counter()
        self.statuses: Counter[int] = Counter()

    def admit(self) -> tuple[int, dict[str, str]]:
        now = time.time() + self.skew
        headers = {"Date": email.utils.formatdate(now, usegmt=True)}
        if not self.budget:
            self.statuses[200] += 1
            return 200, headers
        index = math.floor(now / self.window)
        self.received[index] += 1
        used = self.received[index]
        end = (index + 1) * self.window
        headers["X-Ratelimit-Global-Remaining"] = str(max(0, self.budget - used))
        headers["X-Ratelimit-Reset"] = str(int(end * 1000))
        status = 200 if used <= self.budget else 429
        if status == 429:
            headers["Retry-After"] = str(max(1, math.ceil(end - now)))
        self.statuses[status] += 1
        return status, headers

    def stats(self) -> dict[str, Any]:
        body = {
            "requests": sum(self.statuses.values()),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "most_in_a_window": max(self.received.values(), default=0),
        }
        self.received.clear()
        self.statuses.clear()
        return body


def app(windows: Windows, latency: float) -> web.Application:
    refused = json.dumps({"code": "rate_limited", "message": "Too many requests"}).encode()

    async def segment(request: web.Request) -> web.Response:
        if latency:
            await asyncio.sleep(latency)
        status, headers = windows.admit()
        body = BODY if status == 200 else refused
        return web.Response(
            body=body, status=status, headers=headers, content_type="application/json"
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(windows.stats())

    application = web.Application()
    application.router.add_get("/api/v2/segments/{p}/{e}/{s}", segment)
    application.router.add_get("/_stats", stats)
    return application


async def serve(args: argparse.Namespace) -> None:
    runner = web.AppRunner(app(Windows(args.budget, args.window, args.skew), args.latency))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


@contextlib.contextmanager
def running(*options: str) -> Iterator[str]:
    """Start the server in its own process; yield its URL; stop it."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__)), *options], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def stats(url: str) -> dict[str, Any]:
    """The server's counts since the last call."""
    with urllib.request.urlopen(f"{url}/_stats") as answer:  # noqa: S310 - our loopback URL
        return json.loads(answer.read())  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=int, default=0)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--skew", type=float, default=0.0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
