"""``ld-segments``: bulk work on LaunchDarkly segments from the command line.

Parsing is all this module does at import, so that ``--help`` and usage errors come
back at once; the client (aiohttp and the rest) is loaded when a command runs.
Exit codes: 0 all good, 1 some environments failed (they are listed), 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from collections.abc import Sequence

from ld_segments_async._version import __version__

__all__ = ["build_parser", "main"]

EXAMPLES = """\
examples:
  ld-segments demo
  ld-segments list -p proj --all-envs --filter 'tags anyOf ["beta"]'
  ld-segments copy -p proj --from production --to staging --to qa --dry-run
  ld-segments import -p proj -e production customers --file keys.csv --mode replace
  ld-segments export -p proj --all-envs customers --out exports/

The API key comes from LD_API_KEY (never from an argument: command lines end up in
shell histories and process lists); the API host from --base-url or LD_BASE_URL.
"""


class UsageError(Exception):
    """A mistake in the command line: exit code 2."""


def _environments(command: argparse.ArgumentParser) -> None:
    where = command.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "-e", "--env", action="append", metavar="ENV", help="an environment key (repeatable)"
    )
    where.add_argument("--all-envs", action="store_true", help="every environment of the project")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url", help="the API host (default $LD_BASE_URL or app.launchdarkly.com)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress, no notes")
    common.add_argument("--debug", action="store_true", help="print tracebacks of errors")
    common.add_argument("--concurrency", type=int, default=8, help="environments at once (8)")

    parser = argparse.ArgumentParser(
        prog="ld-segments",
        description="Bulk work on LaunchDarkly segments: list, copy, import, export...",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, *, per_env: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, parents=[common])
        if per_env:
            sub.add_argument("-p", "--project", required=True, help="the project key")
            _environments(sub)
        return sub

    listing = command("list", "list segments")
    listing.add_argument("--filter", help="LaunchDarkly's filter, e.g. 'tags anyOf [\"beta\"]'")
    listing.add_argument(
        "--sort", help="name, creationDate or lastModified; --sort=-name to descend"
    )
    output = listing.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON segment per line")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")

    get = command("get", "show a segment")
    get.add_argument("segment", help="the segment key")
    get.add_argument("--json", action="store_true", help="the full JSON")

    create = command("create", "create a segment")
    create.add_argument("segment", help="the segment key")
    create.add_argument("--name", help="its name (default: the key)")
    create.add_argument("--description")
    create.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    create.add_argument(
        "--big", metavar="CONTEXT_KIND", help="create a big segment of this context kind"
    )

    delete = command("delete", "delete a segment")
    delete.add_argument("segment", help="the segment key")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    patch = command("patch", "patch a segment: semantic instructions, JSON patch or merge patch")
    patch.add_argument("segment", help="the segment key")
    patch.add_argument("--file", required=True, help="a JSON file, or - for stdin")
    patch.add_argument("--comment", help="the audit-log comment")
    patch.add_argument("--dry-run", action="store_true", help="show the result, save nothing")

    copy = command("copy", "copy segment definitions from one environment to others", per_env=False)
    copy.add_argument("-p", "--project", required=True, help="the project key")
    copy.add_argument("--from", dest="source", required=True, metavar="ENV", help="the source")
    targets = copy.add_mutually_exclusive_group(required=True)
    targets.add_argument("--to", action="append", metavar="ENV", help="a target (repeatable)")
    targets.add_argument("--all-envs", action="store_true", help="every other environment")
    copy.add_argument(
        "--segment", action="append", metavar="KEY", help="only this segment (repeatable)"
    )
    copy.add_argument("--dry-run", action="store_true", help="show the differences, change nothing")

    export = command("export", "export a big segment's keys to CSV files")
    export.add_argument("segment", help="the segment key")
    export.add_argument("--out", default=".", help="the folder for the files (.)")
    export.add_argument("--timeout", type=float, default=3600, help="seconds to wait (3600)")
    export.add_argument("--poll", type=float, default=1.0, help="first wait between polls (1s)")

    imported = command("import", "import keys into a big segment")
    imported.add_argument("segment", help="the segment key")
    imported.add_argument(
        "--file", required=True, help="a CSV (keys in the first column), or - for stdin"
    )
    imported.add_argument("--mode", choices=("merge", "replace"), default="merge")
    imported.add_argument("--timeout", type=float, default=3600, help="seconds to wait (3600)")
    imported.add_argument("--poll", type=float, default=1.0, help="first wait between polls (1s)")

    members = command("members", "the segments a context belongs to")
    members.add_argument("context", help="the context key")
    members.add_argument("--kind", default="user", help="its context kind (user)")
    members.add_argument("--segment", help="only this big segment")

    fake = command("fake", "run a fake LaunchDarkly with demo data", per_env=False)
    fake.add_argument("--port", type=int, default=8765, help="the port on 127.0.0.1 (8765)")
    fake.add_argument("--environments", type=int, default=3, help="environments to seed (3)")

    command("demo", "a tour on an embedded fake LaunchDarkly", per_env=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    from .output import Output

    out = Output(quiet=args.quiet)
    try:
        from .commands import run

        return asyncio.run(run(args, out, api_key=os.environ.get("LD_API_KEY")))
    except UsageError as error:
        parser.print_usage(sys.stderr)
        out.error(str(error))
        return 2
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    except Exception as error:  # the one line a person reads; --debug for the rest
        if args.debug:
            traceback.print_exc()
        out.error(str(error) or type(error).__name__)
        return 1
