"""``SegmentsClient``: the 18 Segments operations as coroutines.

Each operation is thin: :mod:`._operations` checks its arguments, builds its request
and names its parser; :meth:`~._client_base.ClientBase._perform` sends it. The walks
are :mod:`._walks`', the big-segment waits, split imports and one-call exports
:mod:`._big_segment_jobs`', raw responses :mod:`._raw`'s.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp

from . import _arguments, reconcile
from . import _operations as ops
from ._big_segment_jobs import BigSegmentJobs, Mode
from ._bodies import ExpiringTargetsPatch, ExpiringUserTargetsPatch, SegmentPatch
from ._clock import SYSTEM_CLOCK, Clock
from ._credential import Credential
from ._exchange import Response
from ._transport import Transport
from ._upload import ImportFile, open_csv
from ._walks import Walks
from .config import DEFAULT_API_VERSION, DEFAULT_BASE_URL, ClientConfig, RetryPolicy, Timeout
from .filters import Filter, Sort
from .jobs import PollSchedule
from .models import (
    BigSegmentTarget,
    ContextInstance,
    ContextInstanceSegmentMemberships,
    ExpiringTargetGetResponse,
    ExpiringTargetPatchResponse,
    ExpiringUserTargetGetResponse,
    ExpiringUserTargetPatchResponse,
    Export,
    Import,
    SegmentBody,
    SegmentUserState,
    UserSegment,
    UserSegments,
)

if TYPE_CHECKING:
    from ._raw import RawResponses

__all__ = ["SegmentsClient"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated by LaunchDarkly; use {new}", DeprecationWarning, stacklevel=3
    )


class SegmentsClient(Walks, BigSegmentJobs):
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
            timeout=_arguments.timeout(timeout),
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
        self._answers: list[Response] | None = None

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

    # -- views ---------------------------------------------------------------

    def _view(self) -> SegmentsClient:
        view = copy.copy(self)
        view._is_view = True
        view._answers = None
        return view

    def with_options(
        self, *, retry: RetryPolicy | None = None, timeout: Timeout | float | None = None
    ) -> SegmentsClient:
        """A view of this client with another retry policy or timeout, sharing its
        connection pool and rate-limit governor::

            await ld.with_options(retry=RetryPolicy.disabled()).post_segment(...)

        Closing a view (or leaving its ``async with``) closes nothing: the pool is the
        client's, and stays open until the client is closed.

        Raises:
            TypeError: ``retry`` is not a :class:`RetryPolicy`.
        """
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, got {type(retry).__name__}")
        view = self._view()
        view._retry = retry if retry is not None else self._retry
        view._timeout = _arguments.timeout(timeout) if timeout is not None else self._timeout
        return view

    @property
    def with_raw_response(self) -> RawResponses:
        """Every operation of the client, returning the answer's status, headers and
        rate-limit budget with the result (:class:`RawResponse`)::

            raw = await ld.with_raw_response.get_segment("proj", "production", "beta")
            print(raw.status, raw.rate_limit.global_remaining)
            segment = raw.parse()
        """
        from ._raw import RawResponses  # it names the client's methods: imported late

        return RawResponses(self)

    def _recording(self) -> tuple[SegmentsClient, list[Response]]:
        """A view that keeps the answers it gets, and the list it keeps them in."""
        twin = self._view()
        answers: list[Response] = []
        twin._answers = answers
        return twin, answers

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> SegmentsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool (not a caller-owned ``session``). Idempotent.
        On a view (:meth:`with_options`), nothing: the pool is its client's."""
        if not self._is_view:
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

    # -- segments ------------------------------------------------------------

    async def get_segments(
        self,
        project_key: str,
        environment_key: str,
        limit: int | None = None,
        offset: int | None = None,
        sort: str | Sort | None = None,
        filter: str | Filter | None = None,
    ) -> UserSegments:
        """List one page of segments.

        Args:
            limit: page size (LaunchDarkly's default is 20).
            offset: index of the first segment of the page.
            sort: ``name``, ``creationDate`` or ``lastModified``, ``-`` for descending,
                comma-separated, or :func:`~ld_segments_async.filters.sort_by`.
            filter: a filter string (``tags anyOf ["beta"],unbounded equals true``) or an
                expression from :mod:`ld_segments_async.filters`.

        Raises:
            ValueError: a bad ``limit`` or ``offset``.
            NotFoundError: unknown project or environment.
        """
        return await self._perform(
            ops.get_segments(project_key, environment_key, limit, offset, sort, filter)
        )

    async def get_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> UserSegment:
        """Get one segment.

        Raises:
            NotFoundError: no such segment.
        """
        return await self._perform(ops.get_segment(project_key, environment_key, segment_key))

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
        return await self._perform(ops.post_segment(project_key, environment_key, segment_body))

    async def patch_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: SegmentPatch,
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
        return await self._perform(
            ops.patch_segment(project_key, environment_key, segment_key, patch, dry_run)
        )

    async def delete_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> None:
        """Delete a segment. A retried delete that finds the segment gone succeeds.

        Raises:
            NotFoundError: no such segment.
            ConflictError: LaunchDarkly refused (e.g. while an import runs).
        """
        await self._perform(ops.delete_segment(project_key, environment_key, segment_key))

    # -- big segments: imports -----------------------------------------------

    async def create_big_segment_import(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        file: ImportFile,
        mode: Mode = "merge",
        wait_on_approvals: bool | None = None,
    ) -> str:
        """Upload keys to a big segment and start importing them.

        Args:
            file: a path to a CSV file (a ``str`` is always a path), the CSV as bytes,
                or the keys as an iterable or async iterable of ``str`` (a list of
                keys). Every key is read, checked and written again as LaunchDarkly
                expects (no header, one key per line; in a CSV, ``\\n``, ``\\r\\n`` and
                ``\\r`` all end a line and the first column is the key) before anything
                is sent.
            mode: ``"merge"`` adds the keys, ``"replace"`` replaces the whole list.
            wait_on_approvals: hold the import until approved.

        Returns:
            The import id (from the ``Location`` header), for
            :meth:`get_big_segment_import` / ``wait_for_big_segment_import``.

        Raises:
            ValueError: a bad key, no keys, a bad mode, or more than one file's worth
                (1,000,000 keys / 40 MB; ``import_big_segment`` splits larger inputs).
            FileNotFoundError: ``file`` is a path to no file (nothing was sent).
            ConflictError: another import is running in this environment.
        """
        keys = (project_key, environment_key, segment_key)
        checked_mode = self._check_import(keys, file, mode, wait_on_approvals)
        with await open_csv(file) as csv:
            return await self._upload(keys, csv, checked_mode, wait_on_approvals)

    async def get_big_segment_import(
        self, project_key: str, environment_key: str, segment_key: str, import_id: str
    ) -> Import:
        """Get the state of a big-segment import."""
        return await self._perform(
            ops.get_import((project_key, environment_key, segment_key, import_id))
        )

    # -- big segments: exports -----------------------------------------------

    async def create_big_segment_export(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> str:
        """Start exporting a big segment's keys; returns the export id."""
        return await self._perform(ops.create_export((project_key, environment_key, segment_key)))

    async def get_big_segment_export(
        self, project_key: str, environment_key: str, segment_key: str, export_id: str
    ) -> Export:
        """Get the state of a big-segment export."""
        return await self._perform(
            ops.get_export((project_key, environment_key, segment_key, export_id))
        )

    # -- big segments: targets and membership --------------------------------

    async def get_segment_membership_for_context(
        self, project_key: str, environment_key: str, segment_key: str, context_key: str
    ) -> BigSegmentTarget:
        """Whether a context key is included in or excluded from a big segment."""
        keys = (project_key, environment_key, segment_key, context_key)
        return await self._perform(ops.membership(ops.CONTEXT_MEMBERSHIP, keys))

    async def get_segment_membership_for_user(
        self, project_key: str, environment_key: str, segment_key: str, user_key: str
    ) -> BigSegmentTarget:
        """Deprecated upstream: use :meth:`get_segment_membership_for_context`."""
        _deprecated("get_segment_membership_for_user", "get_segment_membership_for_context")
        keys = (project_key, environment_key, segment_key, user_key)
        return await self._perform(ops.membership(ops.USER_MEMBERSHIP, keys))

    async def update_big_segment_context_targets(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        segment_user_state: SegmentUserState | Mapping[str, Any],
    ) -> None:
        """Add or remove context keys of a big segment's included and excluded lists."""
        keys = (project_key, environment_key, segment_key)
        await self._perform(ops.update_targets(ops.CONTEXT_TARGETS, keys, segment_user_state))

    async def update_big_segment_targets(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        segment_user_state: SegmentUserState | Mapping[str, Any],
    ) -> None:
        """Deprecated upstream: use :meth:`update_big_segment_context_targets`."""
        _deprecated("update_big_segment_targets", "update_big_segment_context_targets")
        keys = (project_key, environment_key, segment_key)
        await self._perform(ops.update_targets(ops.USER_TARGETS, keys, segment_user_state))

    async def get_context_instance_segments_membership_by_env(
        self, project_key: str, environment_key: str, context: ContextInstance
    ) -> ContextInstanceSegmentMemberships:
        """Evaluate a context instance against every segment of an environment.

        Args:
            context: ``{"kind": "user", "key": "...", ...attributes}`` or a multi-kind
                context ``{"kind": "multi", "user": {...}, "org": {...}}``.
        """
        return await self._perform(ops.evaluate(project_key, environment_key, context))

    # -- expiring targets ----------------------------------------------------

    async def get_expiring_targets_for_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> ExpiringTargetGetResponse:
        """List a segment's context targets scheduled for removal."""
        return await self._perform(
            ops.get_expiring_targets(project_key, environment_key, segment_key)
        )

    async def patch_expiring_targets_for_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: ExpiringTargetsPatch,
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
        keys = (project_key, environment_key, segment_key)
        return await self._perform(ops.patch_expiring_targets(keys, patch, raise_on_partial))

    async def get_expiring_user_targets_for_segment(
        self, project_key: str, environment_key: str, segment_key: str
    ) -> ExpiringUserTargetGetResponse:
        """Deprecated upstream: use :meth:`get_expiring_targets_for_segment`."""
        _deprecated("get_expiring_user_targets_for_segment", "get_expiring_targets_for_segment")
        return await self._perform(
            ops.get_expiring_user_targets(project_key, environment_key, segment_key)
        )

    async def patch_expiring_user_targets_for_segment(
        self,
        project_key: str,
        environment_key: str,
        segment_key: str,
        patch: ExpiringUserTargetsPatch,
        *,
        raise_on_partial: bool = False,
    ) -> ExpiringUserTargetPatchResponse:
        """Deprecated upstream: use :meth:`patch_expiring_targets_for_segment`."""
        _deprecated("patch_expiring_user_targets_for_segment", "patch_expiring_targets_for_segment")
        keys = (project_key, environment_key, segment_key)
        return await self._perform(ops.patch_expiring_user_targets(keys, patch, raise_on_partial))

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
        poll: PollSchedule | float | None = None,
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
