"""Walking offset/limit collections that change while they are walked: a loop, never
recursion.

LaunchDarkly pages by offset, and an offset names a place in a listing that moves: a
segment created or deleted before the walk's position shifts every later item by one,
so a plain offset loop skips items or serves them twice. These walks hold on to what
they have seen instead:

* Every request after the first starts at the last item of the page before (pages
  overlap by one item). Finding an item already yielded, unchanged, in the new page
  proves the new page continues the walk: what follows it follows everything yielded.
* A page that holds no such item is a *miss*: the listing moved under the walk. The walk
  steps back (by what ``totalCount`` says was deleted, then a page at a time, down to
  offset 0 if need be) until a page overlaps what it has yielded again.
* The walk ends only on a page that continues it and reaches the end of the listing
  (``totalCount``, a page shorter than the ones before, or no ``next`` link when the
  server pages with links).

**Guarantee** (for a server whose pages are windows of one consistent order):

* an item that exists for the whole walk is yielded exactly once, provided its place in
  the order does not change (see the limits);
* no item is yielded twice, within a page or across pages;
* an item created or deleted during the walk is yielded at most once (it is yielded if
  the walk reaches its place while it exists);
* an unchanging listing of ``n`` items costs ``1 + ceil((n - page_size) / (page_size -
  1))`` requests (one if ``n <= page_size``; one more if the last page is full and the
  server sends neither ``totalCount`` nor links): each request re-reads one item, so
  ``1 / (page_size - 1)`` more requests than a plain offset loop (2% at the default
  50). Each change during the walk costs a few requests at most, plus the pages in
  flight when fetched ahead: ``tests/test_walk_guarantee.py`` checks ``requests <=
  ceil(n / (page_size - 1)) + 2 + (2 + concurrency) * changes``.

**Limits.** An item whose sort key changes during the walk (renamed under ``sort=name``,
modified under ``sort=lastModified``) moves: it counts as deleted and created, so it is
yielded at most once; ``creationDate`` never changes, which makes it the safest sort to
walk (and, ascending, the cheapest while items are created: they land after the walk).
Items are compared by key and revision (a segment's ``version`` and
``lastModifiedDate``), so a walk holds one small entry per item seen. Ties in the sort
order must be broken the same way on every request. Items created before the walk's
position push it back: created as fast as it advances (``page_size - 1`` a request), they
stall it. A walk that cannot keep the guarantee (the server contradicts itself, or the
listing changes faster than it can be walked) raises
:class:`~ld_segments_async.errors.DecodeError`; it never ends quietly short.

Every page is fetched with the caller's own query (page size, sort, filter) at an
offset: ``_links`` and ``totalCount`` only say whether there is more, so a link can
neither drop the filter nor send the key to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, Protocol, TypeVar

from .errors import DecodeError
from .models import Link

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Page",
    "check_walk",
    "environment_revision",
    "items_of",
    "segment_revision",
    "walk_pages",
]

DEFAULT_PAGE_SIZE = 50
_PAGING_LINKS = ("next", "prev", "first", "last")
_UNSEEN = object()
_MIN_IDLE = 8


class _Keyed(Protocol):
    key: str


K = TypeVar("K", bound=_Keyed)


class Page(Protocol[K]):
    items: list[K]

    @property
    def links(self) -> dict[str, Link] | None: ...

    @property
    def total_count(self) -> int | None: ...


P = TypeVar("P", bound=Page[Any])

FetchOffset = Callable[[int], Awaitable[P]]
"""Fetches the page starting at an offset (page size, sort and filter bound in)."""

Revision = Callable[[Any], Hashable]
"""What changes when an item is modified (and so may have moved in the sort order)."""


def segment_revision(segment: Any) -> Hashable:
    """A segment's ``version`` and ``lastModifiedDate``: both move on every change."""
    return (segment.version, segment.last_modified_date)


def environment_revision(environment: Any) -> Hashable:
    """The fields environments are sorted by that can change (``createdOn`` cannot)."""
    return (environment.name, environment.critical)


def _no_revision(item: Any) -> Hashable:
    return None


