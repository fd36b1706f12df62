"""``sync_big_segment``: make a big segment's included keys exactly a list.

The steps, each after the last:

1. every key of the list is read, checked as an import checks it, and spread to disk
   (:mod:`.diff`): a bad key fails the sync with nothing sent;
2. the segment is read: it must be a big list-based segment with no import running
   (one running is a :class:`~ld_segments_async.ConflictError`, nothing else sent);
3. its members are read through an export (a job: LaunchDarkly's only listing of them),
   and the two sides compared;
4. the difference is applied (:mod:`.plan` picks how) unless it is empty or this is a
   dry run: targeted updates in batches (a key added also leaves the excluded list when
   the segment excludes any, as an import does), or one ``replace`` import of every key
   wanted, split over LaunchDarkly's per-file limits.

The members are the segment's *included* keys, as its export lists them; its excluded
keys are not read and are left alone, but for keys the sync adds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

from ld_segments_async import _paths
from ld_segments_async._clock import Clock
from ld_segments_async._imports import ImportPart, import_in_parts
from ld_segments_async._upload import CsvFile, ImportFile
from ld_segments_async.errors import ConflictError, ImportIncompleteError, SyncIncompleteError
from ld_segments_async.jobs import EXPORT_FAILED, export_done, wait_for_job
from ld_segments_async.models import (
    Export,
    Import,
    ImportMode,
    SegmentUserList,
    SegmentUserState,
    UserSegment,
)

from .apply import Report, apply_in_batches, reporter
from .diff import KeyDiff
from .plan import Changes, Options, Run, choose, request_count
from .report import SyncReport, Tally, WriteBatch

__all__ = ["BigSegments", "sync_big_segment"]

SEGMENT = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


class BigSegments(Protocol):
    """What a sync needs of a client: public operations of ``SegmentsClient`` only."""

    def get_segment(self, p: str, e: str, s: str, /) -> Awaitable[UserSegment]: ...
    def create_big_segment_export(self, p: str, e: str, s: str, /) -> Awaitable[str]: ...
    def get_big_segment_export(self, p: str, e: str, s: str, i: str, /) -> Awaitable[Export]: ...
    def iter_big_segment_export_keys(self, export: Export, /) -> AsyncIterator[str]: ...
    def update_big_segment_context_targets(
        self, p: str, e: str, s: str, state: SegmentUserState, /
    ) -> Awaitable[None]: ...
    def create_big_segment_import(
        self, p: str, e: str, s: str, file: ImportFile, mode: ImportMode, /
    ) -> Awaitable[str]: ...
    def get_big_segment_import(self, p: str, e: str, s: str, i: str, /) -> Awaitable[Import]: ...


async def sync_big_segment(
    ld: BigSegments,
    keys: tuple[str, str, str],
    wanted: ImportFile,
    options: Options,
    *,
    dry_run: bool,
    clock: Clock,
) -> SyncReport:
    """See :meth:`ld_segments_async.SegmentsClient.sync_big_segment`."""
    _paths.check(SEGMENT, *keys)
    tally = Tally()
    with KeyDiff() as diff:
        await diff.read_wanted(wanted)
        options.check_wanted(diff.wanted.count)
        segment = await tally.read(ld.get_segment(*keys))
        _check_segment(segment, keys)
        export = await _export(ld, keys, tally, options, clock)
        tally.reads += 1  # the download
        await diff.read_present(ld.iter_big_segment_export_keys(export))
        await diff.compare()

        # A key added must leave the excluded list, or LaunchDarkly refuses it (and an
        # import takes it off too); the list is not readable, so only whether it is empty.
        metadata = segment.unbounded_metadata
        add_cost = 1 if metadata is not None and metadata.excluded_count == 0 else 2
        runs = (Run("remove", diff.removed), Run("add", diff.added, add_cost))
        method = choose(options, request_count(runs, options.batch_size), diff.distinct_wanted)

        report = reporter(diff, tally, method, dry_run)

        if dry_run or method == "none":
            return report()
        if method == "targets":
            batches = await _apply_targets(ld, keys, runs, options, tally, report)
            return report(batches=batches)
        parts = await _apply_import(ld, keys, diff, options, tally, clock, report)
        return report(import_parts=tuple(parts))


def _check_segment(segment: UserSegment, keys: tuple[str, str, str]) -> None:
    where = "/".join(keys)
    if not segment.unbounded:
        raise ValueError(f"{where} is a standard segment: use sync_segment_targets")
    if segment.external:
        raise ValueError(f"{where} is a synced segment: its members come from {segment.external}")
    if segment.import_in_progress:
        raise ConflictError(
            409,
            "import_in_progress",
            "an import is running on this segment: its members are changing; sync once it "
            "has ended (nothing was sent)",
            method="GET",
            path=_paths.expand(SEGMENT, *keys),
        )


async def _export(
    ld: BigSegments, keys: tuple[str, str, str], tally: Tally, options: Options, clock: Clock
) -> Export:
    export_id = await tally.read(ld.create_big_segment_export(*keys))
    tally.jobs.append(export_id)
    # wait_for_big_segment_export, with every poll counted.
    return await wait_for_job(
        lambda: tally.read(ld.get_big_segment_export(*keys, export_id)),
        export_id,
        done=export_done,
        failed=EXPORT_FAILED,
        timeout=options.timeout,
        on_progress=None,
        schedule=options.poll,
        clock=clock,
    )


async def _apply_targets(
    ld: BigSegments,
    keys: tuple[str, str, str],
    runs: tuple[Run, Run],
    options: Options,
    tally: Tally,
    report: Report,
) -> tuple[WriteBatch, ...]:
    leave_excluded = runs[1].cost == 2

    async def send(change: Changes) -> None:
        state = SegmentUserState(
            included=SegmentUserList(add=change.add or None, remove=change.remove or None),
            excluded=SegmentUserList(remove=change.add) if leave_excluded and change.add else None,
        )
        await tally.write(ld.update_big_segment_context_targets(*keys, state))

    return await apply_in_batches(runs, options.batch_size, send, report)


async def _apply_import(
    ld: BigSegments,
    keys: tuple[str, str, str],
    diff: KeyDiff,
    options: Options,
    tally: Tally,
    clock: Clock,
    report: Report,
) -> list[ImportPart]:
    parts: list[ImportPart] = []

    async def start(csv: CsvFile, mode: str) -> str:
        upload = ld.create_big_segment_import(*keys, csv.read_keys(), ImportMode(mode))
        import_id = await tally.write(upload)
        tally.jobs.append(import_id)
        return import_id

    async def fetch(import_id: str) -> Import:
        return await tally.read(ld.get_big_segment_import(*keys, import_id))

    try:
        await import_in_parts(
            start,
            fetch,
            diff.distinct_wanted_keys(),
            "replace",
            timeout=options.timeout,
            on_progress=None,
            poll=options.poll,
            record=parts,
            clock=clock,
        )
    except ImportIncompleteError as error:
        incomplete = report(complete=False, import_parts=tuple(parts))
        raise SyncIncompleteError(incomplete, error) from error
    return parts
