"""Sending a difference as targeted updates, one request after another, each recorded
as a :class:`~.report.WriteBatch`, so that a failure says exactly what was applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ld_segments_async.errors import (
    ApiError,
    LaunchDarklyError,
    SyncIncompleteError,
    TransportError,
)

from .diff import KeyDiff
from .plan import Changes, Run, pack
from .report import SyncMethod, SyncReport, Tally, WriteBatch

__all__ = ["Report", "Send", "apply_in_batches", "reporter"]

Send = Callable[[Changes], Awaitable[None]]
"""Sends one request's changes."""
Report = Callable[..., SyncReport]
"""The sync's report, given what differs from a complete one."""


def reporter(diff: KeyDiff, tally: Tally, method: SyncMethod, dry_run: bool) -> Report:
    """The report of a sync as it stands when called: the difference, and the requests
    and jobs so far."""

    def report(**done: Any) -> SyncReport:
        return SyncReport(
            added=diff.added.count,
            removed=diff.removed.count,
            unchanged=diff.unchanged,
            method=method,
            dry_run=dry_run,
            requests=tally.requests,
            writes=tally.writes,
            jobs=tuple(tally.jobs),
            **done,
        )

    return report


async def apply_in_batches(
    runs: Sequence[Run], size: int, send: Send, report: Report
) -> tuple[WriteBatch, ...]:
    """Send ``runs`` in requests of at most ``size`` operations, in order.

    Raises:
        SyncIncompleteError: a failure once some request was (or may have been) applied.
        LaunchDarklyError: a failure before anything changed, as it is.
        asyncio.CancelledError: as it is, noting (Python 3.11+) what was applied.
    """
    batches: list[WriteBatch] = []
    try:
        async for change in pack(runs, size):
            batch = WriteBatch(len(batches), len(change.add), len(change.remove))
            batches.append(batch)
            batch.state = "unknown"  # from the moment it may reach LaunchDarkly
            try:
                await send(change)
            except BaseException as error:
                batch.state = _fate(error)
                raise
            batch.state = "applied"
    except LaunchDarklyError as error:
        if not _changed(batches):
            raise  # nothing changed: the plain error says it all
        incomplete = report(complete=False, batches=tuple(batches))
        raise SyncIncompleteError(incomplete, error) from error
    except BaseException as error:  # cancellation (re-raised as it is), interrupts
        if _changed(batches):
            _note(error, SyncIncompleteError(report(complete=False, batches=tuple(batches)), error))
        raise
    return tuple(batches)


def _changed(batches: list[WriteBatch]) -> bool:
    return any(batch.state in ("applied", "unknown") for batch in batches)


def _fate(error: BaseException) -> str:
    """What became of a request that raised ``error``."""
    if isinstance(error, ApiError) and error.status < 500:
        return "refused"  # answered and refused; a 5xx may come after the change
    if isinstance(error, TransportError) and not error.request_sent:
        return "not_sent"
    return "unknown"


def _note(error: BaseException, incomplete: SyncIncompleteError) -> None:
    add_note: Any = getattr(error, "add_note", None)  # Python 3.11+
    if add_note is not None:
        add_note(str(incomplete))
