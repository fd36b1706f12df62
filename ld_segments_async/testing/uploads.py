"""Streaming multipart import uploads: form fields and the CSV keys, chunk by chunk."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import cast

from aiohttp import BodyPartReader, MultipartReader, StreamReader, web

from .csv_keys import KeyParser
from .recording import MAX_RECORDED_BODY
from .replies import bad_request

MAX_IMPORT_KEYS = 1_000_000
MAX_IMPORT_BYTES = 40 * 1024 * 1024
_CHUNK = 256 * 1024


@dataclass
class ImportForm:
    """The parts of an import upload."""

    mode: str = "merge"
    wait_on_approvals: bool = False
    filename: str = "import.csv"
    keys: list[str] | None = field(default=None, repr=False)


class HeadRecordingStream:
    """The request stream as the multipart reader sees it, keeping the first 64 KiB.

    The reader pushes data back with ``unread_data``, so positions are tracked to record
    each byte once.
    """

    def __init__(self, stream: StreamReader, head: bytearray) -> None:
        self._stream = stream
        self._head = head
        self._position = 0

    def _seen(self, data: bytes) -> bytes:
        start, self._position = self._position, self._position + len(data)
        recorded = len(self._head)
        if start <= recorded < MAX_RECORDED_BODY and self._position > recorded:
            self._head += data[recorded - start : MAX_RECORDED_BODY - start]
        return data

    async def read(self, n: int = -1) -> bytes:
        return self._seen(await self._stream.read(n))

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        # Older aiohttp readers neither pass nor accept max_line_length.
        if max_line_length is None:
            return self._seen(await self._stream.readline())
        return self._seen(await self._stream.readline(max_line_length=max_line_length))

    def at_eof(self) -> bool:
        return self._stream.at_eof()

    def unread_data(self, data: bytes) -> None:
        self._position -= len(data)
        with warnings.catch_warnings():
            # aiohttp's own multipart reader relies on this deprecated call.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._stream.unread_data(data)


async def read_import_form(request: web.BaseRequest, head: bytearray) -> ImportForm:
    """Parse an import upload as it streams in; the first 64 KiB land in ``head``.

    Raises:
        ApiError: 400 for a body that is not multipart, a bad ``mode`` or
            ``waitOnApprovals``, or a file over 1,000,000 keys or 40 MiB.
    """
    if not request.content_type.startswith("multipart/"):
        raise bad_request("An import is a multipart/form-data upload")
    stream = cast(StreamReader, HeadRecordingStream(request.content, head))
    try:
        reader = MultipartReader(request.headers, stream)
    except (AssertionError, ValueError):
        raise bad_request("The multipart body is malformed") from None
    form = ImportForm()
    while True:
        try:
            part = await reader.next()
        except ValueError:
            raise bad_request("The multipart body is malformed") from None
        if part is None:
            return form
        if not isinstance(part, BodyPartReader):
            raise bad_request("Nested multipart bodies are not supported")
        if part.name == "file":
            form.filename = part.filename or form.filename
            form.keys = await _read_keys(part)
        elif part.name == "mode":
            form.mode = (await part.text()).strip()
            if form.mode not in ("merge", "replace"):
                raise bad_request("mode must be merge or replace")
        elif part.name == "waitOnApprovals":
            flag = (await part.text()).strip().lower()
            if flag not in ("true", "false"):
                raise bad_request("waitOnApprovals must be true or false")
            form.wait_on_approvals = flag == "true"
        else:
            await part.release()


async def _read_keys(part: BodyPartReader) -> list[str]:
    parser = KeyParser()
    keys: list[str] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise bad_request("The file is larger than 40 MB")
        keys.extend(parser.feed(chunk))
        if len(keys) > MAX_IMPORT_KEYS:
            raise bad_request("The file has more than 1,000,000 keys")
    keys.extend(parser.close())
    if len(keys) > MAX_IMPORT_KEYS:
        raise bad_request("The file has more than 1,000,000 keys")
    return keys
