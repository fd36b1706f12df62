"""The README's main job: ``python -m ld_segments_async demo`` runs the tour, exits 0."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_the_tour() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ld_segments_async", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for expected in (
        "created 'beta-users'",
        "import complete",
        "10000 keys downloaded",
        "PartialPatchError",
        "NotFoundError: 404 not_found",
        "ConflictError: 409 key_exists",
    ):
        assert expected in done.stdout
    assert "Traceback" not in done.stderr
