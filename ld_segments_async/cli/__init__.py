"""``ld-segments``: bulk work on LaunchDarkly segments from the command line.

Parsing is all this package does at import, so that ``--help`` and usage errors come
back at once; the client (aiohttp and the rest) is loaded when a command runs. The exit
codes are in :mod:`.exits` (and ``--help``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from .exits import FAILED, INTERRUPTED, OUTPUT_CLOSED, USAGE, UsageError
from .parser import build_parser

__all__ = ["UsageError", "build_parser", "main"]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code of ``--help``, ``--version`` or a usage
    error (already printed)."""
    parser = build_parser()
    try:
        return parser.parse_args(argv)
    except BrokenPipeError:  # Python 3.10's argparse lets it out of --help
        return _closed(0)
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else USAGE
        try:
            sys.stdout.flush()  # `ld-segments --help | head -1`: a closed pipe, not an error
        except BrokenPipeError:
            return _closed(code)
        return code


def _closed(code: int) -> int:
    from .output import silence

    silence(sys.stdout)
    return OUTPUT_CLOSED if code == 0 else code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parse(argv)
    if isinstance(args, int):
        return args
    from .output import Output

    out = Output(quiet=getattr(args, "quiet", False), debug=getattr(args, "debug", False))
    try:
        from .commands import run

        code = asyncio.run(run(args, out, api_key=os.environ.get("LD_API_KEY")))
    except UsageError as error:
        out.error(str(error))
        code = USAGE
    except KeyboardInterrupt:
        out.error("interrupted")
        code = INTERRUPTED
    except Exception as error:  # the one line a person reads; --debug for the rest
        out.failure(error)
        code = FAILED
    return out.finish(code)
