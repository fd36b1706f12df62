"""Tracing with OpenTelemetry: a span per HTTP request of a client, from OpenTelemetry's
aiohttp instrumentation (``pip install "ld-segments-async[otel]"``)::

    from ld_segments_async.tracing import opentelemetry_trace_config

    async with SegmentsClient(trace_configs=[opentelemetry_trace_config()]) as ld:
        ...

OpenTelemetry's global ``AioHttpClientInstrumentor().instrument()`` works too (the
client's session is created after it, on first use); this trace config adds what it
cannot know: spans named by the route (``GET /api/v2/segments/{projectKey}/...``, few
names however many keys), ``http.route``, no query string on an export file's link (a
pre-signed URL's signature), and ``Authorization`` never recorded, whatever headers are
captured. Every attempt of a retried call is a span of its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from . import _operations

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["opentelemetry_trace_config", "route_of"]

_API = "/api/"


@cache
def _routes() -> tuple[tuple[re.Pattern[str], str], ...]:
    # The most specific first: ".../{segmentKey}/exports" before ".../{segmentKey}".
    templates = sorted(_operations.ROUTES, key=len, reverse=True)
    return tuple(
        (re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route)) + r"\Z"), route)
        for route in templates
    )


def route_of(path: str) -> str | None:
    """The route template of an API path (``/api/v2/segments/p/e/s`` ->
    ``/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}``); None if it is none
    of the client's (an export file's link)."""
    for pattern, route in _routes():
        if pattern.match(path):
            return route
    return None


def _recorded_url(url: URL) -> str:
    """What a span records of a URL: API calls whole; links to files without their query
    (a pre-signed URL's signature is a credential)."""
    if url.path.startswith(_API):
        return str(url)
    return str(url.with_query(None).with_fragment(None))


def _name_by_route(span: Span, params: aiohttp.TraceRequestStartParams) -> None:
    route = route_of(params.url.path)
    if route is not None and span.is_recording():
        span.update_name(f"{params.method} {route}")
        span.set_attribute("http.route", route)


def opentelemetry_trace_config(**options: Any) -> aiohttp.TraceConfig:
    """An ``aiohttp.TraceConfig`` that records an OpenTelemetry span per request, for
    ``SegmentsClient(trace_configs=[...])``.

    Args:
        options: passed to ``opentelemetry.instrumentation.aiohttp_client.
            create_trace_config`` (``tracer_provider``, ``meter_provider``,
            ``captured_request_headers``...); ``Authorization`` is always among the
            ``sensitive_headers``, whose values are redacted.

    Raises:
        ImportError: ``opentelemetry-instrumentation-aiohttp-client`` is not installed
            (``pip install "ld-segments-async[otel]"``).
    """
    try:
        from opentelemetry.instrumentation.aiohttp_client import create_trace_config
    except ImportError as error:
        raise ImportError(
            "tracing needs opentelemetry-instrumentation-aiohttp-client: "
            'pip install "ld-segments-async[otel]"'
        ) from error
    sensitive = ["authorization", *(options.pop("sensitive_headers", None) or ())]
    hook = options.pop("request_hook", None)

    def request_hook(span: Span, params: aiohttp.TraceRequestStartParams) -> None:
        _name_by_route(span, params)
        if hook is not None:
            hook(span, params)

    config: aiohttp.TraceConfig = create_trace_config(
        url_filter=options.pop("url_filter", _recorded_url),
        request_hook=request_hook,
        sensitive_headers=sensitive,
        **options,
    )
    return config
