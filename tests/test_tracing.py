"""Tracing: ``trace_configs=`` reaches the client's own session; OpenTelemetry's aiohttp
instrumentation (the real package, spans in memory) records a span per request, named
by route, without the key or a file link's signature."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
import pytest
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from settings import API_KEY, ENV, FAST_RETRY, PROJECT
from yarl import URL

from ld_segments_async import SegmentsClient
from ld_segments_async.testing import FakeLaunchDarkly, Fault
from ld_segments_async.tracing import _recorded_url, opentelemetry_trace_config, route_of

SEGMENT = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


def attribute(span: ReadableSpan, old: str, new: str) -> object:
    """An attribute under either semantic convention (OTEL_SEMCONV_STABILITY_OPT_IN)."""
    attributes = span.attributes or {}
    return attributes.get(new, attributes.get(old))


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


async def test_trace_configs_reach_the_clients_own_session(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    started: list[tuple[str, str]] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: object
    ) -> None:
        started.append((params.method, params.url.path))  # type: ignore[attr-defined]

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with SegmentsClient(api_key=API_KEY, base_url=fake.url, trace_configs=[trace]) as ld:
        await ld.get_segment(PROJECT, ENV, "s")
    assert started == [("GET", "/api/v2/segments/proj/production/s")]


async def test_a_span_per_request_named_by_route(
    fake: FakeLaunchDarkly, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(503), route=f"GET {SEGMENT}")
    trace = opentelemetry_trace_config(
        tracer_provider=provider, captured_request_headers=["Authorization", "User-Agent"]
    )
    async with SegmentsClient(
        api_key=API_KEY, base_url=fake.url, retry=FAST_RETRY, trace_configs=[trace]
    ) as ld:
        await ld.get_segment(PROJECT, ENV, "s")
        await ld.get_segments(PROJECT, ENV, limit=5)

    finished = exporter.get_finished_spans()
    assert [span.name for span in finished] == [
        f"GET {SEGMENT}",  # the 503
        f"GET {SEGMENT}",  # its retry
        "GET /api/v2/segments/{projectKey}/{environmentKey}",
    ]
    statuses = [
        attribute(span, "http.status_code", "http.response.status_code") for span in finished
    ]
    assert statuses == [503, 200, 200]
    assert attribute(finished[1], "http.route", "http.route") == SEGMENT
    assert str(attribute(finished[2], "http.url", "url.full")).endswith("?limit=5")
    recorded = [dict(span.attributes or {}) for span in finished]
    assert API_KEY not in repr(recorded)
    assert recorded[0]["http.request.header.authorization"] == ("[REDACTED]",)
    assert "ld-segments-async/" in recorded[0]["http.request.header.user_agent"][0]
    # every request carried the trace context to LaunchDarkly
    assert all("traceparent" in e.request_headers for e in fake.exchanges)


async def test_opentelemetrys_global_instrumentation_covers_the_clients_session(
    fake: FakeLaunchDarkly, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    fake.add_segment(PROJECT, ENV, "s")
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        async with SegmentsClient(api_key=API_KEY, base_url=fake.url) as ld:
            await ld.get_segment(PROJECT, ENV, "s")
    finally:
        instrumentor.uninstrument()
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET"
    url = attribute(span, "http.url", "url.full")
    assert url == f"{fake.url}/api/v2/segments/proj/production/s"
    assert API_KEY not in repr(dict(span.attributes or {}))


def test_a_file_links_query_is_not_recorded() -> None:
    signed = URL(
        "https://bucket.s3.amazonaws.com/exports/x.csv?X-Amz-Credential=AKIA&X-Amz-Signature=ab"
    )
    assert _recorded_url(signed) == "https://bucket.s3.amazonaws.com/exports/x.csv"
    listing = URL("https://app.launchdarkly.com/api/v2/segments/p/e?limit=5&offset=10")
    assert _recorded_url(listing) == str(listing)
    assert route_of("/exports/x.csv") is None
    assert route_of("/api/v2/segments/p/e/s/exports/x") == f"{SEGMENT}/exports/{{exportID}}"
