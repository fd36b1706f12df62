"""Walking offset/limit collections: a loop, never recursion.

LaunchDarkly pages by offset. A walk follows ``_links.next`` while the server sends
pagination links (only to the API host itself), and otherwise advances the offset by
the size of each page, stopping at an empty page, a short page, or ``totalCount``. A
page that comes back twice is an error rather than an endless loop.

Offsets shift when items are created or deleted during a walk: an item can then be
skipped or appear on two pages. Walks drop such repeats, so each key is yielded at most
once per walk; an item created mid-walk may or may not be seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit

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
FetchLink = Callable[[str, str], Awaitable[P]]
"""Fetches a page from the path and query of a ``next`` link."""


class _Walk(Generic[P]):
    """The state of one walk: what was requested and yielded so far."""

    def __init__(self, base_url: str, page_size: int) -> None:
        self.base_url = base_url
        self.page_size = page_size
        self.requested: set[str] = set()
        self.seen_keys: set[str] = set()
        self.previous_keys: list[str] | None = None

    def next_link(self, page: P) -> tuple[str, str] | None:
        """Path and query of the page's ``next`` link, if it stays on the API host."""
        link = (page.links or {}).get("next")
        if link is None or not link.href:
            return None
        url = urljoin(self.base_url + "/", link.href)
        base, target = urlsplit(self.base_url), urlsplit(url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            return None  # never send the API key to another host
        return target.path, target.query

    def ends_by_links(self, page: P) -> bool:
        """The server pages with links and this page has no ``next``: the last one.

        (A ``next`` to another host is not followed; offsets take over instead.)"""
        links = page.links or {}
        return "next" not in links and any(name in links for name in _PAGING_LINKS)

    def check_new(self, page: P, where: str) -> None:
        if where in self.requested:
            raise DecodeError(f"pagination loops: {where} was already fetched in this walk")
        self.requested.add(where)
        keys = [item.key for item in page.items]
        if keys and keys == self.previous_keys:
            raise DecodeError(f"pagination returned the same page twice (at {where})")
        self.previous_keys = keys

    def fresh(self, page: P) -> P:
        """The page without items already yielded by this walk."""
        items = [item for item in page.items if item.key not in self.seen_keys]
        self.seen_keys.update(item.key for item in items)
        if len(items) != len(page.items):
            page.items = items
        return page


def _is_last(page: Page[Any], offset: int, page_size: int) -> bool:
    count = len(page.items)
    if count == 0:
        return True
    if page.total_count is not None:
        return offset + count >= page.total_count
    return count < page_size


async def walk_pages(
    fetch_offset: FetchOffset[P],
    fetch_link: FetchLink[P],
    *,
    base_url: str,
    page_size: int,
    concurrency: int = 1,
) -> AsyncIterator[P]:
    """Yield every page of a collection in order (see the module docstring).

    With ``concurrency`` > 1, once the first page tells ``totalCount`` the following
    offsets are fetched that many at a time, still yielded in order, with at most
    ``concurrency`` pages held at once.
    """
    walk: _Walk[P] = _Walk(base_url, page_size)
    offset = 0
    page = await fetch_offset(offset)
    walk.check_new(page, "offset 0")
    if concurrency > 1 and page.total_count is not None and page.items:
        yield walk.fresh(page)
        # The first page tells the server's real page size (it may clamp ours).
        step = len(page.items)
        offsets = range(step, page.total_count, step)
        async for page in _prefetch(fetch_offset, walk, offsets, concurrency):
            yield walk.fresh(page)
        return
    while True:
        yield walk.fresh(page)
        link = walk.next_link(page)
        if link is not None:
            path, query = link
            offset = _offset_of(query, offset + len(page.items))
            page = await fetch_link(path, query)
            walk.check_new(page, f"{path}?{query}")
            continue
        if walk.ends_by_links(page) or _is_last(page, offset, page_size):
            return
        offset += len(page.items)
        page = await fetch_offset(offset)
        walk.check_new(page, f"offset {offset}")


def _offset_of(query: str, fallback: int) -> int:
    for name, value in parse_qsl(query):
        if name == "offset" and value.isdigit():
            return int(value)
    return fallback


async def _prefetch(
    fetch_offset: FetchOffset[P], walk: _Walk[P], offsets: range, concurrency: int
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
            walk.check_new(page, f"offset {offset}")
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
