"""``import_big_segment``: an import split over several uploads that fails before it
changes anything, or says exactly what it changed.

Every key is read, checked and spooled before the first upload (:func:`prepare_files`),
so bad input anywhere in it never reaches LaunchDarkly. The uploads then go one after
another, each awaited before the next: the first in the caller's mode, the rest in
``merge``. Each file has an :class:`ImportPart` recording what became of it; a failure
once LaunchDarkly may have been changed raises
:class:`~ld_segments_async.errors.ImportIncompleteError` with all of them. Cancellation
is re-raised as it is: the caller's ``record`` (and, from Python 3.11, a note on the
``CancelledError``) says the same.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from attrs import define

from ._clock import SYSTEM_CLOCK, Clock
from ._upload import CsvFile, ImportFile, prepare_files
from .errors import (
    ApiError,
    ImportIncompleteError,
    ImportStoppedError,
    ImportTimeoutError,
    JobFailedError,
    JobTimeoutError,
    TransportError,
)
from .jobs import IMPORT_FAILED, PollSchedule, ProgressCallback, import_done, wait_for_job
from .models import Import, ImportMode

__all__ = ["ImportPart", "import_in_parts"]

StartImport = Callable[[CsvFile, str], Awaitable[str]]
"""Uploads one file in a mode; returns the import id."""
FetchImport = Callable[[str], Awaitable[Import]]
"""Gets the state of an import by id."""


@define
class ImportPart:
    """One file of an import and what became of it (updated as the import goes).

    Attributes:
        index: the file's place among the import's files, from 0.
        first_key: the position in the input of its first key, from 1.
        keys: how many keys it holds.
        mode: ``"replace"`` or ``"merge"``.
        state: ``"not_sent"``; ``"refused"`` (LaunchDarkly answered the upload with an
            error: nothing was created); ``"unknown"`` (sent, but no answer: it may
            have been created); ``"pending"`` (created, not finished when the import
            stopped waiting: LaunchDarkly may still apply it); ``"applied"``;
            ``"stopped"`` (ended in a failure status).
        import_id: LaunchDarkly's id of its import, once created.
        job: the last state of that import seen.
    """

    index: int
    first_key: int
    keys: int
    mode: str
    state: str = "not_sent"
    import_id: str | None = None
    job: Import | None = None

    @property
    def last_key(self) -> int:
        """The position in the input of its last key, from 1."""
        return self.first_key + self.keys - 1


async def import_in_parts(
    start: StartImport,
    fetch: FetchImport,
    file: ImportFile,
    mode: str,
    *,
    timeout: float | None,
    on_progress: ProgressCallback | None,
    poll: PollSchedule,
    record: list[ImportPart] | None,
    clock: Clock = SYSTEM_CLOCK,
) -> Import:
    """Import ``file`` over as many uploads as LaunchDarkly's limits need; return the
    final state of the last one.

    Raises:
        ValueError, TypeError: bad input (nothing was sent).
        ImportIncompleteError: a failure once LaunchDarkly may hold some of the keys.
        LaunchDarklyError: a failure before anything could change (the first upload
            refused, or never sent).
    """
    files = await prepare_files(file)
    parts = record if record is not None else []
    parts[:] = [
        ImportPart(n, f.first_key, f.keys, mode if n == 0 else ImportMode.MERGE.value)
        for n, f in enumerate(files)
    ]
    deadline = None if timeout is None else clock.monotonic() + timeout
    try:
        for part, csv_file in zip(parts, files, strict=True):
            left = None if deadline is None else deadline - clock.monotonic()
            if left is not None and left <= 0:
                raise _out_of_time(parts[part.index - 1], part, timeout or 0.0)
            await _upload(start, part, csv_file)
            await _wait(fetch, part, left, on_progress, poll, clock)
    except Exception as error:
        if all(part.state in ("not_sent", "refused") for part in parts):
            raise  # LaunchDarkly holds none of the keys: the plain error says it all
        raise _incomplete(parts, error) from error
    except BaseException as error:  # cancellation (re-raised as it is), interrupts
        _note(error, parts)
        raise
    finally:
        for csv_file in files:
            csv_file.close()
    assert parts[-1].job is not None
    return parts[-1].job


async def _upload(start: StartImport, part: ImportPart, csv_file: CsvFile) -> None:
    part.state = "unknown"  # from the moment it may reach LaunchDarkly
    try:
        part.import_id = await start(csv_file, part.mode)
    except ApiError as error:
        if error.status < 500:  # answered and refused; a 5xx may come after the import
            part.state = "refused"
        raise
    except TransportError as error:
        if not error.request_sent:
            part.state = "not_sent"
        raise
    part.state = "pending"


async def _wait(
    fetch: FetchImport,
    part: ImportPart,
    timeout: float | None,
    on_progress: ProgressCallback | None,
    poll: PollSchedule,
    clock: Clock,
) -> None:
    import_id = part.import_id
    assert import_id is not None

    async def seen(job: Import) -> None:
        part.job = job
        if on_progress is not None:
            result = on_progress(job)
            if inspect.isawaitable(result):
                await result

    try:
        part.job = await wait_for_job(
            lambda: fetch(import_id),
            import_id,
            done=import_done,
            failed=IMPORT_FAILED,
            timeout=timeout,
            on_progress=seen,
            schedule=poll,
            clock=clock,
        )
    except JobFailedError as error:
        part.state, part.job = "stopped", error.job  # type: ignore[assignment]
        raise
    part.state = "applied"


def _out_of_time(last: ImportPart, part: ImportPart, timeout: float) -> JobTimeoutError:
    """The timeout ran out between two uploads: the next one is not sent."""
    error = JobTimeoutError(last.job, timeout, last.import_id or "")
    error.args = (f"the {timeout:g}s timeout ran out before file {part.index + 1} was sent",)
    return error


def _incomplete(parts: list[ImportPart], error: Exception) -> ImportIncompleteError:
    if isinstance(error, JobFailedError):
        return ImportStoppedError(parts, error)
    if isinstance(error, JobTimeoutError):
        return ImportTimeoutError(parts, error)
    return ImportIncompleteError(parts, error)


def _note(error: BaseException, parts: list[ImportPart]) -> None:
    add_note: Any = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None and any(part.state != "not_sent" for part in parts):
        add_note(str(ImportIncompleteError(parts, error)))
