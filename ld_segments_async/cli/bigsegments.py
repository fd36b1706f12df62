"""Big-segment commands: ``import``, ``export`` and ``status``.

An import or export that stops early (Ctrl-C, a failure) says what it leaves behind:
every job's full id and status, what was applied and what was not, and the
``ld-segments status`` command that shows the job (see :mod:`.ledger`).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ld_segments_async import Export, Import, SegmentsClient
from ld_segments_async.converter import converter
from ld_segments_async.jobs import PollSchedule

from .environments import each_environment, environments
from .exits import UsageError
from .keys import read_keys
from .ledger import ExportLedger, ImportLedger
from .output import Output
from .paths import export_paths

__all__ = ["export", "import_keys", "poll_of", "record", "status"]


def record(env: str, model: Any) -> dict[str, Any]:
    """A model as printed by ``--json``: its JSON, with the environment it came from."""
    return {"environment": env, **converter.unstructure(model)}


def poll_of(args: argparse.Namespace) -> PollSchedule:
    """The polling schedule of ``--poll``."""
    return PollSchedule(first=args.poll, cap=max(args.poll, 30.0))


def _when(milliseconds: int) -> str:
    moment = datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def export(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    folder = Path(args.out)
    if await asyncio.to_thread(lambda: folder.exists() and not folder.is_dir()):
        raise UsageError(f"--out {args.out}: not a folder")
    envs = await environments(ld, args.project, args.env)
    paths = export_paths(folder, envs, args.segment)
    try:
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {args.out}: {error.strerror or error}") from None
    for env, path in paths.items():
        if path.name != f"{env}-{args.segment}.csv":
            out.report(f"note: {env!r} is not a plain file name: exporting it to {path}")

    async def work(env: str) -> str:
        ledger = ExportLedger(args.project, env, args.segment)
        try:
            export_id = await ld.create_big_segment_export(args.project, env, args.segment)
            ledger.export_id, ledger.status = export_id, "created"
            job = await ld.wait_for_big_segment_export(
                args.project,
                env,
                args.segment,
                export_id,
                timeout=args.timeout,
                poll=poll_of(args),
                on_progress=ledger.seen,
            )
            path = await ld.download_big_segment_export(job, paths[env])
        except BaseException as error:  # said, then raised on
            for line in ledger.report(error):
                out.report(line)
            raise
        return f"{job.size} to {path}"

    return await each_environment(envs, work, out, "exporting", args.concurrency)


async def import_keys(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    with tempfile.TemporaryDirectory() as folder:
        keys = await asyncio.to_thread(
            read_keys, args.file, Path(folder), skip_header=args.skip_header
        )
        for note in keys.notes:
            out.report(note)
        envs = await environments(ld, args.project, args.env)

        async def work(env: str) -> str:
            ledger = ImportLedger(args.project, env, args.segment, args.mode)

            def progress(job: Import) -> None:
                ledger.seen(job)
                if not out.interactive:
                    out.note(f"  {env}: import {job.id} {job.status}")

            try:
                job = await ld.import_big_segment(
                    args.project,
                    env,
                    args.segment,
                    keys.path,
                    mode=args.mode,
                    timeout=args.timeout,
                    poll=poll_of(args),
                    on_progress=progress,
                )
            except BaseException as error:  # said, then raised on
                for line in ledger.report(error):
                    out.report(line)
                raise
            if args.json:
                out.json_lines([record(env, job)])
            return f"import {job.status}: {keys.count:,} key(s), import {job.id}"

        return await each_environment(envs, work, out, "importing", args.concurrency)


def _show(out: Output, env: str, segment: str, job: Import | Export) -> None:
    if isinstance(job, Import):
        out.line(
            f"{env}/{segment}: import {job.id}: {job.status} "
            f"(mode {job.mode}, created {_when(job.creation_time)})"
        )
        for file in job.files or []:
            out.line(f"  file {file.filename or '?'}: {file.status or '?'}")
    else:
        out.line(
            f"{env}/{segment}: export {job.id}: {job.status} "
            f"({job.size}, created {_when(job.creation_time)})"
        )


async def status(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    keys = (args.project, args.env, args.segment)

    def progress(job: Import | Export) -> None:
        out.note(f"  {args.env}: {type(job).__name__.lower()} {job.id} {job.status}")

    async def work(env: str) -> str:
        job: Import | Export
        if args.import_id is not None and args.wait:
            job = await ld.wait_for_big_segment_import(
                *keys,
                args.import_id,
                timeout=args.timeout,
                poll=poll_of(args),
                on_progress=progress,
                wait_for_approval=True,
            )
        elif args.import_id is not None:
            job = await ld.get_big_segment_import(*keys, args.import_id)
        elif args.wait:
            job = await ld.wait_for_big_segment_export(
                *keys,
                args.export_id,
                timeout=args.timeout,
                poll=poll_of(args),
                on_progress=progress,
            )
        else:
            job = await ld.get_big_segment_export(*keys, args.export_id)
        if args.json:
            out.json(record(env, job))
        else:
            _show(out, env, args.segment, job)
        return job.status

    return await each_environment([args.env], work, out, "reading", 1, read_only=True)
