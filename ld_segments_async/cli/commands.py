"""The commands: each checks its input, then works on one environment at a time,
fanned out over all of them. Nothing is sent before the input is known to be good."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ld_segments_async import ClientConfig, SegmentBody, SegmentsClient, SegmentTarget, UserSegment

from .bigsegments import export, import_keys, record, status
from .copy import copy_segments
from .environments import each_environment, environments, natural
from .exits import OK, UsageError
from .output import Output
from .query import parse_filter, parse_sort
from .sync import sync_members

__all__ = ["run"]

Command = Callable[[SegmentsClient, argparse.Namespace, Output], Awaitable[int]]


async def run(
    args: argparse.Namespace, out: Output, *, api_key: str | None, base_url: str | None = None
) -> int:
    """Run the parsed command; return the exit code."""
    if args.command == "demo":
        from .demo import tour

        return await tour(out)
    if args.command == "fake":
        from .fake import serve

        return await serve(args, out)
    if not api_key:
        raise UsageError("set LD_API_KEY to a LaunchDarkly personal or service access token")
    async with _client(api_key, args.base_url or base_url) as ld:
        return await COMMANDS[args.command](ld, args, out)


def _client(api_key: str, base_url: str | None) -> SegmentsClient:
    try:
        return SegmentsClient(api_key, base_url=base_url)
    except ValueError as error:
        url = base_url or os.environ.get("LD_BASE_URL")
        if url and _plain_http_elsewhere(url):
            # The library names an argument (allow_insecure_http) CLI users do not have.
            where = "--base-url" if base_url else "LD_BASE_URL"
            raise UsageError(
                f"{where} {url}: plain http is refused except to this machine (localhost, "
                "127.0.0.1): the API key would travel unencrypted; use https"
            ) from None
        raise UsageError(str(error)) from None


def _plain_http_elsewhere(url: str) -> bool:
    """True when ``url`` is refused only for being plain http to another host."""
    for allowed in (False, True):
        try:
            ClientConfig(base_url=url, allow_insecure_http=allowed)
        except ValueError:
            continue
        return allowed
    return False


def _describe(segment: UserSegment) -> list[Any]:
    kind = f"big ({segment.unbounded_context_kind or 'user'})" if segment.unbounded else "standard"
    return [segment.key, segment.name, ",".join(segment.tags), kind, segment.version]


def _targets(listed: list[str] | None, contexts: list[SegmentTarget] | None) -> int:
    # Users targeted the legacy way, plus contexts of every kind (addIncludedTargets).
    return len(listed or []) + sum(len(target.values or []) for target in contexts or [])


# -- commands ----------------------------------------------------------------------


async def _list(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    filter, sort = parse_filter(args.filter), parse_sort(args.sort)
    envs = await environments(ld, args.project, args.env)
    found: dict[str, list[UserSegment]] = {}

    async def work(env: str) -> str:
        segments = ld.iter_segments(args.project, env, filter=filter, sort=sort)
        found[env] = [segment async for segment in segments]
        return f"{len(found[env])} segment(s)"

    code = await each_environment(envs, work, out, "listing", args.concurrency, read_only=True)
    listed = [(env, segment) for env in envs for segment in found.get(env, [])]
    if args.json:
        out.json_lines(record(env, segment) for env, segment in listed)
    elif args.csv:
        if found:  # a header alone is an empty result; nothing at all is a failure
            rows = [[env, *_describe(segment)] for env, segment in listed]
            out.csv(["environment", "key", "name", "tags", "kind", "version"], rows)
    elif listed:
        rows = [[env, *_describe(segment)] for env, segment in listed]
        out.table(["ENVIRONMENT", "KEY", "NAME", "TAGS", "KIND", "VERSION"], rows)
    return code


async def _get(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    envs = await environments(ld, args.project, args.env)

    async def work(env: str) -> str:
        segment = await ld.get_segment(args.project, env, args.segment)
        if args.json:
            out.json(record(env, segment))
            return "found"
        key, name, tags, kind, version = _describe(segment)
        out.line(f"{env}/{key}: {name!r}, {kind}, version {version}, tags [{tags}]")
        members = segment.unbounded_metadata
        if segment.unbounded and members is not None:
            counts = (
                f"members included: {members.included_count}, excluded: {members.excluded_count}"
            )
        else:
            included = _targets(segment.included, segment.included_contexts)
            excluded = _targets(segment.excluded, segment.excluded_contexts)
            counts = f"included: {included}, excluded: {excluded}"
        out.line(f"  rules: {len(segment.rules)}, {counts}")
        return "found"

    return await each_environment(envs, work, out, "reading", args.concurrency, read_only=True)


async def _create(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    body = SegmentBody(
        key=args.segment,
        name=args.name or args.segment,
        description=args.description,
        tags=args.tag or None,
        unbounded=True if args.big else None,
        unbounded_context_kind=args.big,
    )
    envs = await environments(ld, args.project, args.env)

    async def work(env: str) -> str:
        segment = await ld.post_segment(args.project, env, body)
        return f"created {segment.key} (version {segment.version})"

    return await each_environment(envs, work, out, "creating", args.concurrency)


async def _delete(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    envs = await environments(ld, args.project, args.env)
    if not args.yes:
        out.prompt(f"Delete segment {args.segment!r} from {', '.join(envs)}? [y/N] ")
        answer = await asyncio.to_thread(sys.stdin.readline)
        if not answer:  # stdin ended: nobody answered, which is not a "no"
            raise UsageError("no answer on stdin: pass --yes to delete without asking")
        if answer.strip().lower() not in ("y", "yes"):
            out.note("nothing deleted")
            return OK

    async def work(env: str) -> str:
        await ld.delete_segment(args.project, env, args.segment)
        return "deleted"

    return await each_environment(envs, work, out, "deleting", args.concurrency)


def read_text(name: str, option: str = "--file") -> str:
    """A file's text, or stdin's for ``-``.

    Raises:
        UsageError: it cannot be read.
    """
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"{option} {name}: is a directory")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{option} {name}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{option} {name}: not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"{option} {name}: {error.strerror or error}") from None


def _read_patch(source: str) -> list[Any] | dict[str, Any]:
    try:
        patch = json.loads(read_text(source))
    except ValueError as error:
        raise UsageError(f"{source}: not JSON ({error})") from None
    if not patch or not isinstance(patch, (list, dict)):
        raise UsageError(f"{source}: a patch is a non-empty JSON array or object")
    if isinstance(patch, dict) and "kind" in patch and not {"instructions", "patch"} & patch.keys():
        raise UsageError(
            f"{source}: a semantic-patch instruction goes in a list: "
            f'[{{"kind": {json.dumps(patch["kind"])}, ...}}] (a bare object is a merge patch)'
        )
    return patch


def _with_comment(patch: list[Any] | dict[str, Any], comment: str) -> dict[str, Any]:
    """``patch`` in the envelope that has room for an audit-log comment."""
    if isinstance(patch, list):
        kinds = {"kind" in item for item in patch if isinstance(item, dict)}
        return {"instructions" if kinds == {True} else "patch": patch, "comment": comment}
    if not {"instructions", "patch", "merge"} & patch.keys():
        patch = {"merge": patch}  # a bare merge patch: every key of it is a change
    return {**patch, "comment": comment}


async def _patch(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    patch: Any = _read_patch(args.file)
    if args.comment is not None:
        patch = _with_comment(patch, args.comment)
    envs = await environments(ld, args.project, args.env)

    async def work(env: str) -> str:
        segment = await ld.patch_segment(
            args.project, env, args.segment, patch, dry_run=args.dry_run or None
        )
        out.json(record(env, segment))
        if args.dry_run:
            return f"would be version {segment.version} (dry run, nothing saved)"
        return f"patched: version {segment.version}"

    return await each_environment(
        envs, work, out, "patching", args.concurrency, read_only=args.dry_run
    )


async def _members(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    envs = await environments(ld, args.project, args.env)
    rows: list[list[str]] = []

    async def work(env: str) -> str:
        if args.segment:
            target = await ld.get_segment_membership_for_context(
                args.project, env, args.segment, args.context
            )
            state = "included" if target.included else "excluded" if target.excluded else ""
            if state:
                rows.append([env, args.segment, state, "big segment list"])
            return state or f"not listed in {args.segment}"
        context = {"kind": args.kind, "key": args.context}
        result = await ld.get_context_instance_segments_membership_by_env(
            args.project, env, context
        )
        for item in result.items:
            if item.is_member:
                how = "targeted" if item.is_individually_targeted else "by rule"
                rows.append([env, item.key, "member", how])
        return f"member of {sum(item.is_member for item in result.items)} segment(s)"

    code = await each_environment(envs, work, out, "evaluating", args.concurrency, read_only=True)
    if rows:
        rows.sort(key=lambda row: [natural(cell) for cell in row])
        out.table(["ENVIRONMENT", "SEGMENT", "MEMBERSHIP", "HOW"], rows)
    return code


COMMANDS: dict[str, Command] = {
    "list": _list,
    "get": _get,
    "create": _create,
    "delete": _delete,
    "patch": _patch,
    "copy": copy_segments,
    "export": export,
    "import": import_keys,
    "status": status,
    "sync": sync_members,
    "members": _members,
}
