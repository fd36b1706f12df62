"""``sync``: make a segment's members exactly a list of keys, in each environment.

The keys come from ``--file`` (read as ``import`` reads it, checked before anything is
sent) or from the same segment in ``--from-env`` (read once, then used for every
environment). Each environment's segment is read to tell a big segment
(``sync_big_segment``: its included keys) from a standard one (``sync_segment_targets``:
its targets of ``--kind``). Only what differs is sent: a second run sends nothing.
``--dry-run`` reads and prints what would change.

Stdout gets one line per environment, in the order given, once all are done (a JSON
report with ``--json``); stderr the usual summary. A sync that fails once it may have
changed a segment says which requests or import uploads were applied, with the
``ld-segments status`` command of an import left running.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import tempfile
from pathlib import Path
from typing import Any

from ld_segments_async import SegmentsClient, SyncIncompleteError, SyncReport, UserSegment

from .bigsegments import poll_of
from .environments import each_environment, environments
from .exits import UsageError
from .keys import read_keys
from .ledger import status_command
from .output import Output

__all__ = ["sync_members"]

_BATCH = 16_384


async def sync_members(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    """The ``sync`` command."""
    with tempfile.TemporaryDirectory() as folder:
        # A bad file is said before anything is sent.
        given = None if args.file is None else await _from_file(args, Path(folder), out)
        envs = await environments(ld, args.project, args.env)
        if given is None:
            envs = [env for env in envs if env != args.from_env]
            if not envs:
                raise UsageError("no environment to sync other than --from-env")
            given = await _from_environment(ld, args, Path(folder) / "keys.csv")
            out.note(f"{args.from_env}: {given[1]:,} key(s) in {args.segment}")
        path, count = given
        if not count and not args.allow_empty:
            raise UsageError(
                "no keys: a sync to an empty list removes every member; pass --allow-empty "
                "if that is what you want"
            )

        reports: dict[str, SyncReport] = {}

        async def work(env: str) -> str:
            try:
                reports[env] = await _sync(ld, args, env, path)
            except SyncIncompleteError as error:
                for line in _left_behind(args, env, error.report):
                    out.report(line)
                raise
            return reports[env].summary()

        code = await each_environment(
            envs, work, out, "syncing", args.concurrency, read_only=args.dry_run
        )
    done = [(env, reports[env]) for env in envs if env in reports]
    if args.json:
        out.json_lines({"environment": env, **_record(report)} for env, report in done)
    else:
        for env, report in done:
            out.line(f"{env}: {report.summary()}")
    return code


async def _from_file(args: argparse.Namespace, folder: Path, out: Output) -> tuple[Path, int]:
    keys = await asyncio.to_thread(
        read_keys, args.file, folder, skip_header=args.skip_header, allow_empty=True
    )
    for note in keys.notes:
        out.report(note)
    return keys.path, keys.count


async def _from_environment(
    ld: SegmentsClient, args: argparse.Namespace, path: Path
) -> tuple[Path, int]:
    """The members of the segment in ``--from-env``, written to ``path`` as a clean CSV."""
    p, env, s = args.project, args.from_env, args.segment
    segment = await ld.get_segment(p, env, s)
    if not segment.unbounded:
        keys = sorted(_targets(segment, args.kind, args.excluded))
        await asyncio.to_thread(_write, path, keys, "w")
        return path, len(keys)
    export_id = await ld.create_big_segment_export(p, env, s)
    export = await ld.wait_for_big_segment_export(
        p, env, s, export_id, timeout=args.timeout, poll=poll_of(args)
    )
    count = 0
    batch: list[str] = []
    await asyncio.to_thread(_write, path, batch, "w")
    async for key in ld.iter_big_segment_export_keys(export):
        batch.append(key)
        if len(batch) == _BATCH:
            await asyncio.to_thread(_write, path, batch, "a")
            count, batch = count + len(batch), []
    await asyncio.to_thread(_write, path, batch, "a")
    return path, count + len(batch)


def _targets(segment: UserSegment, kind: str, excluded: bool) -> set[str]:
    name = "excluded" if excluded else "included"
    keys = {
        key
        for target in getattr(segment, f"{name}_contexts") or []
        if target.context_kind == kind
        for key in target.values or []
    }
    if kind == "user":
        keys.update(getattr(segment, name) or [])
    return keys


def _write(path: Path, keys: list[str], mode: str) -> None:
    with path.open(mode, encoding="utf-8", newline="") as sink:
        csv.writer(sink, lineterminator="\n").writerows([key] for key in keys)


async def _sync(ld: SegmentsClient, args: argparse.Namespace, env: str, path: Path) -> SyncReport:
    segment = await ld.get_segment(args.project, env, args.segment)
    if segment.unbounded:
        return await ld.sync_big_segment(
            args.project,
            env,
            args.segment,
            path,
            dry_run=args.dry_run,
            method=args.method,
            batch_size=args.batch_size,
            max_target_requests=args.max_target_requests,
            allow_empty=args.allow_empty,
            timeout=args.timeout,
            poll=poll_of(args),
        )
    return await ld.sync_segment_targets(
        args.project,
        env,
        args.segment,
        path,
        context_kind=args.kind,
        excluded=args.excluded,
        dry_run=args.dry_run,
        batch_size=args.batch_size,
        allow_empty=args.allow_empty,
    )


def _record(report: SyncReport) -> dict[str, Any]:
    return {
        "added": report.added,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "method": report.method,
        "dry_run": report.dry_run,
        "requests": report.requests,
        "writes": report.writes,
        "jobs": list(report.jobs),
    }


def _left_behind(args: argparse.Namespace, env: str, report: SyncReport) -> list[str]:
    """What a sync that stopped part-way leaves, for the operator."""
    lines = [f"{env}: the sync of {args.segment} stopped part-way"]
    if report.method == "targets":
        lines.append(
            f"  applied: added {report.applied_added:,} of {report.added:,}, removed "
            f"{report.applied_removed:,} of {report.removed:,}; run the same sync again to "
            "finish"
        )
        return lines
    for part in report.import_parts:
        job = f"import {part.import_id}" if part.import_id else "no import"
        lines.append(f"  upload {part.index + 1}: {job} ({part.mode}), {part.state}")
        if part.import_id and part.state in ("pending", "unknown"):
            command = status_command(args.project, env, args.segment, "import", part.import_id)
            lines.append(f"    see it with: {command}")
    lines.append(
        "  until a replace import runs to the end, the segment holds only the keys of the "
        "uploads applied: run the same sync again to finish"
    )
    return lines
