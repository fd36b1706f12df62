"""What a sync found, did, and cost: :class:`SyncReport`, and the tally it is made from."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Literal, TypeVar

from attrs import define, field, frozen

from ld_segments_async._imports import ImportPart

__all__ = ["SyncMethod", "SyncReport", "Tally", "WriteBatch"]

T = TypeVar("T")

SyncMethod = Literal["none", "targets", "import"]
"""How a sync changed the segment: not at all, targeted updates, or one replace import."""


@define
class WriteBatch:
    """One targeted-update request of a sync, and what became of it.

    Attributes:
        index: its place among the sync's requests, from 0.
        added: keys it adds.
        removed: keys it removes.
        state: ``"not_sent"``; ``"applied"``; ``"refused"`` (LaunchDarkly answered with
            an error: nothing of it was applied); ``"unknown"`` (sent, but no answer: it
            may have been applied).
    """

    index: int
    added: int
    removed: int
    state: str = "not_sent"


@frozen
class SyncReport:
    """What a sync found and did.

    Attributes:
        added: keys wanted that the segment did not hold (distinct keys).
        removed: keys the segment held that were not wanted.
        unchanged: keys wanted that it already held.
        method: ``"none"`` (nothing to change), ``"targets"`` (targeted updates in
            batches) or ``"import"`` (one ``replace`` import).
        dry_run: true when nothing was written (``added`` and ``removed`` are then what
            a sync would change).
        requests: requests the sync sent: reads, job polls and writes (each counted
            once, whatever its retries).
        writes: those of them that change the segment (targeted updates, semantic
            patches, import uploads).
        jobs: ids of the export and import jobs it started, in order.
        complete: false only in the report of a
            :class:`~ld_segments_async.SyncIncompleteError`.
        batches: one :class:`WriteBatch` per targeted-update request.
        import_parts: one :class:`~ld_segments_async.ImportPart` per file of the import.
    """

    added: int
    removed: int
    unchanged: int
    method: SyncMethod
    dry_run: bool
    requests: int = 0
    writes: int = 0
    jobs: tuple[str, ...] = ()
    complete: bool = True
    batches: tuple[WriteBatch, ...] = field(default=(), repr=False)
    import_parts: tuple[ImportPart, ...] = field(default=(), repr=False)

    @property
    def applied_added(self) -> int:
        """Keys of ``added`` LaunchDarkly confirmed added: all of them once complete;
        of an incomplete targeted sync, those of the batches applied; of an incomplete
        import, none (see ``import_parts``: a replace import applied in part leaves the
        segment holding the keys of the files applied)."""
        return self._applied("added")

    @property
    def applied_removed(self) -> int:
        """Keys of ``removed`` LaunchDarkly confirmed removed (as ``applied_added``)."""
        return self._applied("removed")

    def _applied(self, what: Literal["added", "removed"]) -> int:
        if self.dry_run:
            return 0
        if self.complete:
            return self.added if what == "added" else self.removed
        return sum(getattr(b, what) for b in self.batches if b.state == "applied")

    def summary(self) -> str:
        """One line a person reads: ``added 12, removed 3, unchanged 985 (targets: 1
        write, 4 requests)``."""
        if self.method == "none":
            return f"in sync: {self.unchanged:,} key(s), nothing to change"
        if self.dry_run:
            return (
                f"would add {self.added:,}, remove {self.removed:,}, "
                f"keep {self.unchanged:,} ({_method_phrase(self.method)}; dry run)"
            )
        writes = f"{self.writes:,} write{'s' if self.writes != 1 else ''}"
        return (
            f"added {self.added:,}, removed {self.removed:,}, unchanged {self.unchanged:,} "
            f"({self.method}: {writes}, {self.requests:,} requests)"
        )


def _method_phrase(method: SyncMethod) -> str:
    return "targeted updates" if method == "targets" else "one replace import"


class Tally:
    """Requests a sync sends, and the jobs it starts, as it goes."""

    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0
        self.jobs: list[str] = []

    @property
    def requests(self) -> int:
        return self.reads + self.writes

    async def read(self, call: Awaitable[T]) -> T:
        self.reads += 1
        return await call

    async def write(self, call: Awaitable[T]) -> T:
        self.writes += 1
        return await call