def check_walk(page_size: object, concurrency: object = 1) -> None:
    """Raises: ValueError for a page size under 2 (pages overlap by one item) or a
    concurrency under 1."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 2:
        raise ValueError(
            "page_size must be an integer of at least 2 (each page re-reads the last item "
            f"of the one before), got {page_size!r}"
        )
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")


class _Walk:
    """What one walk knows, and where it asks next; no I/O (the drivers fetch)."""

    def __init__(self, page_size: int, revision: Revision) -> None:
        self.page_size = page_size
        self.revision = revision
        self.seen: dict[str, Hashable] = {}  # key -> revision, for items yielded
        self.anchor = -1  # where the last item of the last overlapping page was
        self.anchor_total: int | None = None  # totalCount then
        self.total: int | None = None  # the latest totalCount
        self.served = 0  # the longest page served: the server's real page size
        self.slack = 0  # items to re-read before the anchor: deletions expected there
        self.positions: dict[str, int] = {}  # where the last page's items stood
        self.lowest_miss: int | None = None  # the lowest offset tried since the anchor
        self.misses = 0  # pages in a row that did not continue the walk
        self.next_offset = 0
        self.idle = 0  # requests in a row that brought nothing new
        self.idle_total = 0  # totalCount when they began
        self.changes = 0  # changes seen: totalCount's moves, modified items, misses...
        self.done = False

    @property
    def stride(self) -> int:
        """How far apart pages fetched ahead start: one item of overlap."""
        return max(1, min(self.page_size, self.served) - 1)

    def accept(self, offset: int, page: Page[Any]) -> list[Any] | None:
        """The items of ``page`` new to the walk, or ``None`` if it does not continue
        the walk (a miss); plans :attr:`next_offset` either way."""
        items = page.items
        served_before, self.served = self.served, max(self.served, len(items))
        keys = [item.key for item in items]
        revisions = [self.revision(item) for item in items]
        known = [self.seen.get(key, _UNSEEN) for key in keys]
        pairs = zip(known, revisions, strict=True)
        self.changes += sum(was is not _UNSEEN and was != now for was, now in pairs)  # modified
        if page.total_count is not None:
            self.changes += abs(_difference(self.total, page.total_count))
            self.total = page.total_count
        start = _continuation(known, revisions, offset)
        if start is None:
            self.changes += 1  # at least one, or the page would continue the walk
            self._step_back(offset)
            return self._nothing_new(offset)
        fresh = []
        for index, key in enumerate(keys):
            if index >= start:
                if key not in self.seen:
                    fresh.append(items[index])
            elif known[index] is _UNSEEN:
                continue  # created behind the walk: not to be yielded out of order
            self.seen[key] = revisions[index]  # it now stands where this page shows it
        self.done = not items or self._is_last(offset, page, served_before)
        if self.served == 1 and not self.done:
            raise DecodeError(
                f"the server serves one item per page (page_size={self.page_size} was "
                "asked): pages cannot overlap, so the walk cannot prove it misses nothing"
            )
        # How far the listing moved back under the walk since the page before (what
        # totalCount lost, or where this page found the item it continues from) is
        # most likely to happen again before the next page (a caller deleting what it
        # is given): the next page re-reads that many items before the anchor.
        drift = self._drift(offset, keys, start)
        self.changes += max(drift, 0)
        back = max(_difference(self.anchor_total, self.total), drift)
        self.slack = min(max(back, 0), self.stride)
        self.positions = dict(zip(keys, range(offset, offset + len(keys)), strict=True))
        self.anchor, self.anchor_total = offset + len(items) - 1, self.total
        self.lowest_miss, self.misses = None, 0
        self.next_offset = max(0, self.anchor - self.slack)
        if fresh or self.done:
            self.idle = 0
            return fresh
        return self._nothing_new(offset)

    def _drift(self, offset: int, keys: list[str], start: int) -> int:
        """How far back the item this page continues from moved since the last page."""
        if start == 0:
            return 0
        before = self.positions.get(keys[start - 1])
        return 0 if before is None else before - (offset + start - 1)

    def _is_last(self, offset: int, page: Page[Any], served_before: int) -> bool:
        count = len(page.items)
        if count < self.page_size and count < served_before:
            return True  # shorter than asked and than before: not a clamp, the end
        if page.total_count is not None:
            return offset + count >= page.total_count
        links = page.links or {}
        # A server that pages with links says "last" by sending no next.
        return "next" not in links and any(name in links for name in _PAGING_LINKS)

    def _step_back(self, offset: int) -> None:
        """Plan the request after a miss: further back than anything tried so far."""
        if self.lowest_miss is None:
            deleted = _difference(self.anchor_total, self.total)
            # If totalCount shrank, the deletions most likely came before the anchor.
            guess = self.anchor - deleted if deleted > self.slack else offset - self.stride
        else:
            # Further each time: a listing still moving must not outrun the search.
            guess = self.lowest_miss - self.stride * 2 ** min(self.misses, 16)
        self.misses += 1
        self.next_offset = self.lowest_miss = max(0, min(guess, offset - 1))

    def _nothing_new(self, offset: int) -> list[Any] | None:
        """Count a request that brought nothing new; raise when there are too many.

        Such requests are what the walk pays for change: items created before its
        position (the listing shifts under it), items modified after they were yielded
        (they may have moved) and recoveries from a miss; about two per page's worth of
        the changes seen (totalCount's moves, modified items, items found further
        back than they were, misses). Items found further on are not counted: a server
        that ignores the offset looks just like that. The allowance is capped by the
        totalCount at the start of the run, so a server claiming ever more items cannot
        keep a walk going forever.
        """
        if self.idle == 0:
            self.idle_total = self.total or 0
        self.idle += 1
        change = min(self.changes, self.idle_total)
        if self.idle > _MIN_IDLE + 2 * math.ceil(change / self.stride):
            raise DecodeError(
                f"the listing kept moving under the walk: {self.idle} requests in a row "
                f"(the last at offset {offset}) brought nothing new; the server serves "
                "pages that contradict each other, or the listing changes faster than it "
                "can be walked"
            )
        return None if self.lowest_miss is not None else []


def _continuation(known: list[Hashable], revisions: list[Hashable], offset: int) -> int | None:
    """Where the items after the last one yielded (and unchanged) start; ``None`` when
    the page holds none (at offset 0 the listing's start is that point)."""
    for index in range(len(known) - 1, -1, -1):
        if known[index] == revisions[index]:  # never true of an unseen item
            return index + 1
    return 0 if offset == 0 else None


def _difference(before: int | None, after: int | None) -> int:
    return 0 if before is None or after is None else before - after


async def walk_pages(
    fetch_offset: FetchOffset[P],
    *,
    page_size: int,
    concurrency: int = 1,
    revision: Revision = _no_revision,
) -> AsyncIterator[P]:
    """Yield the pages of a collection in order, each holding only the items new to the
    walk (see the module docstring for the guarantee). The first page is always
    yielded, even empty; later pages only when they bring something new.

    With ``concurrency`` > 1, once the first page tells ``totalCount``, pages are
    fetched ahead, that many at a time, planned anew from each page answered; a page
    showing that the listing moved discards the pages in flight and the walk re-plans
    from where it stands. At most ``concurrency`` pages are held at once.
    """
    walk = _Walk(page_size, revision)
    page = await fetch_offset(0)
    yield _with_items(page, walk.accept(0, page) or [])
    if walk.done:
        return
    if concurrency > 1 and page.total_count is not None:
        async for page in _fetched_ahead(fetch_offset, walk, concurrency):
            yield page
        return
    while not walk.done:
        offset = walk.next_offset
        page = await fetch_offset(offset)
        fresh = walk.accept(offset, page)
        if fresh:
            yield _with_items(page, fresh)


async def _fetched_ahead(
    fetch_offset: FetchOffset[P], walk: _Walk, concurrency: int
) -> AsyncIterator[P]:
    """The pages after the first, ``concurrency`` in flight, yielded in order.

    A fetch is started each time the caller takes a page, so at most ``concurrency``
    pages (in flight, waiting, or with the caller) exist at once; leaving early cancels
    what is in flight.
    """
    pending: deque[tuple[int, asyncio.Task[P]]] = deque()
    plan = walk.next_offset

    def schedule(offset: int) -> None:
        pending.append((offset, asyncio.ensure_future(fetch_offset(offset))))

    async def discard() -> None:
        for _, task in pending:
            task.cancel()
        await asyncio.gather(*(task for _, task in pending), return_exceptions=True)
        pending.clear()

    try:
        while not walk.done:
            if not pending:
                # Nothing planned (a miss, or the listing grew past the plan): ask where
                # the walk stands, whatever totalCount says.
                plan = walk.next_offset
                schedule(plan)
                plan += walk.stride
            # Fetch ahead only from a page that continued the walk, up to the latest
            # totalCount (never only the first page's).
            while (
                walk.lowest_miss is None
                and len(pending) < concurrency
                and plan + 1 < (walk.total or 0)
            ):
                schedule(plan)
                plan += walk.stride
            offset, task = pending.popleft()
            page = await task
            fresh = walk.accept(offset, page)
            if fresh is None:
                await discard()  # planned for a listing that has since moved
                continue
            # Pages not yet planned start from where this one ends.
            plan = walk.next_offset + len(pending) * walk.stride
            if fresh:
                yield _with_items(page, fresh)
    finally:
        await discard()


def _with_items(page: P, items: list[Any]) -> P:
    if len(items) != len(page.items):
        page.items = items
    return page


async def items_of(pages: AsyncIterator[Page[K]]) -> AsyncIterator[K]:
    """The items of ``pages``; closing this generator closes ``pages`` at once (which
    cancels any prefetch), instead of leaving that to the garbage collector."""
    async with contextlib.aclosing(pages):  # type: ignore[type-var]
        async for page in pages:
            for item in page.items:
                yield item
