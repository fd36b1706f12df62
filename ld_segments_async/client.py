"""``SegmentsClient``: the 18 Segments operations as coroutines."""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlencode

import aiohttp

from . import _bodies, _paths, reconcile
from ._clock import SYSTEM_CLOCK, Clock
from ._credential import Credential
from ._exchange import Request, Response
from ._exports import download_export, export_keys
from ._imports import ImportPart, import_in_parts
from ._transport import Transport
from ._upload import CsvFile, ImportFile, multipart_body, open_csv
from .config import DEFAULT_API_VERSION, DEFAULT_BASE_URL, ClientConfig, RetryPolicy, Timeout
from .converter import converter, explain
from .errors import PartialPatchError
from .jobs import (
    DEFAULT_POLL,
    EXPORT_FAILED,
    IMPORT_FAILED,
    IMPORT_PARKED,
    PollSchedule,
    ProgressCallback,
    export_done,
    export_file_link,
    import_done,
    wait_for_job,
)
from .models import (
    BigSegmentTarget,
    ContextInstance,
    ContextInstanceSegmentMemberships,
    Environment,
    Environments,
    ExpiringTargetGetResponse,
    ExpiringTargetPatchResponse,
    ExpiringUserTargetGetResponse,
    ExpiringUserTargetPatchResponse,
    Export,
    Import,
    ImportMode,
    SegmentBody,
    SegmentUserState,
    UserSegment,
    UserSegments,
)
from .pagination import (
    DEFAULT_PAGE_SIZE,
    check_walk,
    environment_revision,
    items_of,
    segment_revision,
    walk_pages,
)

__all__ = ["SegmentsClient"]

M = TypeVar("M")

ENVIRONMENTS = "/api/v2/projects/{projectKey}/environments"
SEGMENTS = "/api/v2/segments/{projectKey}/{environmentKey}"
SEGMENT = SEGMENTS + "/{segmentKey}"
IMPORTS = SEGMENT + "/imports"
IMPORT = IMPORTS + "/{importID}"
EXPORTS = SEGMENT + "/exports"
EXPORT = EXPORTS + "/{exportID}"
CONTEXT_TARGETS = SEGMENT + "/contexts"
CONTEXT_MEMBERSHIP = CONTEXT_TARGETS + "/{contextKey}"
USER_TARGETS = SEGMENT + "/users"
USER_MEMBERSHIP = USER_TARGETS + "/{userKey}"
EVALUATE = "/api/v2/projects/{projectKey}/environments/{environmentKey}/segments/evaluate"
EXPIRING_TARGETS = "/api/v2/segments/{projectKey}/{segmentKey}/expiring-targets/{environmentKey}"
EXPIRING_USER_TARGETS = (
    "/api/v2/segments/{projectKey}/{segmentKey}/expiring-user-targets/{environmentKey}"
)


def _timeout(timeout: Timeout | float | None) -> Timeout:
    if timeout is None:
        return Timeout()
    if isinstance(timeout, Timeout):
        return timeout
    return Timeout(connect=timeout, read=timeout, total=timeout)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated by LaunchDarkly; use {new}", DeprecationWarning, stacklevel=3
    )


def _query(**params: Any) -> str:
    present = {name: _query_value(value) for name, value in params.items() if value is not None}
    return urlencode(present, quote_via=quote)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _import_mode(mode: str) -> str:
    try:
        return ImportMode(mode).value
    except ValueError:
        raise ValueError(f"mode must be 'merge' or 'replace', got {mode!r}") from None


def _check_page(limit: int | None, offset: int | None) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if offset is not None and (
        not isinstance(offset, int) or isinstance(offset, bool) or offset < 0
    ):
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")


