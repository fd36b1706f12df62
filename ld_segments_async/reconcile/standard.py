"""``sync_segment_targets``: make a standard segment's included (or excluded) targets of
one context kind exactly a list, with semantic patches.

The segment is read once; its targets of the kind are the keys of
``includedContexts`` (``excludedContexts``) of that kind, and for ``user`` also those of
the legacy ``included`` (``excluded``) list. The difference is sent as semantic patches
of at most ``batch_size`` target operations (LaunchDarkly refuses more than 1,500), each
applied atomically by LaunchDarkly: ``addIncludedTargets`` for the keys added,
``removeIncludedTargets`` / ``removeIncludedUsers`` for the keys removed from whichever
list holds them, and, for a key added that the other list holds, its removal from that
list (a key cannot be both included and excluded). Rules, and other kinds' targets, are
left alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import Any, Protocol

from attrs import frozen

from ld_segments_async import _paths
from ld_segments_async._upload import ImportFile
from ld_segments_async.instructions import (
    Instruction,
    add_excluded_targets,
    add_included_targets,
    remove_excluded_targets,
    remove_excluded_users,
    remove_included_targets,
    remove_included_users,
)
from ld_segments_async.models import UserSegment

from .apply import apply_in_batches, reporter
from .big import SEGMENT
from .diff import KeyDiff, KeyList
from .plan import Changes, Options, Run, choose, request_count
from .report import SyncReport, Tally

__all__ = ["StandardSegments", "sync_segment_targets"]


class StandardSegments(Protocol):
    """What a sync of targets needs of a client."""

    def get_segment(self, p: str, e: str, s: str, /) -> Awaitable[UserSegment]: ...
    def patch_segment(self, p: str, e: str, s: str, patch: Any, /) -> Awaitable[UserSegment]: ...


@frozen
class _Targets:
    """One list's keys of one context kind, by where they are stored."""

    contexts: frozenset[str]
    users: frozenset[str]  # the legacy list of user keys

    @classmethod
    def of(cls, segment: UserSegment, target_type: str, context_kind: str) -> _Targets:
        entries = getattr(segment, f"{target_type}_contexts") or []
        contexts = {
            key
            for entry in entries
            if entry.context_kind == context_kind
            for key in entry.values or ()
        }
        users = (getattr(segment, target_type) or []) if context_kind == "user" else []
        return cls(frozenset(contexts), frozenset(users))

    def __contains__(self, key: object) -> bool:
        return key in self.contexts or key in self.users

    def places(self, key: str) -> int:
        """In how many of the two lists ``key`` is."""
        return (key in self.contexts) + (key in self.users)

    def keys(self) -> frozenset[str]:
        return self.contexts | self.users


@frozen
class _Lists:
    """The list synced (``own``) and the other one, and their instruction builders."""

    own: _Targets
    other: _Targets
    context_kind: str
    excluded: bool

    def instructions(self, change: Changes) -> list[Instruction]:
        kind = self.context_kind
        if self.excluded:
            add, remove, leave = (
                add_excluded_targets,
                remove_excluded_targets,
                remove_included_targets,
            )
            remove_users, leave_users = remove_excluded_users, remove_included_users
        else:
            add, remove, leave = (
                add_included_targets,
                remove_included_targets,
                remove_excluded_targets,
            )
            remove_users, leave_users = remove_included_users, remove_excluded_users
        found: list[Instruction] = []

        def some(build: Any, keys: Iterable[str], **params: str) -> None:
            values = list(keys)
            if values:
                found.append(build(values=values, **params))

        # Leaving the other list first: LaunchDarkly refuses a key both included and excluded.
        some(leave, (k for k in change.add if k in self.other.contexts), context_kind=kind)
        some(leave_users, (k for k in change.add if k in self.other.users))
        some(remove, (k for k in change.remove if k in self.own.contexts), context_kind=kind)
        some(remove_users, (k for k in change.remove if k in self.own.users))
        some(add, change.add, context_kind=kind)
        return found


async def sync_segment_targets(
    ld: StandardSegments,
    keys: tuple[str, str, str],
    wanted: ImportFile,
    options: Options,
    *,
    context_kind: str,
    excluded: bool,
    dry_run: bool,
) -> SyncReport:
    """See :meth:`ld_segments_async.SegmentsClient.sync_segment_targets`."""
    _paths.check(SEGMENT, *keys)
    if not isinstance(context_kind, str) or not context_kind:
        raise ValueError(f"context_kind must be a non-empty string, got {context_kind!r}")
    tally = Tally()
    with KeyDiff() as diff:
        await diff.read_wanted(wanted)
        options.check_wanted(diff.wanted.count)
        segment = await tally.read(ld.get_segment(*keys))
        if segment.unbounded:
            raise ValueError(f"{'/'.join(keys)} is a big segment: use sync_big_segment")
        own, other = ("excluded", "included") if excluded else ("included", "excluded")
        lists = _Lists(
            _Targets.of(segment, own, context_kind),
            _Targets.of(segment, other, context_kind),
            context_kind,
            excluded,
        )
        await diff.read_present(_each(lists.own.keys()))
        await diff.compare()
        runs = await _runs(diff, lists)
        try:
            return await _apply(ld, keys, diff, lists, runs, options, tally, dry_run)
        finally:
            for run in runs:
                run.keys.close()


async def _apply(
    ld: StandardSegments,
    keys: tuple[str, str, str],
    diff: KeyDiff,
    lists: _Lists,
    runs: list[Run],
    options: Options,
    tally: Tally,
    dry_run: bool,
) -> SyncReport:
    method = choose(options, request_count(runs, options.batch_size), diff.distinct_wanted)

    report = reporter(diff, tally, method, dry_run)

    if dry_run or method == "none":
        return report()

    async def send(change: Changes) -> None:
        await tally.write(ld.patch_segment(*keys, lists.instructions(change)))

    return report(batches=await apply_in_batches(runs, options.batch_size, send, report))


async def _each(keys: Iterable[str]) -> AsyncIterator[str]:
    for key in keys:
        yield key


async def _runs(diff: KeyDiff, lists: _Lists) -> list[Run]:
    """The changes grouped by what each key costs (removals first), so that the
    requests they fill are known before any is sent."""
    removed: dict[int, KeyList] = {}
    added: dict[int, KeyList] = {}
    async for chunk in diff.removed.chunks():
        for key in chunk:
            removed.setdefault(lists.own.places(key), KeyList()).extend([key])
    async for chunk in diff.added.chunks():
        for key in chunk:
            added.setdefault(1 + lists.other.places(key), KeyList()).extend([key])
    return [
        *(Run("remove", removed[cost], cost) for cost in sorted(removed)),
        *(Run("add", added[cost], cost) for cost in sorted(added)),
    ]
