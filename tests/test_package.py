"""The package's public names: all importable, and loaded only when first used."""

from __future__ import annotations

import subprocess
import sys

import ld_segments_async


def test_every_public_name_resolves_from_where_the_package_says() -> None:
    lazy = set(ld_segments_async._HOMES)
    assert lazy | {"__version__"} == set(ld_segments_async.__all__)
    for name in ld_segments_async.__all__:
        assert getattr(ld_segments_async, name) is not None, name


def test_importing_the_package_or_the_command_line_loads_no_http_stack() -> None:
    script = (
        "import sys, ld_segments_async, ld_segments_async.cli\n"
        "print('aiohttp' in sys.modules)\n"
        "ld_segments_async.SegmentsClient\n"
        "print('aiohttp' in sys.modules)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "True"]
