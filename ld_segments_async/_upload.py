"""Big-segment import files: keys -> CSV -> multipart, streamed and replayable.

LaunchDarkly reads context keys from the first column of a CSV with no header row, at
most 1,000,000 keys and 40 MB per file. Keys given as an (async) iterable are checked,
quoted and spooled to a temporary file (memory up to a few MB, then disk) before
anything is sent, so that bad input fails before the request, limits are known up
front, and the upload can be replayed if LaunchDarkly answers 429.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from contextlib import AbstractContextManager
from typing import IO, Union, cast

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from attrs import define

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_KEYS",
    "CsvFile",
    "ImportFile",
    "csv_files",
    "multipart_body",
    "open_csv",
]

MAX_IMPORT_KEYS = 1_000_000
MAX_IMPORT_BYTES = 40 * 1024 * 1024

ImportFile = Union[str, "os.PathLike[str]", bytes, Iterable[str], AsyncIterable[str]]
"""What ``create_big_segment_import`` uploads: a path to a CSV file, the CSV as bytes,
or the keys themselves, one per item (a list, a generator, an async generator...)."""

_CHUNK = 256 * 1024
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
_BATCH = 4096


@define
class CsvFile(AbstractContextManager["CsvFile"]):
    """A CSV ready to be uploaded as many times as needed: a path reopened for each
    upload, or a buffer (memory or temporary file) rewound for each upload."""

    size: int
    keys: int | None
    _path: str | None = None
    _buffer: IO[bytes] | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes, read off the event loop."""
        if self._buffer is not None:
            handle = self._buffer
            handle.seek(0)
        else:
            assert self._path is not None
            handle = await asyncio.to_thread(open, self._path, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, _CHUNK):
                yield chunk
        finally:
            if handle is not self._buffer:
                handle.close()

    def close(self) -> None:
        if self._buffer is not None:
            self._buffer.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _too_big(size: int) -> ValueError:
    return ValueError(
        f"a single CSV line of {size} bytes exceeds the {MAX_IMPORT_BYTES}-byte limit"
    )


def _csv_line(item: object) -> str:
    if not isinstance(item, str):
        raise TypeError(f"import keys must be str, got {type(item).__name__}: {item!r}")
    key = item.rstrip("\r\n")  # lines read from a text file keep their line ending
    if not key:
        raise ValueError("import keys must not be empty")
    if "\n" in key or "\r" in key:
        raise ValueError(f"import keys must not contain line breaks: {key!r}")
    if "," in key or '"' in key:
        # RFC 4180 quoting keeps the key whole in the first column.
        key = '"' + key.replace('"', '""') + '"'
    return key + "\n"


class _Spool:
    """Accumulates CSV lines up to one file's limits."""

    def __init__(self) -> None:
        self.handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self.size = 0
        self.keys = 0

    def fits(self, encoded: bytes, count: int) -> bool:
        return self.keys + count <= MAX_IMPORT_KEYS and self.size + len(encoded) <= MAX_IMPORT_BYTES

    def write(self, encoded: bytes, count: int) -> None:
        self.handle.write(encoded)
        self.size += len(encoded)
        self.keys += count

    def seal(self) -> CsvFile:
        self.handle.flush()
        return CsvFile(self.size, self.keys, buffer=self.handle)


Batch = tuple[bytes, int]
"""CSV lines (each ending in a newline) and how many there are."""


