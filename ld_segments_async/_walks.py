"""The walks of a client: every segment or environment, page by page (``async for``).

How a walk keeps its guarantee is :mod:`.pagination`'s; here are the requests it makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from . import _operations as ops
from ._client_base import ClientBase
from .filters import Filter, Sort
from .models import Environment, Environments, UserSegment, UserSegments
from .pagination import (
    DEFAULT_PAGE_SIZE,
    check_walk,
    environment_revision,
    items_of,
    segment_revision,
    walk_pages,
)

__all__ = ["Walks"]


class Walks(ClientBase):
    def iter_segment_pages(
        self,
        project_key: str,
        environment_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: str | Sort | None = None,
        filter: str | Filter | None = None,
        concurrency: int = 1,
    ) -> AsyncIterator[UserSegments]:
        """Walk the segments of an environment page by page (``async for``).

        Segments created or deleted during the walk do not make it lose or repeat any
        other: every segment that exists for the whole walk is yielded exactly once
        (unless its sort key changes meanwhile: a rename under ``sort="name"``, any
        change under ``sort="lastModified"``), none twice, and a segment created or
        deleted meanwhile at most once. Pages overlap by one segment to prove it, so
        an unchanging listing costs ``1/(page_size - 1)`` more requests than a plain
        offset loop; the guarantee and its limits are in
        :mod:`ld_segments_async.pagination`. Each page holds the segments new to the
        walk; every request carries this call's page size, sort and filter. Leaving
        the loop early releases the connection; use ``contextlib.aclosing`` to close
        the walk at once in a long-lived task.

        Args:
            page_size: segments per request (at least 2).
            sort, filter: as for :meth:`get_segments`.
            concurrency: once the first page tells ``totalCount``, fetch this many pages
                at a time, planned from each page answered (still yielded in order; at
                most this many pages in memory).

        Raises:
            ValueError, TypeError: bad keys, ``page_size``, ``concurrency``, ``sort`` or
                ``filter`` (at call time).
            DecodeError: the walk could not keep its guarantee (pages that contradict
                each other, or a listing changing faster than it can be walked).
        """
        check_walk(page_size, concurrency)
        ops.get_segments(project_key, environment_key, page_size, 0, sort, filter)  # checks

        async def fetch_offset(offset: int) -> UserSegments:
            return await self._perform(
                ops.get_segments(project_key, environment_key, page_size, offset, sort, filter)
            )

        return walk_pages(
            fetch_offset, page_size=page_size, concurrency=concurrency, revision=segment_revision
        )

    def iter_segments(
        self,
        project_key: str,
        environment_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: str | Sort | None = None,
        filter: str | Filter | None = None,
        concurrency: int = 1,
    ) -> AsyncIterator[UserSegment]:
        """Every segment of an environment (``async for``); see :meth:`iter_segment_pages`."""
        pages = self.iter_segment_pages(
            project_key,
            environment_key,
            page_size=page_size,
            sort=sort,
            filter=filter,
            concurrency=concurrency,
        )
        return items_of(pages)

    def iter_environments(
        self,
        project_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        filter: str | None = None,
        sort: str | None = None,
    ) -> AsyncIterator[Environment]:
        """Every environment of a project (``async for``), for fanning out::

            envs = [env.key async for env in ld.iter_environments("proj")]

        The walk keeps the guarantee of :meth:`iter_segment_pages` (environments are
        compared by key, name and ``critical``).

        Args:
            page_size: environments per request (at least 2).
            filter: LaunchDarkly's environment filter, e.g. ``"query:prod,tags:eu+us"``.
            sort: ``name``, ``createdOn`` or ``critical``, ``-`` for descending.

        Raises:
            ValueError, TypeError: a bad key, ``page_size``, ``filter`` or ``sort`` (at
                call time).
            DecodeError: the walk could not keep its guarantee.
        """
        check_walk(page_size)
        ops.get_environments(project_key, page_size, 0, filter, sort)  # checks

        async def fetch_offset(offset: int) -> Environments:
            return await self._perform(
                ops.get_environments(project_key, page_size, offset, filter, sort)
            )

        pages = walk_pages(fetch_offset, page_size=page_size, revision=environment_revision)
        return items_of(pages)
