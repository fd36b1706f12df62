"""Hostile input, generated: any key, any spec-valid document, any bytes.

* any Unicode key round-trips exactly through path encoding and the fake;
* any document valid against the spec decodes into its model, undeclared fields kept;
* any bytes as a response body give a DecodeError (never a KeyError, TypeError or a
  cattrs exception); oversized bodies are refused past ``max_body_size``;
* invalid keys fail before any request, with a typed error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from servers import serving
from settings import API_KEY, ENV, PROJECT
from spec_strategies import document, without_nulls

from ld_segments_async import DecodeError, RetryPolicy, SegmentBody, SegmentsClient, models
from ld_segments_async._exchange import Request, Response
from ld_segments_async._operations import decode
from ld_segments_async.converter import converter
from ld_segments_async.testing import FakeLaunchDarkly, Fault


def slow_ok(examples: int) -> settings:
    """Examples that each start a server: no per-example deadline."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


# Unicode scalar values: every character a key can hold (lone surrogates cannot be
# encoded at all, and are refused separately below).
keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24)


async def round_trip(key: str) -> None:
    fake = FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: [ENV]}, record=False)
    async with fake, SegmentsClient(API_KEY, base_url=fake.url) as ld:
        created = await ld.post_segment(PROJECT, ENV, SegmentBody(key=key, name=key))
        fetched = await ld.get_segment(PROJECT, ENV, key)
        await ld.delete_segment(PROJECT, ENV, key)
        assert fake.segment(PROJECT, ENV, key) is None
    assert created.key == fetched.key == key


@slow_ok(40)
@given(key=keys)
@example(key="a/b").via("slash")
@example(key="100%").via("percent")
@example(key="what?#frag").via("query and fragment")
@example(key="..").via("dot-dot")
@example(key=".").via("dot")
@example(key="two words").via("space")
@example(key="🚀 launch").via("emoji")
@example(key="%2F").via("encoded slash")
@example(key="a\x00b").via("NUL")
def test_any_key_round_trips(key: str) -> None:
    asyncio.run(round_trip(key))


@pytest.mark.parametrize("key", ["\ud800", "ok\udfffno"])
async def test_unencodable_keys_fail_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, key: str
) -> None:
    with pytest.raises(ValueError, match="segment_key"):
        await client.get_segment(PROJECT, ENV, key)
    with pytest.raises(ValueError, match="JSON"):
        await client.post_segment(PROJECT, ENV, SegmentBody(key=key, name="n"))
    assert fake.exchanges == []


RESPONSE_MODELS = [
    "UserSegment",
    "UserSegments",
    "Import",
    "Export",
    "BigSegmentTarget",
    "ContextInstanceSegmentMemberships",
    "ExpiringTargetGetResponse",
    "ExpiringTargetPatchResponse",
    "ExpiringUserTargetGetResponse",
    "ExpiringUserTargetPatchResponse",
    "Environments",
]


@pytest.mark.parametrize("name", RESPONSE_MODELS)
@slow_ok(40)
@given(data=st.data())
def test_any_spec_valid_document_decodes(name: str, data: st.DataObject) -> None:
    model = getattr(models, name)
    body = data.draw(document(name))
    decoded = converter.structure(body, model)
    # Nothing is lost: encoding gives back every field, undeclared ones included.
    assert without_nulls(converter.unstructure(decoded)) == without_nulls(body)


def _decode(body: bytes, model: type) -> None:
    response = Response(200, {"Content-Type": "application/json"}, body, _REQUEST)  # type: ignore[arg-type]
    decode(response, model)


_REQUEST = Request("GET", "/api/v2/segments/p/e/s", "/api/v2/segments/{p}/{e}/{s}")


@settings(max_examples=400)
@given(body=st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
@example(body=b"[" * 100_000)  # deeper than any parser's recursion limit
@example(body=b'{"items":' * 100_000)
def test_any_bytes_give_a_decode_error(body: bytes) -> None:
    for model in (models.UserSegment, models.UserSegments, models.Import, models.Export):
        with contextlib.suppress(DecodeError):
            _decode(body, model)


@settings(max_examples=200)
@given(
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["key", "name", "tags", "_links", "items", "rules", "version", "status", "id"]
                )
                | st.text(max_size=4),
                inner,
                max_size=5,
            )
        ),
        max_leaves=10,
    )
)
def test_any_json_gives_a_model_or_a_decode_error(body: Any) -> None:
    encoded = json.dumps(body).encode()
    for model in (models.UserSegment, models.UserSegments, models.Export):
        with contextlib.suppress(DecodeError):
            _decode(encoded, model)


async def served_garbage(body: bytes) -> None:
    async with FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: [ENV]}, record=False) as fake:
        fake.inject(Fault.status(200, body=body))
        async with SegmentsClient(API_KEY, base_url=fake.url, retry=RetryPolicy.disabled()) as ld:
            with pytest.raises(DecodeError):
                await ld.get_segment(PROJECT, ENV, "s")


@slow_ok(25)
@given(body=st.binary(max_size=100))
def test_garbage_over_the_wire_is_a_decode_error(body: bytes) -> None:
    asyncio.run(served_garbage(body))


async def test_oversized_bodies_are_refused(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "big-list", included=[f"user-{n}" for n in range(2000)])
    fake.add_segment(PROJECT, ENV, "small")
    async with SegmentsClient(API_KEY, base_url=fake.url, max_body_size=4096) as ld:
        with pytest.raises(DecodeError, match="max_body_size"):
            await ld.get_segment(PROJECT, ENV, "big-list")
        assert (await ld.get_segment(PROJECT, ENV, "small")).key == "small"


async def test_oversized_chunked_bodies_are_refused() -> None:
    """Without a Content-Length, the body is cut off once it passes the limit."""

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(100):
            await response.write(b" " * 1024)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", endless)
    async with (
        serving(app) as url,
        SegmentsClient(API_KEY, base_url=url, max_body_size=10_000) as ld,
    ):
        with pytest.raises(DecodeError, match="max_body_size"):
            await ld.get_segment(PROJECT, ENV, "s")