async def _key_batches(keys: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[Batch]:
    lines: list[str] = []
    if isinstance(keys, AsyncIterable):
        async for key in keys:
            lines.append(_csv_line(key))
            if len(lines) == _BATCH:
                yield "".join(lines).encode(), len(lines)
                lines = []
    else:
        for key in keys:
            lines.append(_csv_line(key))
            if len(lines) == _BATCH:
                yield "".join(lines).encode(), len(lines)
                lines = []
    if lines:
        yield "".join(lines).encode(), len(lines)


def _line_batches(data: bytes) -> Iterator[Batch]:
    """Whole lines of an existing CSV, a chunk at a time."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _CHUNK)
        end = len(data) if end == -1 else end + 1
        chunk = data[start:end]
        if not chunk.endswith(b"\n"):
            chunk += b"\n"
        yield chunk, chunk.count(b"\n")
        start = end


async def _file_batches(path: str) -> AsyncIterator[Batch]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        rest = b""
        while chunk := await asyncio.to_thread(handle.read, _CHUNK):
            head, _, tail = (rest + chunk).rpartition(b"\n")
            rest = tail
            if head:
                yield head + b"\n", head.count(b"\n") + 1
        if rest:
            yield rest + b"\n", 1
    finally:
        handle.close()


def _measure(path: str) -> tuple[int, int]:
    """Size in bytes and number of lines of a file."""
    size = lines = 0
    last = b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return size, lines + (last != b"\n")


def _fits(size: int, lines: int) -> bool:
    return size <= MAX_IMPORT_BYTES and lines <= MAX_IMPORT_KEYS


async def _spooled(batches: AsyncIterator[Batch]) -> AsyncGenerator[CsvFile, None]:
    spool: _Spool | None = _Spool()
    try:
        async for encoded, count in batches:
            assert spool is not None
            if spool.fits(encoded, count):
                spool.write(encoded, count)
                continue
            # Rare path: split this batch line by line at the limit.
            for line in encoded.splitlines(keepends=True):
                if not spool.fits(line, 1):
                    if spool.keys == 0:
                        raise _too_big(len(line))
                    sealed, spool = spool.seal(), _Spool()
                    yield sealed
                spool.write(line, 1)
        if spool is not None and spool.keys:
            sealed, spool = spool.seal(), None
            yield sealed
    finally:
        # A file already yielded belongs to the caller; only the one being filled is ours.
        if spool is not None:
            spool.handle.close()


async def _as_async(batches: Iterable[Batch]) -> AsyncIterator[Batch]:
    for batch in batches:
        yield batch


async def csv_files(file: ImportFile) -> AsyncGenerator[CsvFile, None]:
    """Any :data:`ImportFile` as CSV files within LaunchDarkly's per-file limits.

    A file that already fits is uploaded as it is; anything else is spooled, one file
    at a time: the next is only prepared when the caller asks for it. Each file yielded
    belongs to the caller, who closes it.

    Raises:
        ValueError: a bad key, or no keys at all.
        TypeError: an unsupported input type.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        size, lines = await asyncio.to_thread(_measure, path)
        if lines == 0:
            raise ValueError(f"no keys to import in {path}")
        if _fits(size, lines):
            yield CsvFile(size, lines, path=path)
            return
        batches = _file_batches(path)
    elif isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if not data.strip():
            raise ValueError("no keys to import")
        if _fits(len(data), lines):
            yield CsvFile(len(data), lines, buffer=io.BytesIO(data))
            return
        batches = _as_async(_line_batches(data))
    elif isinstance(file, (Iterable, AsyncIterable)):
        batches = _key_batches(cast("Iterable[str] | AsyncIterable[str]", file))
    else:
        raise TypeError(
            "file must be a path, bytes, or an iterable or async iterable of keys; "
            f"got {type(file).__name__}"
        )
    produced = False
    async for csv in _spooled(batches):
        produced = True
        yield csv
    if not produced:
        raise ValueError("no keys to import")


async def open_csv(file: ImportFile) -> CsvFile:
    """One uploadable CSV from any :data:`ImportFile`.

    Raises:
        ValueError: no keys, a bad key, or more than one file's worth (1,000,000 keys or
            40 MB: ``import_big_segment`` splits such inputs over several uploads).
        TypeError: an unsupported input type.
    """
    files = csv_files(file)
    try:
        first = await anext(files)
        second = await anext(files, None)
        if second is not None:
            first.close()
            second.close()
            raise ValueError(
                f"more than {MAX_IMPORT_KEYS} keys or {MAX_IMPORT_BYTES} bytes: "
                "use import_big_segment, which splits the input over several uploads"
            )
        return first
    finally:
        await files.aclose()


class _CsvPayload(aiohttp.payload.Payload):
    """The file part of an import, streamed. Its size is known, so the whole upload
    has a ``Content-Length`` (some gateways refuse chunked uploads)."""

    def __init__(self, csv: CsvFile) -> None:
        super().__init__(csv, content_type="text/csv", filename="keys.csv")
        self._size = csv.size
        self._csv = csv

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an import file is streamed, never decoded whole")

    async def write(self, writer: AbstractStreamWriter) -> None:
        async for chunk in self._csv.chunks():
            await writer.write(chunk)


def multipart_body(
    csv: CsvFile, mode: str, wait_on_approvals: bool | None
) -> Callable[[], aiohttp.FormData]:
    """A factory of fresh multipart bodies (one per attempt) for an import."""

    def build() -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field("file", _CsvPayload(csv), filename="keys.csv", content_type="text/csv")
        form.add_field("mode", mode)
        if wait_on_approvals is not None:
            form.add_field("waitOnApprovals", "true" if wait_on_approvals else "false")
        return form

    return build
