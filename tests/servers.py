"""Small purpose-built servers for behaviours the fake does not have (a server that
repeats pages, streams an endless body, speaks TLS...): real sockets all the same."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


@contextlib.asynccontextmanager
async def serving(app: web.Application, *, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (an ephemeral port); yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def segment_json(key: str, **fields: Any) -> dict[str, Any]:
    """A minimal valid ``UserSegment`` document."""
    return {
        "key": key,
        "name": key,
        "tags": [],
        "creationDate": 1,
        "lastModifiedDate": 1,
        "_links": {},
        "rules": [],
        "version": 1,
        "deleted": False,
        "generation": 1,
        **fields,
    }
