"""``FakeLaunchDarkly``: an in-memory LaunchDarkly Segments API on a real socket."""

from __future__ import annotations

import asyncio
import copy
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .call import Call
from .churn import Churn
from .downloads import download_from_host
from .faults import Fault, FaultPlan, FaultQueue, deliver
from .jobs import ExportJob, ImportJob
from .ratelimit import RATE_LIMITED_MESSAGE, RateLimit, RateLimiter
from .recording import MAX_RECORDED_BODY, Exchange, redacted_headers
from .replies import ApiError, Reply
from .routes import DOWNLOAD, LIST_ENVIRONMENTS, LIST_SEGMENTS, ROUTE_NAMES, resolve
from .store import Store
from .wire import Outcome, Sent, read_body, send

_DEFAULT_PROJECTS: Mapping[str, Sequence[str]] = {"default": ("production", "test")}
_OVERRIDABLE = ("PATCH", "DELETE", "PUT")


@dataclass
class _Trace:
    """What one request collected on its way through, for counters and the record."""

    request: web.BaseRequest
    method: str
    path: str
    query: dict[str, str]
    route: str | None = None
    request_body: bytes | bytearray = b""
    ratelimit_headers: dict[str, str] | None = None


class FakeLaunchDarkly:
    """An in-memory LaunchDarkly REST API (Segments and list environments) for tests.

    It listens on 127.0.0.1 on an ephemeral port; point a client at :attr:`url`::

        async with FakeLaunchDarkly() as fake:
            client = SegmentsClient(api_key="x", base_url=fake.url)

    It is an independent model of LaunchDarkly's documented behaviour (statuses, error
    bodies, rate-limit headers, paging links, patch formats, big-segment jobs), not of any
    client. Knobs are plain attributes and may change while it runs.

    Args:
        api_key: when set, any other ``Authorization`` value gets 401; a missing header
            always does.
        projects: project key -> environment keys; default
            ``{"default": ["production", "test"]}``.
        latency: seconds added to every request.
        rate_limit: a :class:`RateLimit`, or ``None`` for no limit (headers still sent).
        faults: a :class:`FaultPlan` of random faults, or ``None``.
        job_polls_per_status: GET polls an import or export needs per status step.
        max_page_size: clamp for ``limit`` on list routes, ``None`` for no clamp.
        separate_download_host: serve export files from a second origin, like a
            pre-signed object-store URL, which rejects ``Authorization``.
        redirect_downloads: the API host answers file downloads with a 302 to that
            second origin (which is then started too).
        record: keep an :class:`Exchange` per request in :attr:`exchanges`.
        seed: seed for generated ids and keys.
        churn: a :class:`Churn`: segments (or environments) created and deleted between
            list requests, to test walks over a changing listing.
        port: the API host's port on 127.0.0.1; 0 (the default) picks a free one.

    Attributes:
        import_outcome: ``"complete"`` or ``"stopped"``: how imports end.
        export_outcome: the same for exports.
        requests: requests per route name (``"METHOD template"``).
        statuses: answers per status (0 for dropped connections).
        side_effects: writes that changed state, by kind.
        faults_injected: faults delivered, by kind.
        rate_limited: 429s from the limiter or from faults.
        in_flight: requests being handled now; ``max_in_flight`` is the peak.
        exchanges: the record of each request, when ``record`` is on.

    Things the real API leaves open, decided here: a JSON patch that changes nothing keeps
    ``version``; member-set changes (``/contexts``, imports) do not bump it; ``limit=0``
    means the default page size; export files list keys in no particular order.
    """

    #: Route name of export file downloads, on either host (for ``inject`` and counters).
    DOWNLOAD_ROUTE = DOWNLOAD.name

    def __init__(
        self,
        *,
        api_key: str | None = None,
        projects: Mapping[str, Sequence[str]] | None = None,
        latency: float = 0.0,
        rate_limit: RateLimit | None = None,
        faults: FaultPlan | None = None,
        job_polls_per_status: int = 1,
        max_page_size: int | None = None,
        separate_download_host: bool = False,
        redirect_downloads: bool = False,
        record: bool = True,
        seed: int = 0,
        churn: Churn | None = None,
        port: int = 0,
    ) -> None:
        self._api_key = api_key
        self._port = port
        self.latency = latency
        self.rate_limit = rate_limit
        self.faults = faults
        self.job_polls_per_status = job_polls_per_status
        self.max_page_size = max_page_size
        self.separate_download_host = separate_download_host
        self.redirect_downloads = redirect_downloads
        self.record = record
        self.churn = churn
        self.import_outcome = "complete"
        self.export_outcome = "complete"
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.rate_limited = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.exchanges: list[Exchange] = []
        self._store = Store(seed)
        self._limiter = RateLimiter()
        self._queue = FaultQueue()
        self._runners: list[web.BaseRunner] = []
        self._url: str | None = None
        self._download_url: str | None = None
        for project, environments in (_DEFAULT_PROJECTS if projects is None else projects).items():
            self.add_project(project, environments)

    def __repr__(self) -> str:
        return f"FakeLaunchDarkly(url={self._url!r})"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the API host.

        Raises:
            RuntimeError: before :meth:`start`.
        """
        if self._url is None:
            raise RuntimeError("FakeLaunchDarkly is not started")
        return self._url

    @property
    def download_url(self) -> str | None:
        """Origin of the separate download host, when one runs."""
        return self._download_url

    @property
    def side_effects(self) -> Counter[str]:
        """Applied writes by kind (``create_segment``, ``patch_segment``, ``apply_import``...)."""
        return self._store.side_effects

    @property
    def imports(self) -> Mapping[str, ImportJob]:
        """Read-only view of import jobs by id."""
        return MappingProxyType(self._store.imports)

    @property
    def exports(self) -> Mapping[str, ExportJob]:
        """Read-only view of export jobs by id."""
        return MappingProxyType(self._store.exports)

    async def start(self) -> None:
        """Start listening (idempotent)."""
        if self._runners:
            return
        self._url = await self._listen(self._on_api_host, self._port)
        if self.separate_download_host or self.redirect_downloads:
            self._download_url = await self._listen(self._on_download_host, 0)

    async def _listen(
        self, handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]], port: int
    ) -> str:
        # No lingering close: a request answered before its body was read (a fault on an
        # upload) would otherwise keep its handler reading for ten seconds after close().
        server = web.Server(handler, access_log=None, lingering_time=0)
        runner = web.ServerRunner(server, shutdown_timeout=1.0)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        host, port = runner.addresses[-1][:2]
        return f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop listening and close connections (idempotent)."""
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

    async def __aenter__(self) -> FakeLaunchDarkly:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def add_project(self, key: str, environments: Sequence[str] = ()) -> None:
        """Create a project (if new) and the given environments in it."""
        self._store.add_project(key)
        for environment in environments:
            self.add_environment(key, environment)

    def add_environment(
        self,
        project_key: str,
        key: str,
        *,
        name: str | None = None,
        tags: Sequence[str] = (),
        critical: bool = False,
    ) -> None:
        """Create an environment (and its project if new)."""
        self._store.add_environment(project_key, key, name=name, tags=list(tags), critical=critical)

    def add_segment(
        self,
        project_key: str,
        environment_key: str,
        key: str,
        *,
        name: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store a segment directly and return its JSON.

        Args:
            project_key: an existing project.
            environment_key: an existing environment of it.
            key: the segment key.
            name: the name; defaults to ``key``.
            **fields: any ``UserSegment`` JSON fields in camelCase (``tags``, ``rules``,
                ``included``, ``unbounded=True``, ``unboundedContextKind``, ``_external``,
                ...); a big segment's ``included``/``excluded`` become its members.

        Raises:
            KeyError: unknown project or environment.
            ValueError: invalid fields or a duplicate key.
        """
        try:
            self._store.create_segment(
                project_key, environment_key, {**fields, "key": key, "name": name or key}
            )
        except ApiError as exc:
            raise KeyError(exc.message) from None
        segment = self.segment(project_key, environment_key, key)
        assert segment is not None
        return segment

    def segment(self, project_key: str, environment_key: str, key: str) -> dict[str, Any] | None:
        """A deep copy of the segment's JSON (as ``GET`` returns it), or ``None``."""
        try:
            environment = self._store.environment(project_key, environment_key)
        except ApiError:
            return None
        found = environment.segments.get(key)
        if found is None:
            return None
        in_progress = environment.import_in_progress(key)
        return copy.deepcopy(found.render(import_in_progress=in_progress, flags=True))

    def big_segment_members(
        self, project_key: str, environment_key: str, key: str, target_type: str = "included"
    ) -> set[str]:
        """A copy of a big segment's ``included`` or ``excluded`` keys.

        Raises:
            KeyError: unknown segment.
        """
        try:
            segment = self._store.segment(project_key, environment_key, key)
        except ApiError as exc:
            raise KeyError(exc.message) from None
        return set(segment.big_included if target_type == "included" else segment.big_excluded)

    def approve_import(self, import_id: str) -> None:
        """Approve an import created with ``waitOnApprovals=true``: it becomes ``ready``.

        Raises:
            KeyError: unknown import.
            ValueError: the import is not waiting for approval.
        """
        job = self._store.imports[import_id]
        if not job.wait_on_approvals or job.status not in ("preparing", "pending_approval"):
            raise ValueError(f"Import {import_id} is {job.status}, not waiting for approval")
        job.status = "ready"

    def inject(self, fault: Fault, *, route: str | None = None, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests on ``route`` (``None``: any).

        Args:
            fault: what to deliver.
            route: a route name such as ``"POST /api/v2/segments/{projectKey}/{environmentKey}"``
                or :attr:`DOWNLOAD_ROUTE`.
            times: how many requests get it.

        Raises:
            ValueError: ``route`` is not a route name.
        """
        if route is not None and route not in ROUTE_NAMES and route != DOWNLOAD.name:
            raise ValueError(f"Unknown route name {route!r}")
        self._queue.push(fault, route, times)

    def reset_counters(self) -> None:
        """Zero every counter and forget recorded exchanges (state and queued faults stay)."""
        for counter in (self.requests, self.statuses, self.faults_injected, self.side_effects):
            counter.clear()
        self.rate_limited = 0
        self.max_in_flight = self.in_flight
        self.exchanges.clear()

    async def _on_api_host(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._serve(request, self._answer_api)

    async def _on_download_host(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._serve(request, self._answer_download)

    async def _serve(
        self,
        request: web.BaseRequest,
        answer: Callable[[_Trace, str], Awaitable[Outcome]],
    ) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            path, _, raw_query = request.raw_path.partition("?")
            query = dict(parse_qsl(raw_query, keep_blank_values=True))
            trace = _Trace(request, request.method, path, query)
            outcome = await answer(trace, raw_query)
            return await self._write(trace, outcome)
        finally:
            self.in_flight -= 1

    async def _answer_api(self, trace: _Trace, raw_query: str) -> Outcome:
        request = trace.request
        override = request.headers.get("X-HTTP-Method-Override", "").upper()
        if trace.method == "POST" and override in _OVERRIDABLE:
            trace.method = override
        method = trace.method
        try:
            route, params = resolve(method, trace.path)
            self.requests[route.name] += 1
            trace.route = route.template.text if route.api else None
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            self._authorize(request.headers.get("Authorization"))
            verdict = self._limiter.check(self.rate_limit, route.name, consume=True)
            trace.ratelimit_headers = verdict.headers
            if not verdict.allowed:
                self.rate_limited += 1
                raise ApiError(429, RATE_LIMITED_MESSAGE, code="rate_limited")
            body = b"" if route.streams_body else await read_body(request)
            call = Call(request, self, self._store, params, trace.query, raw_query, body)
            # A streamed upload fills upload_head while the handler reads it.
            trace.request_body = call.upload_head if route.streams_body else body
            if self.churn is not None and route.name in (LIST_SEGMENTS, LIST_ENVIRONMENTS):
                self.churn.before_list(
                    self._store, params["projectKey"], params.get("environmentKey")
                )
            fault = self._next_fault(route.name)
            if fault is not None:
                return await deliver(fault, request, lambda: route.handler(call), method == "GET")
            return Outcome(await route.handler(call))
        except ApiError as exc:
            return Outcome(exc.reply())

    async def _answer_download(self, trace: _Trace, raw_query: str) -> Outcome:
        self.requests[DOWNLOAD.name] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        authorized = "Authorization" in trace.request.headers
        reply = download_from_host(self._store, trace.path, trace.query, authorized)
        fault = self._next_fault(DOWNLOAD.name)

        async def produce() -> Reply:
            return reply

        if fault is not None:
            outcome = await deliver(fault, trace.request, produce, True)
        else:
            outcome = Outcome(reply)
        outcome.from_launchdarkly = False
        return outcome

    def _authorize(self, token: str | None) -> None:
        # The token is compared, never echoed: not in bodies, logs or the record.
        if not token:
            raise ApiError(401, "No access token in the Authorization header")
        expected = self._api_key
        given = token.encode("utf-8", "surrogateescape")
        if expected is not None and not hmac.compare_digest(given, expected.encode()):
            raise ApiError(401, "Invalid access token")

    def _next_fault(self, route: str) -> Fault | None:
        fault = self._queue.take(route)
        if fault is None and self.faults is not None:
            fault = self.faults.draw(route)
        if fault is not None:
            self.faults_injected[fault.kind] += 1
            if fault.kind == "rate_limited":
                self.rate_limited += 1
        return fault

    async def _write(self, trace: _Trace, outcome: Outcome) -> web.StreamResponse:
        extra: dict[str, str] = {}
        if outcome.reply is not None and outcome.from_launchdarkly:
            extra = self._ratelimit_headers(trace)
        return await send(trace.request, outcome, extra, lambda sent: self._record(trace, sent))

    def _ratelimit_headers(self, trace: _Trace) -> dict[str, str]:
        if trace.ratelimit_headers is None:
            verdict = self._limiter.check(self.rate_limit, None, consume=False)
            trace.ratelimit_headers = verdict.headers
        return trace.ratelimit_headers

    def _record(self, trace: _Trace, sent: Sent) -> None:
        self.statuses[sent.status] += 1
        if not self.record:
            return
        request = trace.request
        headers, had_authorization = redacted_headers(request.headers)
        self.exchanges.append(
            Exchange(
                method=trace.method,
                route=trace.route,
                path=trace.path,
                query=trace.query,
                request_headers=headers,
                had_authorization=had_authorization,
                request_content_type=request.headers.get("Content-Type"),
                request_body=bytes(trace.request_body[:MAX_RECORDED_BODY]),
                status=sent.status,
                response_headers=sent.headers,
                response_body=sent.body,
            )
        )
