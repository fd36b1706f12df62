"""Big-segment jobs: bounded, backed-off waits until an import or export is done."""

from __future__ import annotations

import asyncio
import inspect
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from attrs import Attribute, field, frozen

from ._clock import SYSTEM_CLOCK, Clock
from .errors import JobFailedError, JobTimeoutError
from .models import Export, Import, ImportStatus

__all__ = [
    "DEFAULT_POLL",
    "EXPORT_FAILED",
    "IMPORT_FAILED",
    "IMPORT_PARKED",
    "ExportProgress",
    "ImportProgress",
    "PollSchedule",
    "ProgressCallback",
    "export_file_link",
    "wait_for_job",
]

Job = TypeVar("Job", Import, Export)

ProgressCallback = Callable[[Any], object]
"""Called with the job model each time its status changes; what it returns is awaited
if it is awaitable (an ``async def`` callback), else ignored (``on_progress=print``)."""
ImportProgress = Callable[[Import], object]
"""A :data:`ProgressCallback` of an import: ``lambda job: print(job.status)``."""
ExportProgress = Callable[[Export], object]
"""A :data:`ProgressCallback` of an export."""

IMPORT_PARKED = frozenset({ImportStatus.PENDING_APPROVAL.value})
"""Import statuses that wait for a person (an approval): reported, not waited on."""

IMPORT_FAILED = frozenset({ImportStatus.STOPPED.value, "failed", "error", "cancelled", "canceled"})
EXPORT_FAILED = IMPORT_FAILED | {"expired"}
"""Export statuses are undocumented beyond ``complete``; these end a wait as failures."""

_COMPLETE = ImportStatus.COMPLETE.value


def _positive(_: object, attribute: Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds, got {value!r}")
    if not 0 < value < math.inf:
        raise ValueError(f"{attribute.name} must be a positive number, got {value!r}")


def _growth(_: object, attribute: Attribute[float], value: float) -> None:
    _positive(_, attribute, value)
    if value < 1:
        raise ValueError(f"factor must be at least 1 (waits never shrink), got {value!r}")


@frozen
class PollSchedule:
    """How often a wait polls: ``first`` seconds, growing by ``factor`` up to ``cap``,
    each with +-10% jitter. Every poll counts against LaunchDarkly's rate limit.

    Wherever a ``poll=`` is taken, a number of seconds stands for
    ``PollSchedule(first=n, cap=max(n, 30))``, as ``ld-segments --poll`` takes it.
    ``PollSchedule(first=5, factor=1)`` polls every 5 seconds.

    Raises:
        ValueError, TypeError: a value that is not a positive number, or ``factor < 1``.
    """

    first: float = field(default=1.0, validator=_positive)
    factor: float = field(default=1.5, validator=_growth)
    cap: float = field(default=30.0, validator=_positive)

    def delays(self) -> Iterator[float]:
        """The successive waits between polls."""
        delay = self.first
        while True:
            yield delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter
            delay = min(delay * self.factor, self.cap)


DEFAULT_POLL = PollSchedule()


async def _report(on_progress: ProgressCallback | None, job: Any) -> None:
    if on_progress is not None:
        result = on_progress(job)
        if inspect.isawaitable(result):
            await result


def import_done(job: Import) -> bool:
    return job.status == _COMPLETE


def export_done(job: Export) -> bool:
    """Complete, or linking to its file: the export statuses are undocumented beyond
    ``complete``, and a file to download is the surest sign of a finished one."""
    if job.status == _COMPLETE:
        return True
    if job.status in EXPORT_FAILED:
        return False
    try:
        export_file_link(job)
    except ValueError:
        return False
    return True


async def wait_for_job(
    fetch: Callable[[], Awaitable[Job]],
    job_id: str,
    *,
    done: Callable[[Job], bool],
    failed: frozenset[str],
    parked: frozenset[str] = frozenset(),
    timeout: float | None,
    on_progress: ProgressCallback | None,
    schedule: PollSchedule,
    clock: Clock = SYSTEM_CLOCK,
) -> Job:
    """Poll ``fetch`` until the job is ``done`` (returned), in a ``failed`` status
    (:class:`JobFailedError`) or ``parked`` (returned, to be acted upon), or until
    ``timeout`` seconds have passed (:class:`JobTimeoutError`)."""
    deadline = None if timeout is None else clock.monotonic() + timeout
    last: Job | None = None
    delays = schedule.delays()
    while True:
        left = None if deadline is None else deadline - clock.monotonic()
        if left is not None and left <= 0:
            raise JobTimeoutError(last, timeout or 0.0, job_id)
        try:
            job = await asyncio.wait_for(fetch(), left)
        except asyncio.TimeoutError:
            raise JobTimeoutError(last, timeout or 0.0, job_id) from None
        if last is None or job.status != last.status:
            await _report(on_progress, job)
        last = job
        if done(job):
            return job
        if job.status in failed:
            raise JobFailedError(job)
        if job.status in parked:
            return job
        delay = next(delays)
        if deadline is not None:
            delay = min(delay, max(0.0, deadline - clock.monotonic()))
        await clock.sleep(delay)


def export_file_link(export: Export) -> str:
    """The href of an export's CSV among its ``_links``.

    LaunchDarkly does not document the link's name, so any link other than ``self`` and
    ``parent`` qualifies; one whose type is not JSON (``text/csv``) is preferred.

    Raises:
        ValueError: the export has no file link (it is not complete).
    """
    candidates = [
        link
        for name, link in sorted((export.links or {}).items())
        if name not in ("self", "parent") and link.href
    ]
    files = [link for link in candidates if not (link.type or "").startswith("application/json")]
    chosen = files or candidates
    if not chosen:
        raise ValueError(
            f"export {export.id} has no file link (status {export.status!r}); "
            "wait for it with wait_for_big_segment_export"
        )
    return str(chosen[0].href)
