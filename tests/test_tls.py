"""TLS: verification is on by default; a custom CA goes in through ``ssl=``."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web
from servers import segment_json, serving
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import RetryPolicy, SegmentsClient, TransportError


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https_url(authority: trustme.CA) -> AsyncIterator[str]:
    async def segment(request: web.Request) -> web.Response:
        return web.json_response(segment_json("s"))

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", segment)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    async with serving(app, tls=server_context) as url:
        yield url


async def test_an_unknown_certificate_is_refused(https_url: str) -> None:
    async with SegmentsClient(API_KEY, base_url=https_url, retry=RetryPolicy.disabled()) as ld:
        with pytest.raises(TransportError, match="certificate") as caught:
            await ld.get_segment(PROJECT, ENV, "s")
    assert caught.value.request_sent is False  # the key never left the process


async def test_a_custom_ca_is_trusted_through_ssl(https_url: str, authority: trustme.CA) -> None:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    async with SegmentsClient(API_KEY, base_url=https_url, ssl=context) as ld:
        segment = await ld.get_segment(PROJECT, ENV, "s")
    assert segment.key == "s"
