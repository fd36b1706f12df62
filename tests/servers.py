"""Small purpose-built servers for behaviours the fake does not have (a server that
repeats pages, streams an endless body, speaks TLS...): real sockets all the same."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
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


RawHandler = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving_raw(handler: RawHandler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1: ``handler`` gets each request's head (up to the
    blank line) and writes whatever bytes it likes, framing included; the connection is
    closed after it returns. For answers no HTTP library would send."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            await handler(head, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()
