"""``copy``: segment definitions from one environment to others.

A definition is a segment's name, description, tags, rules and individual targets. Each
target environment gets the segment created, or updated field by field with a JSON
patch guarded by a ``test`` of its version, or left alone when it already matches: a
second run changes nothing. Big segments are created with their context kind; their
members are data, not definition (copy those with ``export`` and ``import``).
"""

from __future__ import annotations

import argparse
from typing import Any

from ld_segments_async import NotFoundError, SegmentBody, SegmentsClient, UserSegment
from ld_segments_async.converter import converter

from .environments import each_environment, environments
from .exits import UsageError
from .output import Output

__all__ = ["copy_segments", "definition"]

LISTS = ("tags", "rules", "included", "excluded", "includedContexts", "excludedContexts")
FIELDS = ("name", "description", *LISTS)
MEMBERS = ("included", "excluded")


def _without_ids(value: Any) -> Any:
    # Rule and clause ids are per environment: equal rules have different ids.
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return value


def definition(segment: UserSegment) -> dict[str, Any]:
    """The copied fields of ``segment``, comparable across environments."""
    data = converter.unstructure(segment)
    copied = {field: _without_ids(data.get(field)) for field in FIELDS}
    for field in LISTS:
        copied[field] = copied[field] or []
    if segment.unbounded:
        for field in MEMBERS:
            del copied[field]
    return copied


def _changes(wanted: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [field for field in wanted if wanted[field] != current.get(field)]


def _summary(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return f"{len(value)} item(s)"
    return repr(value)


def _operations(wanted: dict[str, Any], fields: list[str]) -> list[dict[str, Any]]:
    # "add" on an existing member replaces it; a field the source lacks is removed.
    return [
        {"op": "remove", "path": f"/{field}"}
        if wanted[field] is None
        else {"op": "add", "path": f"/{field}", "value": wanted[field]}
        for field in fields
    ]


async def _copy_one(
    ld: SegmentsClient, project: str, env: str, source: UserSegment, dry_run: bool
) -> tuple[str, str]:
    """Bring one segment of ``env`` in line with ``source``: (action, detail)."""
    wanted = definition(source)
    try:
        target: UserSegment | None = await ld.get_segment(project, env, source.key)
    except NotFoundError:
        target = None
    if target is None:
        rest = [field for field in LISTS if field != "tags" and wanted.get(field)]
        detail = ", ".join(f"{field}: {_summary(wanted[field])}" for field in rest) or "no rules"
        if not dry_run:
            await ld.post_segment(
                project,
                env,
                SegmentBody(
                    key=source.key,
                    name=source.name,
                    description=source.description,
                    tags=source.tags or None,
                    unbounded=source.unbounded,
                    unbounded_context_kind=source.unbounded_context_kind,
                ),
            )
            if rest:
                await ld.patch_segment(project, env, source.key, _operations(wanted, rest))
        return "create", detail
    current = definition(target)
    fields = _changes(wanted, current)
    if not fields:
        return "same", "up to date"
    detail = "; ".join(
        f"{field}: {_summary(current.get(field))} -> {_summary(wanted[field])}" for field in fields
    )
    if not dry_run:
        guard = {"op": "test", "path": "/version", "value": target.version}
        await ld.patch_segment(project, env, source.key, [guard, *_operations(wanted, fields)])
    return "update", detail


async def copy_segments(ld: SegmentsClient, args: argparse.Namespace, out: Output) -> int:
    """The ``copy`` command."""
    envs = await environments(ld, args.project, args.to)
    targets = [env for env in envs if env != args.source]
    if not targets:
        raise UsageError("no target environment other than the source")
    keys = args.segment or [s.key async for s in ld.iter_segments(args.project, args.source)]
    # The list's summaries may leave out rules and targets: read each segment whole.
    sources = [await ld.get_segment(args.project, args.source, key) for key in keys]
    verbs = {"create": "created", "update": "updated"}
    if args.dry_run:
        verbs = {"create": "would create", "update": "would update"}

    async def work(env: str) -> str:
        counts = {"create": 0, "update": 0, "same": 0}
        for source in sources:
            if args.dry_run and out.stdout_gone:
                break  # a preview nobody reads; a real copy always runs to the end
            action, detail = await _copy_one(ld, args.project, env, source, args.dry_run)
            counts[action] += 1
            if action != "same":
                out.line(f"{env}: {verbs[action]} {source.key} ({detail})")
        done = [f"{counts[a]} {verbs[a]}" for a in ("create", "update") if counts[a]]
        return ", ".join([*done, f"{counts['same']} up to date"])

    return await each_environment(
        targets, work, out, "copying", args.concurrency, read_only=args.dry_run
    )
