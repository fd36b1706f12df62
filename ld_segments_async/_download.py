"""Downloads of export files: streamed into a sink, redirects followed by hand.

The file may live on the API host or elsewhere (a pre-signed object-store URL).
``Authorization`` and ``LD-API-Version`` go only to the API's own scheme, host and port,
and once a redirect leaves that origin no credentials are sent again.
"""

from __future__ import annotations

from functools import partial

from yarl import URL

from ._exchange import FAILURES, Request, Response, Sink, transport_error
from ._retry import retry_after_failure
from ._transport import Call, Transport
from .config import RetryPolicy, Timeout
from .errors import DecodeError, LaunchDarklyError

__all__ = ["download"]

_CHUNK = 256 * 1024
_MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _same_origin(url: URL, other: URL) -> bool:
    return (url.scheme, url.host, url.port) == (other.scheme, other.host, other.port)


async def download(
    transport: Transport, url: str, sink: Sink, *, retry: RetryPolicy, timeout: Timeout
) -> None:
    """Stream the body at ``url`` (absolute, or relative to the API) into ``sink``,
    with retries (each attempt restarts the sink)."""
    target = transport.base.join(URL(url, encoded=True))
    now = transport.clock.monotonic()
    deadline = None if retry.total_timeout is None else now + retry.total_timeout
    request = Request("GET", target.path, "download")
    call = Call(request, retry, timeout, deadline, transport.clock, transfer=True)
    attempt = partial(_attempt, transport, call, target, sink)
    try:
        await attempt()
    except LaunchDarklyError as error:
        await retry_after_failure(attempt, error, retry, deadline)


async def _attempt(transport: Transport, call: Call, target: URL, sink: Sink) -> None:
    call.attempts += 1
    sink.restart()
    # Only a file on the API host draws on LaunchDarkly's rate limits.
    async with transport.turn(call, governed=_same_origin(target, transport.base)) as turn:
        session = transport.session()
        trusted = True
        for _ in range(_MAX_REDIRECTS + 1):
            trusted = trusted and _same_origin(target, transport.base)
            headers = {"User-Agent": transport.headers["User-Agent"], "Accept": "text/csv, */*"}
            if trusted:
                headers = {**transport.headers, **headers}
            try:
                async with session.get(
                    target, headers=headers, timeout=call.client_timeout(), allow_redirects=False
                ) as raw:
                    if trusted:  # the API host's rate-limit headers
                        turn.headers, turn.status = raw.headers, raw.status
                    if raw.status in _REDIRECTS:
                        location = raw.headers.get("Location")
                        if not location:
                            raise DecodeError(
                                f"a {raw.status} redirect without a Location header "
                                f"downloading {call.request.path}",
                                status=raw.status,
                            )
                        target = target.join(URL(location, encoded=True))
                        continue
                    if raw.status >= 400:
                        body = await transport.read(raw, call.request)
                        raise transport.error(call, Response(raw.status, raw.headers, body))
                    async for chunk in raw.content.iter_chunked(_CHUNK):
                        sink.write(chunk)
                    return
            except FAILURES as exc:
                raise transport_error(exc, call.request) from None
    raise DecodeError(f"more than {_MAX_REDIRECTS} redirects downloading {call.request.path}")
