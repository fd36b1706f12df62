"""Big-segment imports and exports: bounded waits, split uploads, atomic downloads."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import inspect
import io
import itertools
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from attrs import frozen

from ._exchange import Sink
from .errors import JobFailedError, JobTimeoutError
from .models import Export, Import, ImportStatus

__all__ = [
    "DEFAULT_POLL",
    "EXPORT_FAILED",
    "IMPORT_FAILED",
    "IMPORT_PARKED",
    "FileSink",
    "PollSchedule",
    "ProgressCallback",
    "download_keys",
    "download_to_file",
    "export_file_link",
    "wait_for_job",
]

Job = TypeVar("Job", Import, Export)

ProgressCallback = Callable[[Any], "Awaitable[None] | None"]
"""Called with the job model each time its status changes (sync or async)."""

IMPORT_PARKED = frozenset({ImportStatus.PENDING_APPROVAL.value})
"""Import statuses that wait for a person (an approval): reported, not waited on."""

IMPORT_FAILED = frozenset({ImportStatus.STOPPED.value, "failed", "error", "cancelled", "canceled"})
EXPORT_FAILED = IMPORT_FAILED | {"expired"}
"""Export statuses are undocumented beyond ``complete``; these end a wait as failures."""

_COMPLETE = ImportStatus.COMPLETE.value


@frozen
class PollSchedule:
    """How often a wait polls: ``first`` seconds, growing by ``factor`` up to ``cap``,
    each with +-10% jitter. Every poll counts against LaunchDarkly's rate limit."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 30.0

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
) -> Job:
    """Poll ``fetch`` until the job is ``done`` (returned), in a ``failed`` status
    (:class:`JobFailedError`) or ``parked`` (returned, to be acted upon), or until
    ``timeout`` seconds have passed (:class:`JobTimeoutError`)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    last: Job | None = None
    delays = schedule.delays()
    while True:
        left = None if deadline is None else deadline - time.monotonic()
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
            delay = min(delay, max(0.0, deadline - time.monotonic()))
        await asyncio.sleep(delay)


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


class FileSink:
    """Receives a download in a temporary file beside its destination, renamed into
    place only once complete: an interrupted download never looks finished."""

    def __init__(self, destination: str | os.PathLike[str]) -> None:
        self.destination = Path(destination)
        self.handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=self.destination.parent,
            prefix=f".{self.destination.name}.",
            suffix=".part",
            delete=False,
        )

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)

    def restart(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def commit(self) -> Path:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.handle.name, self.destination)
        return self.destination

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.handle.name)


async def download_to_file(
    download: Callable[[str, Sink], Awaitable[None]], href: str, destination: str | os.PathLike[str]
) -> Path:
    """Run ``download`` into ``destination`` atomically (see :class:`FileSink`)."""
    sink = FileSink(destination)  # created here: a cancelled thread would leak the file
    try:
        await download(href, sink)
        return await asyncio.to_thread(sink.commit)
    except BaseException:
        sink.discard()
        raise


class _SpoolSink:
    def __init__(self) -> None:
        self.handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)

    def restart(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()


def _read_keys(reader: Iterator[list[str]], count: int) -> list[str]:
    return [row[0] for row in itertools.islice(reader, count) if row and row[0]]


async def download_keys(
    download: Callable[[str, Sink], Awaitable[None]], href: str
) -> AsyncIterator[str]:
    """The first column of the CSV at ``href``, key by key.

    The file is downloaded whole first (to memory, then disk past 8 MB), so no response
    stays open while the caller consumes keys, and a failed download can be retried.
    """
    sink = _SpoolSink()
    try:
        await download(href, sink)
        sink.handle.seek(0)
        text = io.TextIOWrapper(sink.handle, encoding="utf-8", newline="")
        reader = csv.reader(text)
        while keys := await asyncio.to_thread(_read_keys, reader, 10_000):
            for key in keys:
                yield key
    finally:
        sink.handle.close()
