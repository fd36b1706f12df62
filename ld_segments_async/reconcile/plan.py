"""How a sync applies a difference: the rule that picks targeted updates or one replace
import, and the packing of changes into requests.

The rule (``method="auto"``): targeted updates while they take at most
``max_target_requests`` requests (default :data:`DEFAULT_MAX_TARGET_REQUESTS`) of at
most ``batch_size`` target operations each (default :data:`DEFAULT_BATCH_SIZE`: 150,000
changed keys with the defaults), else one ``replace`` import of every key wanted. A
targeted update takes effect when LaunchDarkly answers and touches only what changed;
an import is one upload per 1,000,000 keys but runs as a job LaunchDarkly says "may take
several minutes or hours", and rewrites the whole list. An empty list is always applied
with targeted updates: an import cannot be empty.

A target operation is one key added to or removed from one list: a key added to a list
that it must also leave (a big segment's excluded keys, the other list of a standard
segment) costs two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Literal

from attrs import define, field

from ld_segments_async import _arguments
from ld_segments_async.instructions import MAX_TARGET_OPERATIONS
from ld_segments_async.jobs import DEFAULT_POLL, PollSchedule

from .diff import KeyList
from .report import SyncMethod

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_TARGET_REQUESTS",
    "Changes",
    "Options",
    "Run",
    "choose",
    "pack",
    "request_count",
]

DEFAULT_BATCH_SIZE = MAX_TARGET_OPERATIONS
"""Target operations per request: LaunchDarkly's documented limit for a semantic patch
(it documents none for a big segment's targeted updates: the same number keeps those
requests as small)."""

DEFAULT_MAX_TARGET_REQUESTS = 100
"""The most targeted-update requests ``method="auto"`` sends before it prefers one
replace import."""

Method = Literal["auto", "targets", "import"]
_METHODS = ("auto", "targets", "import")


@define(frozen=True)
class Options:
    """A sync's options, checked before anything is read or sent."""

    method: Method = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE
    max_target_requests: int = DEFAULT_MAX_TARGET_REQUESTS
    allow_empty: bool = False
    timeout: float | None = 3600
    poll: PollSchedule = DEFAULT_POLL

    @classmethod
    def checked(
        cls,
        *,
        method: str,
        batch_size: int,
        max_target_requests: int,
        allow_empty: bool,
        timeout: float | None,
        poll: PollSchedule | float | None,
        largest_batch: int | None = None,
    ) -> Options:
        """The options, or the ``ValueError``/``TypeError`` naming the bad one."""
        if method not in _METHODS:
            raise ValueError(f"method must be 'auto', 'targets' or 'import', got {method!r}")
        _whole("batch_size", batch_size, 1)
        if largest_batch is not None and batch_size > largest_batch:
            raise ValueError(
                f"batch_size {batch_size}: LaunchDarkly takes at most {largest_batch} target "
                "operations per request"
            )
        _whole("max_target_requests", max_target_requests, 0)
        return cls(
            method,  # type: ignore[arg-type]
            batch_size,
            max_target_requests,
            bool(allow_empty),
            _arguments.seconds(timeout, "timeout"),
            _arguments.poll_schedule(poll),
        )

    def check_wanted(self, keys: int) -> None:
        """Raises: ValueError for an empty list without ``allow_empty``, or one that an
        import was asked to apply."""
        if keys:
            return
        if not self.allow_empty:
            raise ValueError(
                "no keys: a sync to an empty list removes every member; pass "
                "allow_empty=True if that is what you want"
            )
        if self.method == "import":
            raise ValueError("an import cannot empty a segment: use method='targets' or 'auto'")


def _whole(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")


def choose(options: Options, requests: int, wanted: int) -> SyncMethod:
    """The method for a difference that targeted updates apply in ``requests``."""
    if requests == 0:
        return "none"
    if options.method != "auto":
        return options.method
    if wanted == 0 or requests <= options.max_target_requests:
        return "targets"
    return "import"


@define(frozen=True)
class Run:
    """Keys to add or remove, each costing the same number of target operations."""

    action: Literal["add", "remove"]
    keys: KeyList
    cost: int = 1


def request_count(runs: Sequence[Run], size: int) -> int:
    """How many requests :func:`pack` fills with ``runs``."""
    requests = room = 0
    for run in runs:
        keys = run.keys.count
        while keys:
            if room < run.cost:
                requests, room = requests + 1, size
            fits = min(keys, room // run.cost)
            keys -= fits
            room -= fits * run.cost
    return requests


@define
class Changes:
    """The keys one request adds and removes."""

    add: list[str] = field(factory=list)
    remove: list[str] = field(factory=list)
    operations: int = 0


async def pack(runs: Sequence[Run], size: int) -> AsyncIterator[Changes]:
    """The keys of ``runs``, in order, in requests of at most ``size`` operations."""
    batch = Changes()
    for run in runs:
        async for chunk in run.keys.chunks():
            for key in chunk:
                if batch.operations + run.cost > size:
                    yield batch
                    batch = Changes()
                (batch.add if run.action == "add" else batch.remove).append(key)
                batch.operations += run.cost
    if batch.operations:
        yield batch
