"""Issue 4 (d) and issue 6: what starting costs. Wall time and peak RSS, in fresh
processes with rounds interleaved, of

* ``import aiohttp`` (the base everything here stands on),
* ``import ld_segments_async`` (names load on first use) and
  ``from ld_segments_async import SegmentsClient`` (what a program does),
* ``import launchdarkly_api`` (the official client),
* ``ld-segments --help`` (the command line's startup).

    python benchmarks/bench_import.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from report import append, table

PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
SCRIPT = shutil.which("ld-segments") or str(Path(sys.executable).with_name("ld-segments"))
COMMANDS = {
    "import aiohttp": [sys.executable, "-c", f"import aiohttp; {PEAK}"],
    "import ld_segments_async": [sys.executable, "-c", f"import ld_segments_async; {PEAK}"],
    "from ld_segments_async import SegmentsClient": [
        sys.executable,
        "-c",
        f"from ld_segments_async import SegmentsClient; {PEAK}",
    ],
    "import launchdarkly_api": [sys.executable, "-c", f"import launchdarkly_api; {PEAK}"],
    "ld-segments --help": [SCRIPT, "--help"],
}


def run(command: list[str]) -> tuple[float, float | None]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1]
    return wall, int(last) / 1024 if last.isdigit() else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file-system cache and .pyc files
        run(command)
    samples: dict[str, list[tuple[float, float | None]]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            samples[name].append(run(command))
    base_wall = statistics.median(w for w, _ in samples["import aiohttp"])
    base_rss = statistics.median(r for _, r in samples["import aiohttp"] if r is not None)
    rows = []
    for name in COMMANDS:
        wall = statistics.median(w for w, _ in samples[name])
        peaks = [r for _, r in samples[name] if r is not None]
        rss = statistics.median(peaks) if peaks else None
        rows.append(
            (
                f"`{name}`",
                f"{wall * 1000:.0f}",
                f"{rss:.1f}" if rss is not None else "-",
                f"{wall / base_wall:.2f}",
                f"{rss / base_rss:.2f}" if rss is not None else "-",
            )
        )
    append(
        "Startup and import cost",
        table(
            ["command", "wall ms (median)", "peak RSS MB", "wall vs aiohttp", "RSS vs aiohttp"],
            rows,
        )
        + f"\n\nFresh processes, {args.rounds} interleaved rounds, medians. Targets: importing"
        " the package at most 1.5x the wall time and RSS of importing aiohttp;"
        ' `ld-segments --help` at most 1.5x the time of `python -c "import aiohttp"`.',
    )


if __name__ == "__main__":
    main()
