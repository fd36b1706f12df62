"""Big-segment jobs of a client: bounded waits, imports split over several uploads,
export downloads, and exports in one call.

The waits are :mod:`.jobs`', the split :mod:`._imports`', the files :mod:`._exports`';
here are the requests they make.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Literal, TypeAlias

from . import _arguments, _paths
from . import _operations as ops
from ._client_base import ClientBase
from ._exports import download_export, export_keys, finished_export, keys_of_new_export
from ._imports import ImportPart, import_in_parts
from ._upload import CsvFile, ImportFile, check_file, multipart_body
from .jobs import (
    EXPORT_FAILED,
    IMPORT_FAILED,
    IMPORT_PARKED,
    ExportProgress,
    ImportProgress,
    PollSchedule,
    export_done,
    export_file_link,
    import_done,
    wait_for_job,
)
from .models import Export, Import, ImportMode

__all__ = ["BigSegmentJobs", "Mode"]

Mode: TypeAlias = Literal["merge", "replace"] | ImportMode
"""A big-segment import mode."""


class BigSegmentJobs(ClientBase):
    @staticmethod
    def _check_import(
        keys: tuple[str, ...], file: ImportFile, mode: Mode, wait_on_approvals: bool | None
    ) -> str:
        _paths.check(ops.IMPORTS, *keys)
        checked = _arguments.import_mode(mode)
        _arguments.flag(wait_on_approvals, "wait_on_approvals")
        check_file(file)
        return checked

    async def _upload(
        self, keys: tuple[str, ...], csv: CsvFile, mode: str, wait_on_approvals: bool | None
    ) -> str:
        body = multipart_body(csv, mode, wait_on_approvals)
        return await self._perform(ops.start_import(keys, body))

    async def wait_for_big_segment_import(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        import_id: str,
        *,
        timeout: float | None = 3600,
        on_progress: ImportProgress | None = None,
        wait_for_approval: bool = False,
        poll: PollSchedule | float | None = None,
    ) -> Import:
        """Poll an import until it is ``complete``.

        An import waiting for an approval (``pending_approval``) is returned as it is,
        unless ``wait_for_approval``: then the wait goes on until ``timeout``. Other
        statuses (``preparing``, ``ready``, ``in_progress``...) are waited through.

        Args:
            timeout: seconds before giving up (``None``: no limit).
            on_progress: called (sync or async) with the :class:`Import` each time its
                status changes.
            poll: a :class:`PollSchedule`, or seconds for the first wait (growing 1.5x
                up to 30 s); each poll counts against the rate limit.

        Raises:
            JobFailedError: the import ended ``stopped`` (or another failure status).
            JobTimeoutError: still unfinished after ``timeout``; carries the last status.
        """
        keys = (project_key, environment_key, segment_key, import_id)
        _paths.check(ops.IMPORT, *keys)
        _arguments.flag(wait_for_approval, "wait_for_approval", optional=False)
        timeout, on_progress, schedule = _arguments.wait(timeout, on_progress, poll)
        return await wait_for_job(
            lambda: self._perform(ops.get_import(keys)),
            import_id,
            done=import_done,
            failed=IMPORT_FAILED,
            parked=frozenset() if wait_for_approval else IMPORT_PARKED,
            timeout=timeout,
            on_progress=on_progress,
            schedule=schedule,
            clock=self._transport.clock,
        )

    async def import_big_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        file: ImportFile,
        mode: Mode = "merge",
        wait_on_approvals: bool | None = None,
        *,
        timeout: float | None = 3600,
        on_progress: ImportProgress | None = None,
        poll: PollSchedule | float | None = None,
        record: list[ImportPart] | None = None,
    ) -> Import:
        """Import keys into a big segment and wait until they are applied.

        Every key is read, checked and spooled to disk before the first upload, so bad
        input anywhere fails with nothing sent. Inputs over LaunchDarkly's per-file
        limits (1,000,000 keys or 40 MB) are split into sequential uploads, each
        awaited before the next: the first in ``mode``, the rest in ``merge``.

        Args:
            file: as for :meth:`create_big_segment_import`.
            timeout: seconds for the uploads and their waits (from the first upload).
            on_progress, poll: as for :meth:`wait_for_big_segment_import`.
            record: a list the import fills with one :class:`ImportPart` per file and
                keeps up to date (state, import id, last job): what was applied, even
                when the import is cancelled.

        Returns:
            The final state of the last upload.

        Raises:
            ValueError, TypeError, FileNotFoundError: bad input (nothing was sent).
            ImportIncompleteError: a failure once LaunchDarkly may hold some of the
                keys, in any mode; ``parts`` says which files were applied, with their
                import ids. :class:`ImportStoppedError` (a stopped upload) is also a
                ``JobFailedError``, :class:`ImportTimeoutError` a ``JobTimeoutError``.
            ConflictError: another import is running in the environment (and nothing
                was applied; other errors before anything could change are raised as
                they are too).
            asyncio.CancelledError: re-raised as it is; ``record`` (and from Python
                3.11 a note on the exception) says what was applied.
        """
        keys = (project_key, environment_key, segment_key)
        checked_mode = self._check_import(keys, file, mode, wait_on_approvals)
        timeout, on_progress, schedule = _arguments.wait(timeout, on_progress, poll)
        if record is not None and not isinstance(record, list):
            raise TypeError(f"record must be a list, got {type(record).__name__}")

        async def start(csv: CsvFile, upload_mode: str) -> str:
            return await self._upload(keys, csv, upload_mode, wait_on_approvals)

        return await import_in_parts(
            start,
            lambda import_id: self._perform(ops.get_import((*keys, import_id))),
            file,
            checked_mode,
            timeout=timeout,
            on_progress=on_progress,
            poll=schedule,
            record=record,
            clock=self._transport.clock,
        )

    async def wait_for_big_segment_export(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        export_id: str,
        *,
        timeout: float | None = 3600,
        on_progress: ExportProgress | None = None,
        poll: PollSchedule | float | None = None,
    ) -> Export:
        """Poll an export until it is ``complete``; the result links to the CSV.

        Args:
            timeout, on_progress, poll: as for :meth:`wait_for_big_segment_import`.

        Raises:
            JobFailedError: the export ended in a failure status.
            JobTimeoutError: still unfinished after ``timeout``.
        """
        keys = (project_key, environment_key, segment_key, export_id)
        _paths.check(ops.EXPORT, *keys)
        timeout, on_progress, schedule = _arguments.wait(timeout, on_progress, poll)
        return await wait_for_job(
            lambda: self._perform(ops.get_export(keys)),
            export_id,
            done=export_done,
            failed=EXPORT_FAILED,
            timeout=timeout,
            on_progress=on_progress,
            schedule=schedule,
            clock=self._transport.clock,
        )

    async def download_big_segment_export(
        self, export: Export, path: str | os.PathLike[str]
    ) -> Path:
        """Download a complete export's CSV to ``path``, atomically: the data goes to a
        temporary file beside it, renamed only once whole.

        ``Authorization`` is sent only if the file is on the API host itself (never to
        an object store, never across a redirect to another host).

        Raises:
            ValueError: the export has no file link yet.
            FileNotFoundError: the folder of ``path`` does not exist (nothing was sent).
        """
        _arguments.export(export)
        return await download_export(
            self._transport, export, path, retry=self._retry, timeout=self._timeout
        )

    def iter_big_segment_export_keys(self, export: Export) -> AsyncIterator[str]:
        """The keys of a complete export (first CSV column), downloaded then read lazily.

        Raises:
            ValueError: the export has no file link yet.
        """
        _arguments.export(export)
        export_file_link(export)  # no file yet: a ValueError now, not on first iteration
        return export_keys(self._transport, export, retry=self._retry, timeout=self._timeout)

    async def export_big_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        path: str | os.PathLike[str],
        *,
        timeout: float | None = 3600,
        on_progress: ExportProgress | None = None,
        poll: PollSchedule | float | None = None,
    ) -> Path:
        """Export a big segment's keys to a CSV file, in one call: create the export,
        wait for it, download it (atomically, as :meth:`download_big_segment_export`).

        Args:
            path: the file to write; its folder must exist.
            timeout: seconds for the export to be created and finish; the download
                then lasts as long as bytes keep coming (the read timeout).
            on_progress, poll: as for :meth:`wait_for_big_segment_export`.

        Returns:
            ``path``, as a :class:`~pathlib.Path`.

        Raises:
            FileNotFoundError: the folder of ``path`` does not exist (nothing was sent).
            JobFailedError, JobTimeoutError: as for :meth:`wait_for_big_segment_export`
                (the error carries the export id, to wait again).
        """
        keys = (project_key, environment_key, segment_key)
        _arguments.destination(path)
        finish = self._export_finisher(keys, timeout, on_progress, poll)
        return await self.download_big_segment_export(await finish(), path)

    def iter_big_segment_keys(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        *,
        timeout: float | None = 3600,
        on_progress: ExportProgress | None = None,
        poll: PollSchedule | float | None = None,
    ) -> AsyncIterator[str]:
        """A big segment's keys (``async for``), in one call: on first iteration an
        export is created and waited for, then its file is read key by key (as
        :meth:`iter_big_segment_export_keys`). Nothing is sent before the first
        iteration; closing the iteration (``contextlib.aclosing``, or leaving an
        ``async for``) at any point closes the download with it.

        The result is an import ``file`` too: ``import_big_segment(p, "staging", s,
        ld.iter_big_segment_keys(p, "production", s))`` copies a segment's members.

        Args:
            timeout, on_progress, poll: as for :meth:`export_big_segment`.

        Raises:
            ValueError, TypeError: bad arguments (at call time).
            JobFailedError, JobTimeoutError: on first iteration, as for
                :meth:`wait_for_big_segment_export`.
        """
        keys = (project_key, environment_key, segment_key)
        finish = self._export_finisher(keys, timeout, on_progress, poll)

        def keys_of(export: Export) -> AsyncGenerator[str, None]:
            return export_keys(self._transport, export, retry=self._retry, timeout=self._timeout)

        return keys_of_new_export(finish, keys_of)

    def _export_finisher(
        self,
        keys: tuple[str, str, str],
        timeout: float | None,
        on_progress: ExportProgress | None,
        poll: PollSchedule | float | None,
    ) -> Callable[[], Awaitable[Export]]:
        """Checks the arguments of a one-call export now; returns what creates the
        export and waits for it."""
        _paths.check(ops.EXPORTS, *keys)
        timeout, on_progress, schedule = _arguments.wait(timeout, on_progress, poll)

        async def wait(export_id: str, left: float | None) -> Export:
            return await self.wait_for_big_segment_export(
                *keys, export_id, timeout=left, on_progress=on_progress, poll=schedule
            )

        create = partial(self._perform, ops.create_export(keys))
        return partial(finished_export, create, wait, timeout, self._transport.clock)
