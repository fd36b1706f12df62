"""Reconciling membership: make a segment hold exactly a list of keys, touching only
what changed.

* :mod:`.diff`: the difference between the keys wanted and the keys present, in flat
  memory (hash partitions spooled to disk);
* :mod:`.plan`: the rule that picks targeted updates or one replace import, and the
  packing of changes into requests;
* :mod:`.apply`: targeted updates sent one after another, each recorded;
* :mod:`.big` and :mod:`.standard`: the two flows, for big and standard segments;
* :mod:`.report`: :class:`SyncReport`.

``SegmentsClient.sync_big_segment`` and ``sync_segment_targets`` forward here.
"""

from __future__ import annotations

from ld_segments_async._clock import SYSTEM_CLOCK, Clock
from ld_segments_async._upload import ImportFile
from ld_segments_async.instructions import MAX_TARGET_OPERATIONS
from ld_segments_async.jobs import DEFAULT_POLL, PollSchedule

from . import big, standard
from .plan import DEFAULT_BATCH_SIZE, DEFAULT_MAX_TARGET_REQUESTS, Options
from .report import SyncMethod, SyncReport, WriteBatch

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_TARGET_REQUESTS",
    "SyncMethod",
    "SyncReport",
    "WriteBatch",
    "sync_big_segment",
    "sync_segment_targets",
]


async def sync_big_segment(
    ld: big.BigSegments,
    project_key: str,
    environment_key: str,
    segment_key: str,
    keys: ImportFile,
    *,
    dry_run: bool = False,
    method: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_target_requests: int = DEFAULT_MAX_TARGET_REQUESTS,
    allow_empty: bool = False,
    timeout: float | None = 3600,
    poll: PollSchedule | float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> SyncReport:
    """See :meth:`ld_segments_async.SegmentsClient.sync_big_segment`."""
    options = Options.checked(
        method=method,
        batch_size=batch_size,
        max_target_requests=max_target_requests,
        allow_empty=allow_empty,
        timeout=timeout,
        poll=poll,
    )
    return await big.sync_big_segment(
        ld,
        (project_key, environment_key, segment_key),
        keys,
        options,
        dry_run=dry_run,
        clock=clock,
    )


async def sync_segment_targets(
    ld: standard.StandardSegments,
    project_key: str,
    environment_key: str,
    segment_key: str,
    keys: ImportFile,
    *,
    context_kind: str = "user",
    excluded: bool = False,
    dry_run: bool = False,
    batch_size: int = MAX_TARGET_OPERATIONS,
    allow_empty: bool = False,
) -> SyncReport:
    """See :meth:`ld_segments_async.SegmentsClient.sync_segment_targets`."""
    options = Options.checked(
        method="targets",
        batch_size=batch_size,
        max_target_requests=0,
        allow_empty=allow_empty,
        timeout=None,
        poll=DEFAULT_POLL,
        largest_batch=MAX_TARGET_OPERATIONS,
    )
    return await standard.sync_segment_targets(
        ld,
        (project_key, environment_key, segment_key),
        keys,
        options,
        context_kind=context_kind,
        excluded=excluded,
        dry_run=dry_run,
    )
