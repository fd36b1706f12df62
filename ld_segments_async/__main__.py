"""``python -m ld_segments_async demo``: the tour against an embedded fake."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ld-segments", description="LaunchDarkly Segments from the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="a tour of the client against an embedded fake LaunchDarkly")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo

        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
