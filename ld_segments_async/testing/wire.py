"""Writing answers to the socket, including cut-short and dropped ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from .replies import Reply, bad_request, error_payload, json_reply

MAX_JSON_BODY = 16 * 1024 * 1024


@dataclass
class Outcome:
    """The answer to write: ``reply`` None drops the connection."""

    reply: Reply | None
    truncate: bool = False
    # LaunchDarkly's own answers carry X-Ratelimit-*; an intermediary's do not.
    from_launchdarkly: bool = True


@dataclass(frozen=True)
class Sent:
    """What went out: status (0 for none), headers, and the body when it was JSON or
    empty (``None`` for anything else, or a body cut short)."""

    status: int
    headers: dict[str, str]
    body: bytes | None


async def read_body(request: web.BaseRequest) -> bytes:
    """The whole (JSON) request body.

    Raises:
        ApiError: 400 past 16 MiB.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_JSON_BODY:
            raise bad_request("The request body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def send(
    request: web.BaseRequest,
    outcome: Outcome,
    extra_headers: dict[str, str],
    on_sent: Callable[[Sent], None],
) -> web.StreamResponse:
    """Write ``outcome``; ``on_sent`` runs once the headers are final and before the body
    goes out, so a client holding its answer can already see the record of it."""
    reply = outcome.reply
    if reply is None:
        on_sent(Sent(0, {}, None))
        request.protocol.force_close()
        return web.Response()
    headers = {**reply.headers, **extra_headers}
    if reply.content_type:
        headers["Content-Type"] = reply.content_type
    whole = reply.chunks is None and not outcome.truncate
    if whole:
        response: web.StreamResponse = web.Response(
            status=reply.status, body=reply.body or None, headers=headers
        )
    else:
        response = web.StreamResponse(status=reply.status, headers=headers)
        response.content_length = _length(reply) + (1 if outcome.truncate else 0)
    recorded = reply.body if whole and (reply.is_json or not reply.body) else None
    try:
        await response.prepare(request)
        on_sent(Sent(reply.status, dict(response.headers), recorded))
        if outcome.truncate:
            await response.write(_first_half(reply))
            request.protocol.force_close()
            return response
        for chunk in reply.chunks or ():
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:
        pass  # the client left; nothing more to send
    return response


def placeholder() -> Reply:
    """A body to cut short when a write with ``after=False`` has no real answer."""
    return json_reply(500, error_payload("internal_server_error", "Injected fault: truncated"))


def _length(reply: Reply) -> int:
    if reply.chunks is not None and reply.length is not None:
        return reply.length
    return len(reply.body)


def _first_half(reply: Reply) -> bytes:
    if reply.chunks is None:
        return reply.body[: len(reply.body) // 2]
    first = next(iter(reply.chunks), b"")
    return first[: len(first) // 2]
