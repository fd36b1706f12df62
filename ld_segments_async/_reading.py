"""Reading an answer's body, bounded after decompression.

aiohttp's own decompression is turned off for every request, and ``gzip`` and
``deflate`` bodies are inflated here a slice at a time, so that ``max_body_size`` (or a
download's cap) counts the bytes that reach memory or disk, not the compressed ones: a
small body that inflates to gigabytes stops at the limit.

Downloads must be whole: length framing and chunked endings are checked by aiohttp
(it raises when they fall short); a body framed by the connection closing can only be
checked against the size the export announced.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

import aiohttp
from multidict import istr

from ._exchange import Request, Sink
from .errors import DecodeError

__all__ = ["ACCEPT_ENCODING", "read_body", "stream_body"]

ACCEPT_ENCODING = "gzip, deflate"
"""What the client can inflate itself (sent on every request)."""

_CONTENT_ENCODING = istr("Content-Encoding")
_CHUNK = 256 * 1024
_PIECE = 256 * 1024
"""The most bytes one step of inflating produces, so a limit is checked that often."""


class _Inflater:
    """A ``gzip`` or ``deflate`` body, inflated one bounded piece at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw_deflate = False
        self._inflater = self._new()

    def _new(self) -> zlib._Decompress:
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the standard, raw by some servers.
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """``data`` inflated, a piece at a time: the caller may stop between pieces."""
        try:
            first = self._inflater.decompress(data, _PIECE)
        except zlib.error:
            if self.encoding != "deflate" or self._raw_deflate:
                raise
            self._raw_deflate = True  # the first bytes were no zlib header: raw deflate
            self._inflater = self._new()
            first = self._inflater.decompress(data, _PIECE)
        yield first
        inflater = self._inflater
        while inflater.unconsumed_tail:
            yield inflater.decompress(inflater.unconsumed_tail, _PIECE)

    def finish(self) -> bytes:
        rest = self._inflater.flush()
        if not self._inflater.eof:
            raise zlib.error("the compressed body ended before its end marker")
        return rest


def _inflater(raw: aiohttp.ClientResponse, request: Request) -> _Inflater | None:
    encoding = raw.headers.get(_CONTENT_ENCODING)
    if encoding is None:
        return None
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater(encoding)
    raise _error(request, raw.status, f"the answer uses an unsupported encoding {encoding!r}")


def _error(request: Request, status: int, message: str) -> DecodeError:
    return DecodeError(message, status=status, method=request.method, path=request.path)


def _too_large(request: Request, status: int, limit: int, what: str) -> DecodeError:
    return _error(request, status, f"the response body exceeds {what} ({limit:,} bytes)")


async def read_body(raw: aiohttp.ClientResponse, request: Request, limit: int) -> bytes:
    """The whole body, inflated: at most ``limit`` bytes, else a :class:`DecodeError`."""
    inflater = _inflater(raw, request)
    if inflater is None and raw.content_length is not None:
        if raw.content_length > limit:
            raise _too_large(request, raw.status, limit, "max_body_size")
        return await raw.read()  # exactly Content-Length bytes: nothing to count
    chunks: list[bytes] = []
    size = 0

    def keep(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > limit:
            raise _too_large(request, raw.status, limit, "max_body_size")
        chunks.append(piece)

    await _each_piece(raw, request, inflater, keep)
    return b"".join(chunks)


async def stream_body(
    raw: aiohttp.ClientResponse, request: Request, sink: Sink, limit: int, expected: int | None
) -> int:
    """Write the body, inflated, into ``sink``; its size.

    Raises:
        DecodeError: more than ``limit`` bytes, or a body framed by the connection
            closing that is shorter than ``expected``.
    """
    inflater = _inflater(raw, request)
    size = 0

    def write(piece: bytes) -> None:
        nonlocal size
        size += len(piece)
        if size > limit:
            what = "the export's size" if expected is not None else "max_download_size"
            raise _too_large(request, raw.status, limit, what)
        sink.write(piece)

    await _each_piece(raw, request, inflater, write)
    framed = (
        raw.content_length is not None
        or "chunked" in raw.headers.get("Transfer-Encoding", "").lower()
    )
    if not framed and expected is not None and size != expected:
        raise _error(
            request, raw.status, f"the file was cut short: {size:,} of {expected:,} bytes came"
        )
    return size


async def _each_piece(
    raw: aiohttp.ClientResponse,
    request: Request,
    inflater: _Inflater | None,
    take: Callable[[bytes], None],
) -> None:
    try:
        async for chunk in raw.content.iter_chunked(_CHUNK):
            if inflater is None:
                take(chunk)
                continue
            for piece in inflater.pieces(chunk):
                if piece:
                    take(piece)
        if inflater is not None:
            rest = inflater.finish()
            if rest:
                take(rest)
    except zlib.error as exc:
        raise _error(request, raw.status, f"the compressed body is corrupt ({exc})") from None
