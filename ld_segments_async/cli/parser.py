"""The command line's grammar: every command, option and default, and the checks a
value gets before anything is sent (a bad value is a usage error, exit code 2)."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable

from ld_segments_async._version import __version__

from .exits import exit_code_help

__all__ = ["DEFAULT_PROJECT", "MAX_TARGET_OPERATIONS", "build_parser"]

DEFAULT_PROJECT = "proj"
"""The project ``ld-segments fake`` seeds unless told otherwise (the README's)."""

EXAMPLES = """\
examples:
  ld-segments fake                       # a fake LaunchDarkly to try the others on
  ld-segments list -p proj --all-envs --filter 'tags anyOf ["beta"]'
  ld-segments copy -p proj --from production --to staging --to qa --dry-run
  ld-segments import -p proj -e production customers --file keys.csv --mode replace
  ld-segments export -p proj --all-envs customers --out exports/
  ld-segments sync -p proj --all-envs customers --from-env production --dry-run

The API key comes from LD_API_KEY (never from an argument: command lines end up in
shell histories and process lists); the API host from --base-url or LD_BASE_URL; the
project from -p/--project or LD_PROJECT.
"""

MAX_TARGET_OPERATIONS = 1500
"""LaunchDarkly's limit of target operations per request (as in
:mod:`ld_segments_async.instructions`, which is not imported here: ``--help`` stays fast)."""

KEY_FILE = (
    "a CSV file, or - for stdin: the key is the first column of each line (other columns "
    'are ignored; quote a key holding a comma: "a,b"), blank lines are skipped'
)


def seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _whole(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None


def positive(text: str) -> int:
    """A whole number, at least 1."""
    value = _whole(text, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def at_most(largest: int) -> Callable[[str], int]:
    """A whole number from 1 to ``largest``."""

    def parse(text: str) -> int:
        value = positive(text)
        if value > largest:
            raise argparse.ArgumentTypeError(f"must be at most {largest}, got {value}")
        return value

    return parse


def non_negative(text: str) -> int:
    """A whole number, at least 0."""
    value = _whole(text, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def port(text: str) -> int:
    """A TCP port, or 0 for any free one."""
    value = _whole(text, "a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535, got {value}")
    return value


def _api_options(*, fan_out: bool = True) -> argparse.ArgumentParser:
    """The options of every command that talks to LaunchDarkly (``--concurrency`` for
    those that work on several environments)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url", help="the API host (default $LD_BASE_URL or https://app.launchdarkly.com)"
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress, no notes")
    common.add_argument("--debug", action="store_true", help="print the traceback of every error")
    if fan_out:
        common.add_argument(
            "--concurrency", type=positive, default=8, help="environments at once (8)"
        )
    return common


def _project(command: argparse.ArgumentParser) -> None:
    default = os.environ.get("LD_PROJECT") or None
    command.add_argument(
        "-p",
        "--project",
        default=default,
        required=default is None,
        help="the project key (default $LD_PROJECT)",
    )


def _environments(command: argparse.ArgumentParser) -> None:
    where = command.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "-e", "--env", action="append", metavar="ENV", help="an environment key (repeatable)"
    )
    where.add_argument("--all-envs", action="store_true", help="every environment of the project")


def _waiting(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout", type=seconds, default=3600.0, help="seconds to wait for the job (3600)"
    )
    command.add_argument(
        "--poll",
        type=seconds,
        default=0.5,  # small jobs end within a second; waits grow 1.5x up to 30 s
        help="first wait between polls, in seconds, growing 1.5x up to 30 (0.5)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ld-segments",
        description="Bulk work on LaunchDarkly segments: list, copy, import, export...",
        epilog=EXAMPLES + "\n" + exit_code_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    api, one_env = _api_options(), _api_options(fan_out=False)

    def command(
        name: str,
        help: str,
        *,
        per_env: bool = True,
        talks_to_ld: bool = True,
        fan_out: bool = True,
    ) -> argparse.ArgumentParser:
        parents = [api if fan_out else one_env] if talks_to_ld else []
        sub = commands.add_parser(
            name,
            help=help,
            description=help,
            parents=parents,
            epilog=exit_code_help(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if per_env:
            _project(sub)
            _environments(sub)
        return sub

    listing = command("list", "list segments")
    listing.add_argument(
        "--filter",
        help="LaunchDarkly's filter, e.g. 'tags anyOf [\"beta\"],unbounded equals false'",
    )
    listing.add_argument(
        "--sort", help="name, creationDate or lastModified, comma-separated; --sort=-name descends"
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
    create.add_argument("--description", help="its description")
    create.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    create.add_argument(
        "--big", metavar="CONTEXT_KIND", help="create a big segment of this context kind"
    )

    delete = command("delete", "delete a segment (asks first)")
    delete.add_argument("segment", help="the segment key")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    patch = command(
        "patch",
        "patch a segment: a list of semantic instructions, a JSON patch or a merge patch; "
        "prints the segment as patched",
    )
    patch.add_argument("segment", help="the segment key")
    patch.add_argument("--file", required=True, help="a JSON file, or - for stdin")
    patch.add_argument("--comment", help="the audit-log comment")
    patch.add_argument("--dry-run", action="store_true", help="show the result, save nothing")

    copy = command("copy", "copy segment definitions from one environment to others", per_env=False)
    _project(copy)
    copy.add_argument("--from", dest="source", required=True, metavar="ENV", help="the source")
    targets = copy.add_mutually_exclusive_group(required=True)
    targets.add_argument("--to", action="append", metavar="ENV", help="a target (repeatable)")
    targets.add_argument("--all-envs", action="store_true", help="every other environment")
    copy.add_argument(
        "--segment", action="append", metavar="KEY", help="only this segment (repeatable)"
    )
    copy.add_argument("--dry-run", action="store_true", help="show the differences, change nothing")

    export = command("export", "export a big segment's keys to CSV files, one per environment")
    export.add_argument("segment", help="the segment key")
    export.add_argument(
        "--out", default=".", help="the folder for the files, created if missing (.)"
    )
    _waiting(export)

    imported = command(
        "import", "import keys into a big segment, split over LaunchDarkly's per-file limits"
    )
    imported.add_argument("segment", help="the segment key")
    imported.add_argument("--file", required=True, help=KEY_FILE)
    imported.add_argument(
        "--skip-header", action="store_true", help="the first line is a header: skip it"
    )
    imported.add_argument(
        "--mode",
        choices=("merge", "replace"),
        default="merge",
        help="merge adds the keys, replace makes them the whole list (merge)",
    )
    imported.add_argument(
        "--json", action="store_true", help="print each environment's import as a JSON line"
    )
    _waiting(imported)

    sync = command(
        "sync",
        "make a segment's members exactly a list of keys, in each environment: only what "
        "differs is sent, so a second run sends nothing",
    )
    sync.add_argument("segment", help="the segment key (big or standard)")
    source = sync.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help=KEY_FILE)
    source.add_argument(
        "--from-env",
        metavar="ENV",
        help="the members of the same segment in this environment (read once)",
    )
    sync.add_argument(
        "--skip-header", action="store_true", help="the first line of --file is a header: skip it"
    )
    sync.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    sync.add_argument(
        "--allow-empty", action="store_true", help="let an empty list remove every member"
    )
    sync.add_argument(
        "--kind", default="user", help="standard segments: the targets' context kind (user)"
    )
    sync.add_argument(
        "--excluded",
        action="store_true",
        help="standard segments: sync the excluded targets, not the included ones",
    )
    sync.add_argument(
        "--method",
        choices=("auto", "targets", "import"),
        default="auto",
        help="big segments: targeted updates, one replace import, or auto: targeted updates "
        "while they take at most --max-target-requests requests (auto)",
    )
    sync.add_argument(
        "--batch-size",
        type=at_most(MAX_TARGET_OPERATIONS),
        default=MAX_TARGET_OPERATIONS,
        help=f"target operations per request, at most {MAX_TARGET_OPERATIONS} "
        f"({MAX_TARGET_OPERATIONS})",
    )
    sync.add_argument(
        "--max-target-requests",
        type=non_negative,
        default=100,
        metavar="N",
        help="big segments: the most targeted updates --method auto sends (100)",
    )
    sync.add_argument(
        "--json", action="store_true", help="print each environment's report as a JSON line"
    )
    _waiting(sync)

    status = command(
        "status",
        "show (or wait for) a big-segment import or export",
        per_env=False,
        fan_out=False,
    )
    _project(status)
    status.add_argument("-e", "--env", required=True, help="the environment key")
    status.add_argument("segment", help="the segment key")
    job = status.add_mutually_exclusive_group(required=True)
    job.add_argument("--import", dest="import_id", metavar="ID", help="an import id")
    job.add_argument("--export", dest="export_id", metavar="ID", help="an export id")
    status.add_argument(
        "--wait", action="store_true", help="wait until it ends; exit 1 if it failed"
    )
    status.add_argument("--json", action="store_true", help="the full JSON")
    _waiting(status)

    members = command("members", "the segments a context belongs to")
    members.add_argument("context", help="the context key")
    members.add_argument("--kind", default="user", help="its context kind (user)")
    members.add_argument("--segment", help="only this big segment: is the context listed in it?")

    fake = command(
        "fake",
        "run a fake LaunchDarkly with the README's data, until Ctrl-C",
        per_env=False,
        talks_to_ld=False,
    )
    fake.add_argument(
        "--port", type=port, default=0, help="the port on 127.0.0.1 (0: any free port)"
    )
    fake.add_argument(
        "--project",
        default=os.environ.get("LD_PROJECT") or DEFAULT_PROJECT,
        help=f"the project to seed (default $LD_PROJECT or {DEFAULT_PROJECT})",
    )
    fake.add_argument(
        "--environments",
        type=positive,
        default=4,
        metavar="N",
        help="environments to seed: production, staging, qa, dev, then env-5... (4)",
    )

    fake.add_argument("-q", "--quiet", action="store_true", help="only the URL and export line")

    demo = command(
        "demo", "a tour on an embedded fake LaunchDarkly", per_env=False, talks_to_ld=False
    )
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress, no notes")
    return parser