class SegmentsClient:
    """Asyncio client for LaunchDarkly's Segments API.

    One client holds one connection pool; share it across tasks and close it when done::

        async with SegmentsClient() as ld:       # api_key from LD_API_KEY
            seg = await ld.get_segment("proj", "production", "beta-users")

    Args:
        api_key: a personal or service access token; defaults to ``LD_API_KEY``.
        base_url: defaults to ``LD_BASE_URL``, then ``https://app.launchdarkly.com``
            (federal: ``https://app.launchdarkly.us``, EU: ``https://app.eu.launchdarkly.com``).
        api_version: the ``LD-API-Version`` header.
        timeout: a :class:`Timeout`, or seconds for connect, read and each attempt.
        max_connections: connection pool size.
        retry: the :class:`RetryPolicy`; ``RetryPolicy.disabled()`` turns retries off.
        session: an ``aiohttp.ClientSession`` you own; used as is, never closed by the
            client (its connector limits and proxy settings then apply).
        allow_insecure_http: allow ``http://`` to a non-loopback host.
        trust_env: take proxies and ``.netrc`` from the environment.
        ssl: an :class:`ssl.SSLContext` (custom CA bundle, client certificates).
        user_agent: replaces the leading product token of ``User-Agent``.
        max_body_size: the largest response body read into memory, in bytes, counted
            after decompression.
        max_concurrency: requests in flight at once, whatever the pool size.
        rate_limit_reserve: requests of each LaunchDarkly rate-limit budget left unused
            per window (see :mod:`ld_segments_async._governor`).
        rate_limit_share: the largest fraction (0 < share <= 1) of each rate-limit
            budget this client spends per window, to leave room for the other services
            of the account.
        max_download_size: the largest export file downloaded when the export does not
            say its size.
        trace_configs: ``aiohttp.TraceConfig`` objects for the client's own session
            (tracing: OpenTelemetry's aiohttp instrumentation, or your own hooks).
        clock: where the client's waits take their time (monotonic and wall clocks,
            and sleep); for tests on a virtual clock.

    Raises:
        ValueError: no API key, a malformed base URL, plain http to a remote host, or a
            ``rate_limit_share`` outside (0, 1].
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        timeout: Timeout | float | None = None,
        max_connections: int = 64,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        allow_insecure_http: bool = False,
        trust_env: bool = False,
        ssl: Any = None,
        user_agent: str | None = None,
        max_body_size: int = 64 * 1024 * 1024,
        max_concurrency: int | None = None,
        rate_limit_reserve: int = 1,
        rate_limit_share: float = 1.0,
        max_download_size: int = 16 * 1024**3,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
        clock: Clock | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if user_agent is not None:
            options["user_agent"] = user_agent
        config = ClientConfig(
            base_url=base_url or os.environ.get("LD_BASE_URL") or DEFAULT_BASE_URL,
            api_version=api_version,
            timeout=_timeout(timeout),
            retry=retry if retry is not None else RetryPolicy(),
            max_connections=max_connections,
            allow_insecure_http=allow_insecure_http,
            trust_env=trust_env,
            ssl=ssl,
            max_body_size=max_body_size,
            max_concurrency=max_concurrency,
            rate_limit_reserve=rate_limit_reserve,
            rate_limit_share=rate_limit_share,
            max_download_size=max_download_size,
            trace_configs=trace_configs,
            **options,
        )
        credential = Credential(api_key)
        self._transport = Transport(config, credential, session, clock or SYSTEM_CLOCK)
        self._retry = config.retry
        self._timeout = config.timeout
        self._is_view = False

    @property
    def config(self) -> ClientConfig:
        """The client's configuration (everything but the API key)."""
        return self._transport.config

    def __repr__(self) -> str:
        config = self.config
        return f"SegmentsClient(base_url={config.base_url!r}, api_version={config.api_version!r})"

    def __copy__(self) -> SegmentsClient:
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        return view

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a SegmentsClient holds a connection pool and an API key: create one in each "
            "process instead of pickling it"
        )

    def with_options(
        self, *, retry: RetryPolicy | None = None, timeout: Timeout | float | None = None
    ) -> SegmentsClient:
        """A view of this client with another retry policy or timeout, sharing its
        connection pool (closing either closes both)::

            await ld.with_options(retry=RetryPolicy.disabled()).post_segment(...)
        """
        view = copy.copy(self)
        view._retry = retry if retry is not None else self._retry
        view._timeout = _timeout(timeout) if timeout is not None else self._timeout
        view._is_view = True
        return view

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> SegmentsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (not a caller-owned ``session``). Idempotent."""
        await self._transport.close()

    @property
    def closed(self) -> bool:
        return self._transport.closed

    def __del__(self) -> None:
        # Only warn; never schedule a close from a finaliser. Views share their parent's
        # session and leave the warning to it.
        transport = getattr(self, "_transport", None)
        if transport is not None and not getattr(self, "_is_view", True):
            transport.warn_if_unclosed()

    # -- plumbing ------------------------------------------------------------

    async def _send(
        self,
        method: str,
        route: str,
        keys: tuple[str, ...],
        *,
        query: str = "",
        body: Any = None,
        content_type: str | None = None,
    ) -> Response:
        request = Request(
            method,
            _paths.expand(route, *keys),
            route,
            query=query,
            body=body,
            content_type=content_type,
            accept_404_on_retry=method == "DELETE",
        )
        return await self._transport.request(request, retry=self._retry, timeout=self._timeout)

    @staticmethod
    def _decode(response: Response, model: type[M]) -> M:
        data = response.json()
        try:
            return converter.structure(data, model)
        except Exception:  # any cattrs failure; described with its JSON paths
            problems = explain(data, model)
        raise response.decode_error(f"the response is not a valid {model.__name__}: {problems}")

    @staticmethod
    def _location_id(response: Response) -> str:
        job_id = _paths.id_from_location(response.headers.get("Location"))
        if job_id is None:
            raise response.decode_error(
                "LaunchDarkly accepted the job but sent no usable Location header to identify it"
            )
        return job_id

    # -- segments ------------------------------------------------------------

    async def get_segments(
        self,
        project_key: str,
        environment_key: str,
        limit: int | None = None,
        offset: int | None = None,
        sort: Any = None,
        filter: Any = None,
    ) -> UserSegments:
        """List one page of segments.

        Args:
            limit: page size (LaunchDarkly's default is 20).
            offset: index of the first segment of the page.
            sort: ``name``, ``creationDate`` or ``lastModified``, ``-`` for descending,
                comma-separated.
            filter: a filter string (``tags anyOf ["beta"],unbounded equals true``) or an
                expression from :mod:`ld_segments_async.filters`.

        Raises:
            ValueError: a bad ``limit`` or ``offset``.
            NotFoundError: unknown project or environment.
        """
        _check_page(limit, offset)
        query = _query(
            limit=limit,
            offset=offset,
            sort=None if sort is None else str(sort),
            filter=None if filter is None else str(filter),
        )
        response = await self._send("GET", SEGMENTS, (project_key, environment_key), query=query)
        return self._decode(response, UserSegments)

    def iter_segment_pages(
        self,
        project_key: str,
        environment_key: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: Any = None,
        filter: Any = None,
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
            ValueError: bad keys, ``page_size`` or ``concurrency`` (at call time).
            DecodeError: the walk could not keep its guarantee (pages that contradict
                each other, or a listing changing faster than it can be walked).
        """
        _paths.check(SEGMENTS, project_key, environment_key)
        check_walk(page_size, concurrency)

        async def fetch_offset(offset: int) -> UserSegments:
            return await self.get_segments(
                project_key, environment_key, page_size, offset, sort, filter
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
        sort: Any = None,
        filter: Any = None,
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
            ValueError: a bad key or ``page_size`` (at call time).
            DecodeError: the walk could not keep its guarantee.
        """
        _paths.check(ENVIRONMENTS, project_key)
        check_walk(page_size)

        async def fetch_offset(offset: int) -> Environments:
            query = _query(limit=page_size, offset=offset, filter=filter, sort=sort)
            response = await self._send("GET", ENVIRONMENTS, (project_key,), query=query)
            return self._decode(response, Environments)

        pages = walk_pages(fetch_offset, page_size=page_size, revision=environment_revision)
        return items_of(pages)

    async def get_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> UserSegment:
        """Get one segment.

        Raises:
            NotFoundError: no such segment.
        """
        response = await self._send("GET", SEGMENT, (project_key, environment_key, segment_key))
        return self._decode(response, UserSegment)

    async def post_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_body: SegmentBody | Mapping[str, Any],
    ) -> UserSegment:
        """Create a segment (rules and targets are added afterwards with ``patch_segment``).

        Raises:
            ConflictError: a segment with this key exists (``key_exists``).
            BadRequestError: the body is invalid.
        """
        body = _bodies.body_of(segment_body, SegmentBody, "segment_body")
        response = await self._send(
            "POST", SEGMENTS, (project_key, environment_key), body=body, content_type=_bodies.JSON
        )
        return self._decode(response, UserSegment)

    async def patch_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: Any,
        dry_run: bool | None = None,
    ) -> UserSegment:
        """Update a segment with a JSON patch, a JSON merge patch or a semantic patch.

        Args:
            patch: one of

                * semantic patch: a list of instructions (builders from
                  :mod:`ld_segments_async.instructions` or dicts with a ``kind``), a
                  :class:`SemanticPatch` (with a comment), or a dict with
                  ``instructions``; sent with the semantic-patch content type and
                  ``environmentKey`` set to ``environment_key``;
                * JSON patch: a list of :class:`PatchOperation` (or dicts with ``op`` and
                  ``path``), a :class:`PatchWithComment`, or a dict with ``patch``;
                * JSON merge patch: a :class:`MergePatch`, a dict with ``merge``, or any
                  other dict (``{"description": "..."}``).
            dry_run: validate and return the would-be segment without saving it.

        Raises:
            ValueError: an empty or mixed patch, instructions without ``kind``.
            BadRequestError: LaunchDarkly rejected the patch (nothing was applied).
            ConflictError: a ``test`` operation failed (optimistic locking).
        """
        body, content_type = _bodies.segment_patch(patch, environment_key)
        response = await self._send(
            "PATCH",
            SEGMENT,
            (project_key, environment_key, segment_key),
            query=_query(dryRun=dry_run),
            body=body,
            content_type=content_type,
        )
        return self._decode(response, UserSegment)

    async def delete_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> None:
        """Delete a segment. A retried delete that finds the segment gone succeeds.

        Raises:
            NotFoundError: no such segment.
            ConflictError: LaunchDarkly refused (e.g. while an import runs).
        """
        await self._send("DELETE", SEGMENT, (project_key, environment_key, segment_key))

    # -- big segments: imports and exports -----------------------------------

    async def create_big_segment_import(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        file: ImportFile,
        mode: str = "merge",
        wait_on_approvals: bool | None = None,
    ) -> str:
        """Upload keys to a big segment and start importing them.

        Args:
            file: a path to a CSV file, the CSV as bytes, or the keys as an iterable or
                async iterable of ``str``. Every key is read, checked and written again
                as LaunchDarkly expects (no header, one key per line; in a CSV, ``\\n``,
                ``\\r\\n`` and ``\\r`` all end a line and the first column is the key)
                before anything is sent.
            mode: ``"merge"`` adds the keys, ``"replace"`` replaces the whole list.
            wait_on_approvals: hold the import until approved.

        Returns:
            The import id (from the ``Location`` header), for
            :meth:`get_big_segment_import` / ``wait_for_big_segment_import``.

        Raises:
            ValueError: a bad key, no keys, a bad mode, or more than one file's worth
                (1,000,000 keys / 40 MB; ``import_big_segment`` splits larger inputs).
            ConflictError: another import is running in this environment.
        """
        keys = (project_key, environment_key, segment_key)
        mode = _import_mode(mode)
        _paths.check(IMPORTS, *keys)  # bad keys fail before the file is read
        with await open_csv(file) as csv:
            return await self._start_import(keys, csv, mode, wait_on_approvals)

    async def _start_import(
        self, keys: tuple[str, ...], csv: CsvFile, mode: str, wait_on_approvals: bool | None
    ) -> str:
        body = multipart_body(csv, mode, wait_on_approvals)
        response = await self._send("POST", IMPORTS, keys, body=body)
        return self._location_id(response)

    async def wait_for_big_segment_import(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        import_id: str,
        *,
        timeout: float | None = 3600,
        on_progress: ProgressCallback | None = None,
        wait_for_approval: bool = False,
        poll: PollSchedule = DEFAULT_POLL,
    ) -> Import:
        """Poll an import until it is ``complete``.

        An import waiting for an approval (``pending_approval``) is returned as it is,
        unless ``wait_for_approval``: then the wait goes on until ``timeout``. Other
        statuses (``preparing``, ``ready``, ``in_progress``...) are waited through.

        Args:
            timeout: seconds before giving up (``None``: no limit).
            on_progress: called (sync or async) with the :class:`Import` each time its
                status changes.
            poll: the polling schedule (each poll counts against the rate limit).

        Raises:
            JobFailedError: the import ended ``stopped`` (or another failure status).
            JobTimeoutError: still unfinished after ``timeout``; carries the last status.
        """
        keys = (project_key, environment_key, segment_key, import_id)
        _paths.check(IMPORT, *keys)
        return await wait_for_job(
            lambda: self.get_big_segment_import(*keys),
            import_id,
            done=import_done,
            failed=IMPORT_FAILED,
            parked=frozenset() if wait_for_approval else IMPORT_PARKED,
            timeout=timeout,
            on_progress=on_progress,
            schedule=poll,
            clock=self._transport.clock,
        )

    async def import_big_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        file: ImportFile,
        mode: str = "merge",
        wait_on_approvals: bool | None = None,
        *,
        timeout: float | None = 3600,
        on_progress: ProgressCallback | None = None,
        poll: PollSchedule = DEFAULT_POLL,
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
            record: a list the import fills with one :class:`ImportPart` per file and
                keeps up to date (state, import id, last job): what was applied, even
                when the import is cancelled.

        Returns:
            The final state of the last upload.

        Raises:
            ValueError, TypeError: bad input (nothing was sent).
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
        mode = _import_mode(mode)
        _paths.check(IMPORTS, *keys)

        async def start(csv: CsvFile, upload_mode: str) -> str:
            return await self._start_import(keys, csv, upload_mode, wait_on_approvals)

        return await import_in_parts(
            start,
            partial(self.get_big_segment_import, *keys),
            file,
            mode,
            timeout=timeout,
            on_progress=on_progress,
            poll=poll,
            record=record,
            clock=self._transport.clock,
        )

    async def get_big_segment_import(
        self, project_key: str, environment_key: str, segment_key: str, import_id: str
    ) -> Import:
        """Get the state of a big-segment import."""
        response = await self._send(
            "GET", IMPORT, (project_key, environment_key, segment_key, import_id)
        )
        return self._decode(response, Import)

    async def create_big_segment_export(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> str:
        """Start exporting a big segment's keys; returns the export id."""
        response = await self._send("POST", EXPORTS, (project_key, environment_key, segment_key))
        return self._location_id(response)

    async def get_big_segment_export(
        self, project_key: str, environment_key: str, segment_key: str, export_id: str
    ) -> Export:
        """Get the state of a big-segment export."""
        response = await self._send(
            "GET", EXPORT, (project_key, environment_key, segment_key, export_id)
        )
        return self._decode(response, Export)

    async def wait_for_big_segment_export(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        export_id: str,
        *,
        timeout: float | None = 3600,
        on_progress: ProgressCallback | None = None,
        poll: PollSchedule = DEFAULT_POLL,
    ) -> Export:
        """Poll an export until it is ``complete``; the result links to the CSV.

        Raises:
            JobFailedError: the export ended in a failure status.
            JobTimeoutError: still unfinished after ``timeout``.
        """
        keys = (project_key, environment_key, segment_key, export_id)
        _paths.check(EXPORT, *keys)
        return await wait_for_job(
            lambda: self.get_big_segment_export(*keys),
            export_id,
            done=export_done,
            failed=EXPORT_FAILED,
            timeout=timeout,
            on_progress=on_progress,
            schedule=poll,
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
        """
        return await download_export(
            self._transport, export, path, retry=self._retry, timeout=self._timeout
        )

    def iter_big_segment_export_keys(self, export: Export) -> AsyncIterator[str]:
        """The keys of a complete export (first CSV column), downloaded then read lazily.

        Raises:
            ValueError: the export has no file link yet.
        """
        export_file_link(export)  # no file yet: a ValueError now, not on first iteration
        return export_keys(self._transport, export, retry=self._retry, timeout=self._timeout)

    # -- big segments: targets and membership --------------------------------

    async def get_segment_membership_for_context(
        self, project_key: str, environment_key: str, segment_key: str, context_key: str
    ) -> BigSegmentTarget:
        """Whether a context key is included in or excluded from a big segment."""
        response = await self._send(
            "GET", CONTEXT_MEMBERSHIP, (project_key, environment_key, segment_key, context_key)
        )
        return self._decode(response, BigSegmentTarget)

    async def get_segment_membership_for_user(
        self, project_key: str, environment_key: str, segment_key: str, user_key: str
    ) -> BigSegmentTarget:
        """Deprecated upstream: use :meth:`get_segment_membership_for_context`."""
        _deprecated("get_segment_membership_for_user", "get_segment_membership_for_context")
        response = await self._send(
            "GET", USER_MEMBERSHIP, (project_key, environment_key, segment_key, user_key)
        )
        return self._decode(response, BigSegmentTarget)

    async def update_big_segment_context_targets(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        segment_user_state: SegmentUserState | Mapping[str, Any],
    ) -> None:
        """Add or remove context keys of a big segment's included and excluded lists."""
        body = _bodies.body_of(segment_user_state, SegmentUserState, "segment_user_state")
        await self._send(
            "POST",
            CONTEXT_TARGETS,
            (project_key, environment_key, segment_key),
            body=body,
            content_type=_bodies.JSON,
        )

    async def update_big_segment_targets(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        segment_user_state: SegmentUserState | Mapping[str, Any],
    ) -> None:
        """Deprecated upstream: use :meth:`update_big_segment_context_targets`."""
        _deprecated("update_big_segment_targets", "update_big_segment_context_targets")
        body = _bodies.body_of(segment_user_state, SegmentUserState, "segment_user_state")
        await self._send(
            "POST",
            USER_TARGETS,
            (project_key, environment_key, segment_key),
            body=body,
            content_type=_bodies.JSON,
        )

    async def get_context_instance_segments_membership_by_env(
        self, project_key: str, environment_key: str, context: ContextInstance
    ) -> ContextInstanceSegmentMemberships:
        """Evaluate a context instance against every segment of an environment.

        Args:
            context: ``{"kind": "user", "key": "...", ...attributes}`` or a multi-kind
                context ``{"kind": "multi", "user": {...}, "org": {...}}``.
        """
        if not isinstance(context, Mapping):
            raise TypeError(f"context must be a dict, got {type(context).__name__}")
        response = await self._send(
            "POST",
            EVALUATE,
            (project_key, environment_key),
            body=_bodies.dump(context),
            content_type=_bodies.JSON,
        )
        return self._decode(response, ContextInstanceSegmentMemberships)

    # -- expiring targets ----------------------------------------------------

    async def get_expiring_targets_for_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> ExpiringTargetGetResponse:
        """List a segment's context targets scheduled for removal."""
        response = await self._send(
            "GET", EXPIRING_TARGETS, (project_key, segment_key, environment_key)
        )
        return self._decode(response, ExpiringTargetGetResponse)

    async def patch_expiring_targets_for_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: Any,
        *,
        raise_on_partial: bool = False,
    ) -> ExpiringTargetPatchResponse:
        """Schedule, change or cancel the expiry of context targets (semantic patch).

        LaunchDarkly applies the instructions that succeed and answers 200 even when
        others fail: check ``errors`` of the result, or pass ``raise_on_partial=True``.

        Args:
            patch: a list of instructions (``add_expiring_target``... builders or dicts),
                a :class:`SemanticPatch`, a :class:`PatchSegmentExpiringTargetInputRep`,
                or a dict with ``instructions``.

        Raises:
            PartialPatchError: with ``raise_on_partial``, some instructions failed (the
                error carries the full result).
        """
        body, content_type = _bodies.expiring_targets_patch(patch)
        response = await self._send(
            "PATCH",
            EXPIRING_TARGETS,
            (project_key, segment_key, environment_key),
            body=body,
            content_type=content_type,
        )
        result = self._decode(response, ExpiringTargetPatchResponse)
        if raise_on_partial and result.errors:
            raise PartialPatchError(result, result.errors)
        return result

    async def get_expiring_user_targets_for_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> ExpiringUserTargetGetResponse:
        """Deprecated upstream: use :meth:`get_expiring_targets_for_segment`."""
        _deprecated("get_expiring_user_targets_for_segment", "get_expiring_targets_for_segment")
        response = await self._send(
            "GET", EXPIRING_USER_TARGETS, (project_key, segment_key, environment_key)
        )
        return self._decode(response, ExpiringUserTargetGetResponse)

    async def patch_expiring_user_targets_for_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: Any,
        *,
        raise_on_partial: bool = False,
    ) -> ExpiringUserTargetPatchResponse:
        """Deprecated upstream: use :meth:`patch_expiring_targets_for_segment`."""
        _deprecated("patch_expiring_user_targets_for_segment", "patch_expiring_targets_for_segment")
        body, content_type = _bodies.expiring_targets_patch(patch)
        response = await self._send(
            "PATCH",
            EXPIRING_USER_TARGETS,
            (project_key, segment_key, environment_key),
            body=body,
            content_type=content_type,
        )
        result = self._decode(response, ExpiringUserTargetPatchResponse)
        if raise_on_partial and result.errors:
            raise PartialPatchError(result, result.errors)
        return result

    # -- reconciling membership ----------------------------------------------

    async def sync_big_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        keys: ImportFile,
        *,
        dry_run: bool = False,
        method: str = "auto",
        batch_size: int = reconcile.DEFAULT_BATCH_SIZE,
        max_target_requests: int = reconcile.DEFAULT_MAX_TARGET_REQUESTS,
        allow_empty: bool = False,
        timeout: float | None = 3600,
        poll: PollSchedule | float = DEFAULT_POLL,
    ) -> reconcile.SyncReport:
        """Make a big segment's included keys exactly ``keys``, changing only what differs.

        Every key is read and checked first (as :meth:`import_big_segment` checks them),
        so a bad key fails with nothing sent. Then the segment is read, its members
        listed through an export, and the two compared in flat memory (spread over
        partitions spooled to disk). The difference is applied with targeted updates
        (:meth:`update_big_segment_context_targets`, at most ``batch_size`` target
        operations each) while they take at most ``max_target_requests`` requests, else
        with one ``replace`` import of every key wanted (split over the per-file limits).
        A second sync with the same keys sends no write (``method == "none"``)::

            report = await ld.sync_big_segment("proj", "production", "customers", "keys.csv")
            await ld.sync_big_segment("proj", "staging", "customers",
                                      ld.iter_big_segment_keys("proj", "production", "customers"))

        The members are the *included* keys, as the export lists them. Excluded keys are
        left alone, except that a key added also leaves the excluded list (only when the
        segment excludes any: it costs one more operation), as an import would take it off.

        Args:
            keys: what :meth:`import_big_segment` takes (a CSV path, CSV bytes, an
                iterable or async iterable of keys); repeats count once.
            dry_run: compute the report and write nothing (the reads, export job
                included, still happen).
            method: ``"auto"`` (the rule above), ``"targets"`` or ``"import"``.
            batch_size: target operations per targeted update (1,500).
            max_target_requests: the most targeted updates ``"auto"`` sends (100).
            allow_empty: let an empty ``keys`` remove every member (else a ``ValueError``).
            timeout: seconds for the export to be ready, and for the import.
            poll: the polling schedule of those jobs, or the first wait in seconds.

        Returns:
            A :class:`SyncReport`: the keys added, removed and unchanged, the method, the
            requests and writes sent, the job ids.

        Raises:
            ValueError, TypeError: bad keys or options, an empty list without
                ``allow_empty``, a standard or synced segment (nothing was written).
            ConflictError: an import is running on the segment (nothing was written), or
                on another segment of the environment when the sync's import starts.
            SyncIncompleteError: a failure once the segment may have changed; its
                ``report`` says which requests (or import files) were applied.
        """
        return await reconcile.sync_big_segment(
            self,
            project_key,
            environment_key,
            segment_key,
            keys,
            dry_run=dry_run,
            method=method,
            batch_size=batch_size,
            max_target_requests=max_target_requests,
            allow_empty=allow_empty,
            timeout=timeout,
            poll=poll,
            clock=self._transport.clock,
        )

    async def sync_segment_targets(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        keys: ImportFile,
        *,
        context_kind: str = "user",
        excluded: bool = False,
        dry_run: bool = False,
        batch_size: int = reconcile.DEFAULT_BATCH_SIZE,
        allow_empty: bool = False,
    ) -> reconcile.SyncReport:
        """Make a standard segment's included (or ``excluded``) targets of one context
        kind exactly ``keys``, with semantic patches of at most ``batch_size`` (at most
        LaunchDarkly's 1,500) target operations.

        The targets of ``context_kind`` are those of ``includedContexts`` (and for
        ``user``, of the legacy ``included`` list too); each is removed from the list
        that holds it. A key added that the other list holds leaves it (LaunchDarkly
        refuses a key both included and excluded). Rules and other kinds' targets are
        left alone. Bad keys fail before anything is sent; a second sync sends no write.

        Args:
            keys: what :meth:`import_big_segment` takes.
            context_kind: the kind of the targets synced.
            excluded: sync the excluded targets instead of the included ones.
            dry_run: read the segment, compute the report, write nothing.
            allow_empty: let an empty ``keys`` remove every target of the kind.

        Raises:
            ValueError, TypeError: bad keys or options, an empty list without
                ``allow_empty``, a big segment (nothing was written).
            SyncIncompleteError: a failure once the segment may have changed; its
                ``report`` says which patches were applied.
        """
        return await reconcile.sync_segment_targets(
            self,
            project_key,
            environment_key,
            segment_key,
            keys,
            context_kind=context_kind,
            excluded=excluded,
            dry_run=dry_run,
            batch_size=batch_size,
            allow_empty=allow_empty,
        )
