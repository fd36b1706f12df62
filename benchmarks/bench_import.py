"""Issue 4 (d): what importing the package costs: wall time and peak RSS of
``python -c "import X"`` for ld_segments_async, aiohttp (its own base) and the official
``launchdarkly_api``; fresh processes, rounds interleaved.

    python benchmarks/bench_import.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from report import append, table

MODULES = ("aiohttp", "ld_segments_async", "launchdarkly_api")
PROBE = "import resource, {module}; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def run(module: str) -> tuple[float, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, int(done.stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for module in MODULES:  # warm the file-system cache and .pyc files
        run(module)
    samples: dict[str, list[tuple[float, float]]] = {module: [] for module in MODULES}
    for _ in range(args.rounds):
        for module in MODULES:
            samples[module].append(run(module))
    base_wall = statistics.median(w for w, _ in samples["aiohttp"])
    base_rss = statistics.median(r for _, r in samples["aiohttp"])
    rows = []
    for module in MODULES:
        wall = statistics.median(w for w, _ in samples[module])
        rss = statistics.median(r for _, r in samples[module])
        rows.append(
            (
                f"import {module}",
                f"{wall * 1000:.0f}",
                f"{rss:.1f}",
                f"{wall / base_wall:.2f}",
                f"{rss / base_rss:.2f}",
            )
        )
    append(
        "Import cost",
        table(
            ["command", "wall ms (median)", "peak RSS MB", "wall vs aiohttp", "RSS vs aiohttp"],
            rows,
        )
        + f'\n\n`python -c "import X"`, {args.rounds} interleaved rounds, medians. Target:'
        " importing ld_segments_async at most 1.5x the wall time and RSS of importing aiohttp.",
    )


if __name__ == "__main__":
    main()
