"""Walking offset/limit collections: a loop, never recursion.

LaunchDarkly pages by offset. Every page is fetched with the caller's own query (page
size, sort, filter) at an offset: ``_links.next`` only says whether there is more and
where it starts, so a link can neither drop the filter nor send the key to another
host. The walk ends at an empty page, when ``totalCount`` is reached (it decides when
the server sends it), when a server that pages with links sends no ``next``, or at a
short page when the server says nothing else. A server that serves the same page again
raises :class:`~ld_segments_async.errors.DecodeError` instead of looping.

Offsets shift when items are created or deleted during a walk: an item can then be
skipped or appear on two pages. Walks drop such repeats, so each key is yielded at most
once per walk; an item created mid-walk may or may not be seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

from .errors import DecodeError
from .models import Link

__all__ = ["DEFAULT_PAGE_SIZE", "Page", "items_of", "walk_pages"]

DEFAULT_PAGE_SIZE = 50
_PAGING_LINKS = ("next", "prev", "first", "last")


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


def _link_offset(link: Link | None) -> int | None:
    if link is None or not link.href:
        return None
    for name, value in parse_qsl(urlsplit(link.href).query):
        if name == "offset" and value.isdigit():
            return int(value)
    return None


class _Walk:
    """What one walk has seen: the keys yielded and the last page's keys."""

    def __init__(self) -> None:
        self.seen_keys: set[str] = set()
        self.previous_keys: list[str] | None = None

    def check_new(self, page: Page[Any], offset: int) -> None:
        keys = [item.key for item in page.items]
        if keys and keys == self.previous_keys:
            raise DecodeError(f"pagination served the same page twice (at offset {offset})")
        self.previous_keys = keys

    def fresh(self, page: P) -> P:
        """The page without items already yielded by this walk."""
        items = [item for item in page.items if item.key not in self.seen_keys]
        self.seen_keys.update(item.key for item in items)
        if len(items) != len(page.items):
            page.items = items
        return page


def _next_offset(page: Page[Any], offset: int, first_count: int, page_size: int) -> int | None:
    """Where the page after ``page`` (fetched at ``offset``) starts; None if it is last."""
    count = len(page.items)
    if count == 0:
        return None
    following = offset + count
    links = page.links or {}
    if page.total_count is not None:
        if following >= page.total_count:
            return None
    elif "next" not in links:
        if any(name in links for name in _PAGING_LINKS):
            return None  # the server pages with links, and this page has no next
        # Nothing but the size to go by. A server may clamp the page size: a page is
        # short only if it is shorter than the first one too.
        if count < page_size and count < first_count:
            return None
    linked = _link_offset(links.get("next"))
    return linked if linked is not None and linked > offset else following


async def walk_pages(
    fetch_offset: FetchOffset[P], *, page_size: int, concurrency: int = 1
) -> AsyncIterator[P]:
    """Yield every page of a collection in order (see the module docstring).

    With ``concurrency`` > 1, once the first page tells ``totalCount`` the following
    offsets are fetched that many at a time, still yielded in order, with at most
    ``concurrency`` pages held at once.
    """
    walk = _Walk()
    offset = 0
    page = await fetch_offset(offset)
    walk.check_new(page, offset)
    first_count = len(page.items)
    if concurrency > 1 and page.total_count is not None and page.items:
        yield walk.fresh(page)
        # The first page tells the server's real page size (it may clamp ours).
        offsets = range(first_count, page.total_count, first_count)
        async for page in _prefetch(fetch_offset, walk, offsets, concurrency):
            yield walk.fresh(page)
        return
    while True:
        yield walk.fresh(page)
        following = _next_offset(page, offset, first_count, page_size)
        if following is None:
            return
        offset = following
        page = await fetch_offset(offset)
        walk.check_new(page, offset)


async def _prefetch(
    fetch_offset: FetchOffset[P], walk: _Walk, offsets: range, concurrency: int
) -> AsyncIterator[P]:
    """Fetch the pages at ``offsets``, ``concurrency`` at a time, yielding them in order.

    A fetch is started each time the caller takes a page, so at most ``concurrency``
    pages (in flight, waiting, or with the caller) exist at once; leaving early cancels
    what is in flight.
    """
    remaining = iter(offsets)
    pending: deque[tuple[int, asyncio.Task[P]]] = deque()

    def schedule() -> None:
        offset = next(remaining, None)
        if offset is not None:
            pending.append((offset, asyncio.ensure_future(fetch_offset(offset))))

    try:
        for _ in range(concurrency):
            schedule()
        while pending:
            offset, task = pending.popleft()
            page = await task
            walk.check_new(page, offset)
            yield page
            schedule()
    finally:
        for _, task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)


async def items_of(pages: AsyncIterator[Page[K]]) -> AsyncIterator[K]:
    """The items of ``pages``; closing this generator closes ``pages`` at once (which
    cancels any prefetch), instead of leaving that to the garbage collector."""
    async with contextlib.aclosing(pages):  # type: ignore[type-var]
        async for page in pages:
            for item in page.items:
                yield item
