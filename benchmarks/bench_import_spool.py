"""Issue 11: every key of an import is read, checked and spooled to disk before the first
upload. Memory must stay flat whatever the size: 1,000,000 vs 10,000,000 keys, from an
async generator and from a CSV file with ``\\r`` line ends. Peak RSS growth, wall and
CPU time of preparing the files (what ``import_big_segment`` does before it sends
anything; the uploads then stream each file from disk).

Each workload runs in a fresh child process, so that its peak RSS is its own:

    python benchmarks/bench_import_spool.py [--small 1000000] [--large 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from report import append, in_fresh_process, table


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def keys(count: int) -> AsyncIterator[str]:
    for n in range(count):
        yield f"context-key-{n:08d}"


def write_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as handle:
        for start in range(0, count, 100_000):
            end = min(start + 100_000, count)
            handle.write("".join(f"context-key-{n:08d}\r" for n in range(start, end)))


def csv_path(folder: str, count: int) -> Path:
    return Path(folder) / f"keys-{count}.csv"


async def workload(kind: str, count: int, folder: str) -> dict[str, float]:
    from ld_segments_async._upload import prepare_files

    source: object = keys(count) if kind == "async generator" else csv_path(folder, count)
    before = peak_rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    files = await prepare_files(source)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    try:
        assert sum(f.keys for f in files) == count
        assert len(files) == -(-count // 1_000_000)
        spooled = sum(f.size for f in files) / 1024 / 1024
    finally:
        for f in files:
            f.close()
    return {"wall": wall, "cpu": cpu, "rss_growth": peak_rss_mb() - before, "data": spooled}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--child")
    parser.add_argument("--keys", type=int)
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(workload(args.child, args.keys, args.folder))))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count in (args.small, args.large):
            write_csv(csv_path(folder, count), count)
        for kind in ("async generator", "csv file, CR line ends"):
            results = {
                count: in_fresh_process(
                    __file__, "--child", kind, "--keys", str(count), "--folder", folder
                )
                for count in (args.small, args.large)
            }
            for count, result in results.items():
                rows.append(
                    (
                        kind,
                        f"{count:,}",
                        f"{result['data']:.0f}",
                        f"{result['wall']:.1f}",
                        f"{result['cpu']:.1f}",
                        f"{result['rss_growth']:.1f}",
                        f"{result['rss_growth'] / result['data']:.3f}",
                    )
                )
    append(
        f"Import preparation: {args.small:,} vs {args.large:,} keys checked and spooled",
        table(
            [
                "input",
                "keys",
                "data spooled MB",
                "wall s",
                "CPU s",
                "peak RSS growth MB",
                "RSS growth / data",
            ],
            rows,
        )
        + "\n\nEvery key read, checked and written to spooled temporary files (4 MB in"
        " memory each, then disk) before the first upload; files of 1,000,000 keys."
        " The CSV files are written by the parent process. Target: memory flat in the"
        " number of keys (RSS growth a small, falling fraction of the data).",
    )


if __name__ == "__main__":
    main()
