"""TLS: verification is on by default; a custom CA goes in through ``ssl=``."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from aiohttp import web
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import RetryPolicy, SegmentsClient, TransportError

SEGMENT = {
    "key": "s",
    "name": "S",
    "tags": [],
    "creationDate": 1,
    "lastModifiedDate": 1,
    "_links": {},
    "rules": [],
    "version": 1,
    "deleted": False,
    "generation": 1,
}


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https_url(authority: trustme.CA) -> AsyncIterator[str]:
    async def segment(request: web.Request) -> web.Response:
        return web.json_response(SEGMENT)

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", segment)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    yield f"https://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


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
