"""Issue 5: the fault soak at length. 20,000 mixed calls (reads, list walks, creates,
patches, deletes, imports and exports with waits and downloads) while the fake fails a
fifth of its requests; the same workload and checks as ``tests/test_soak.py``.

    python benchmarks/soak.py [--calls 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from report import append, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from soak_workload import soak  # the workload lives beside the tests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    started = time.perf_counter()
    summary = asyncio.run(soak(args.calls, concurrency=args.concurrency, seed=args.seed))
    summary["wall s"] = f"{time.perf_counter() - started:.1f}"
    summary["connections held afterwards"] = 0  # soak() asserts the connector is empty
    append(
        f"Fault soak: {args.calls:,} calls, 20% of requests faulted",
        table(["measure", "value"], list(summary.items()))
        + "\n\nFaults: 500/502/503/504 (some after applying the write), an HTML 502,"
        " dropped connections and truncated bodies (before and after applying), answers"
        " slower than the 0.15 s read timeout, 429 without headers, three 429 with"
        " Retry-After. Every idempotent call succeeded; every write was applied once or"
        " reported failed (checked against the fake's state); no connection held.",
    )


if __name__ == "__main__":
    main()
