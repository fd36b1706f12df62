"""The commands: each works on one environment at a time, fanned out over all of them."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ld_segments_async import Import, SegmentBody, SegmentsClient, UserSegment
from ld_segments_async.converter import converter
from ld_segments_async.jobs import PollSchedule

from . import UsageError
from .copy import copy_segments
from .environments import each_environment, environments
from .output import Output

__all__ = ["run"]


async def run(
    args: argparse.Namespace, out: Output, *, api_key: str | None, base_url: str | None = None
) -> int:
    """Run the parsed command; return the exit code."""
    if args.command == "demo":
        from .demo import tour

        return await tour(out)
    if args.command == "fake":
        return await _fake(args, out)
    if not api_key:
        raise UsageError("set LD_API_KEY to a LaunchDarkly personal or service access token")
    try:
        client = SegmentsClient(api_key, base_url=args.base_url or base_url)
    except ValueError as error:
        raise UsageError(str(error)) from None
    async with client as ld:
        if args.command == "copy":
            return await copy_segments(ld, args, out)
        envs = await environments(ld, args.project, args.env)
        return await COMMANDS[args.command](ld, args, out, envs)


def _describe(segment: UserSegment) -> list[Any]:
    kind = f"big ({segment.unbounded_context_kind or 'user'})" if segment.unbounded else "standard"
    return [segment.key, segment.name, ",".join(segment.tags), kind, segment.version]


def _poll(args: argparse.Namespace) -> PollSchedule:
    return PollSchedule(first=args.poll, cap=max(args.poll, 30.0))


# -- commands ----------------------------------------------------------------------


async def _list(ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]) -> int:
    found: dict[str, list[UserSegment]] = {}

    async def work(env: str) -> str:
        segments = ld.iter_segments(args.project, env, filter=args.filter, sort=args.sort)
        found[env] = [segment async for segment in segments]
        return f"{len(found[env])} segment(s)"

    code = await each_environment(envs, work, out, "listing", args.concurrency)
    rows = [[env, *_describe(segment)] for env in envs for segment in found.get(env, [])]
    if args.json:
        out.json_lines(
            {"environment": env, **converter.unstructure(segment)}
            for env in envs
            for segment in found.get(env, [])
        )
    elif args.csv:
        out.csv(["environment", "key", "name", "tags", "kind", "version"], rows)
    else:
        out.table(["ENVIRONMENT", "KEY", "NAME", "TAGS", "KIND", "VERSION"], rows)
    return code


async def _get(ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]) -> int:
    async def work(env: str) -> str:
        segment = await ld.get_segment(args.project, env, args.segment)
        if args.json:
            out.json({"environment": env, **converter.unstructure(segment)})
        else:
            key, name, tags, kind, version = _describe(segment)
            out.line(f"{env}/{key}: {name!r}, {kind}, version {version}, tags [{tags}]")
            out.line(
                f"  rules: {len(segment.rules)}, included: {len(segment.included or [])}, "
                f"excluded: {len(segment.excluded or [])}"
            )
        return "found"

    return await each_environment(envs, work, out, "reading", args.concurrency)


async def _create(
    ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]
) -> int:
    body = SegmentBody(
        key=args.segment,
        name=args.name or args.segment,
        description=args.description,
        tags=args.tag or None,
        unbounded=True if args.big else None,
        unbounded_context_kind=args.big,
    )

    async def work(env: str) -> str:
        segment = await ld.post_segment(args.project, env, body)
        return f"created {segment.key} (version {segment.version})"

    return await each_environment(envs, work, out, "creating", args.concurrency)


async def _delete(
    ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]
) -> int:
    if not args.yes:
        question = f"Delete segment {args.segment!r} from {', '.join(envs)}? [y/N] "
        out.err.write(question)
        out.err.flush()
        answer = await asyncio.to_thread(sys.stdin.readline)
        if answer.strip().lower() not in ("y", "yes"):
            out.note("nothing deleted")
            return 1

    async def work(env: str) -> str:
        await ld.delete_segment(args.project, env, args.segment)
        return "deleted"

    return await each_environment(envs, work, out, "deleting", args.concurrency)


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(f"{source}: not JSON ({error})") from None


def _with_comment(patch: list[Any] | dict[str, Any], comment: str) -> dict[str, Any]:
    """``patch`` in the envelope that has room for an audit-log comment."""
    if isinstance(patch, list):
        kinds = {"kind" in item for item in patch if isinstance(item, dict)}
        return {"instructions" if kinds == {True} else "patch": patch, "comment": comment}
    if not {"instructions", "patch", "merge"} & patch.keys():
        patch = {"merge": patch}  # a bare merge patch: every key of it is a change
    return {**patch, "comment": comment}


async def _patch(ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]) -> int:
    patch = _read_json(args.file)
    if not patch or not isinstance(patch, (list, dict)):
        raise UsageError(f"{args.file}: a patch is a non-empty JSON array or object")
    if args.comment is not None:
        patch = _with_comment(patch, args.comment)

    async def work(env: str) -> str:
        segment = await ld.patch_segment(
            args.project, env, args.segment, patch, dry_run=args.dry_run or None
        )
        if args.dry_run:
            out.json({"environment": env, **converter.unstructure(segment)})
            return f"would be version {segment.version} (dry run, nothing saved)"
        return f"patched: version {segment.version}"

    return await each_environment(envs, work, out, "patching", args.concurrency)


async def _export(
    ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]
) -> int:
    folder = Path(args.out)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)

    async def work(env: str) -> str:
        export_id = await ld.create_big_segment_export(args.project, env, args.segment)
        export = await ld.wait_for_big_segment_export(
            args.project, env, args.segment, export_id, timeout=args.timeout, poll=_poll(args)
        )
        path = await ld.download_big_segment_export(export, folder / f"{env}-{args.segment}.csv")
        return f"{export.size} to {path}"

    return await each_environment(envs, work, out, "exporting", args.concurrency)


async def _import(
    ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]
) -> int:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(args.file)
        if args.file == "-":  # stdin can be read once; several environments need it again
            source = Path(folder) / "keys.csv"
            with source.open("w") as spool:
                await asyncio.to_thread(shutil.copyfileobj, sys.stdin, spool)
        elif not source.is_file():
            raise UsageError(f"{args.file}: no such file")

        async def work(env: str) -> str:
            def progress(job: Import) -> None:
                out.note(f"  {env}: import {job.id[:8]} {job.status}")

            job = await ld.import_big_segment(
                args.project,
                env,
                args.segment,
                source,
                mode=args.mode,
                timeout=args.timeout,
                poll=_poll(args),
                on_progress=progress if not out.interactive else None,
            )
            return f"import {job.status}"

        return await each_environment(envs, work, out, "importing", args.concurrency)


async def _members(
    ld: SegmentsClient, args: argparse.Namespace, out: Output, envs: list[str]
) -> int:
    rows: list[list[Any]] = []

    async def work(env: str) -> str:
        if args.segment:
            target = await ld.get_segment_membership_for_context(
                args.project, env, args.segment, args.context
            )
            state = "included" if target.included else "excluded" if target.excluded else "-"
            rows.append([env, args.segment, state, "big segment list"])
            return state
        context = {"kind": args.kind, "key": args.context}
        result = await ld.get_context_instance_segments_membership_by_env(
            args.project, env, context
        )
        for item in result.items:
            if item.is_member:
                how = "targeted" if item.is_individually_targeted else "by rule"
                rows.append([env, item.key, "member", how])
        return f"member of {sum(item.is_member for item in result.items)} segment(s)"

    code = await each_environment(envs, work, out, "evaluating", args.concurrency)
    out.table(["ENVIRONMENT", "SEGMENT", "MEMBERSHIP", "HOW"], sorted(rows))
    return code


async def _fake(args: argparse.Namespace, out: Output) -> int:
    from ld_segments_async.testing import FakeLaunchDarkly

    from .demo import seed

    environments = ["production", *(f"env-{n}" for n in range(1, args.environments))]
    async with FakeLaunchDarkly(projects={"demo": environments}, port=args.port) as fake:
        seed(fake, "demo", environments)
        out.line(f"FakeLaunchDarkly on {fake.url} - project 'demo', environments {environments}")
        out.line(f"  export LD_BASE_URL={fake.url} LD_API_KEY=any-token")
        out.line("  ld-segments list -p demo --all-envs")
        out.line("  Ctrl-C to stop")
        await asyncio.Event().wait()
    return 0  # pragma: no cover - ends with Ctrl-C


COMMANDS: dict[
    str, Callable[[SegmentsClient, argparse.Namespace, Output, list[str]], Awaitable[int]]
] = {
    "list": _list,
    "get": _get,
    "create": _create,
    "delete": _delete,
    "patch": _patch,
    "export": _export,
    "import": _import,
    "members": _members,
}
