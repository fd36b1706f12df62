"""``mypy --strict`` catches misuse of the client: run once over ``typing_misuse.py``, it
reports every line marked ``# misuse`` and no other."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mypy import api

HERE = Path(__file__).resolve().parent
MISUSES = HERE / "typing_misuse.py"
CONFIG = HERE.parent / "pyproject.toml"
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


def _marked() -> set[int]:
    lines = MISUSES.read_text().splitlines()
    return {number for number, line in enumerate(lines, start=1) if line.endswith("# misuse")}


def test_mypy_strict_reports_each_misuse_and_nothing_else() -> None:
    stdout, stderr, _ = api.run(
        [
            "--strict",
            "--config-file",
            str(CONFIG),
            "--cache-dir",
            os.devnull,  # nothing cached in the repository
            "--no-error-summary",
            "--show-error-codes",
            str(MISUSES),
        ]
    )
    assert not stderr, stderr
    reported: dict[int, list[str]] = {}
    elsewhere = []
    for line in stdout.splitlines():
        if not (match := _ERROR.match(line)):
            continue
        if Path(match["file"]).name != MISUSES.name:
            elsewhere.append(line)  # the package itself must check clean
        reported.setdefault(int(match["line"]), []).append(match["message"])
    assert not elsewhere, elsewhere
    marked = _marked()
    assert len(marked) >= 20
    missed = sorted(marked - set(reported))
    unexpected = {line: reported[line] for line in sorted(set(reported) - marked)}
    assert not missed, f"misuses mypy let through, lines {missed}"
    assert not unexpected, f"correct uses mypy rejects: {unexpected}"
