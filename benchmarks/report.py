"""Append a benchmark's results to benchmarks/RESULTS.md with the command and the machine."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("RESULTS.md")


def in_fresh_process(script: str, *args: str) -> Any:
    """Run ``script`` with ``args`` in a new interpreter and return the JSON it printed
    last: each client measured on its own heap, untouched by the others."""
    done = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def instructions(argv: Sequence[str], small: int, large: int) -> float | None:
    """Instructions one unit of work costs, counted by valgrind's callgrind: the command
    ``argv`` (which must take ``--count N`` and do N units) run with ``large`` and with
    ``small`` units, the difference over ``large - small`` (start-up cancels out).

    Counts do not depend on what else the machine runs, unlike times on a shared one.
    None when valgrind is not installed.
    """
    if shutil.which("valgrind") is None:
        return None

    def count(units: int) -> int:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                *argv,
                "--count",
                str(units),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        assert found is not None, done.stderr[-500:]
        return int(found.group(1))

    return (count(large) - count(small)) / (large - small)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def append(title: str, body: str) -> None:
    """Add a section to RESULTS.md (and print it)."""
    command = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"\n## {title}\n\n`{command}` — {when}, {machine()}\n\n{body}\n"
    print(section)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by the scripts in this folder.\n")
    with RESULTS.open("a") as handle:
        handle.write(section)
