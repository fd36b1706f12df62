"""Big-segment import files: any input -> checked CSV files on disk -> multipart uploads.

LaunchDarkly reads context keys from the first column of a CSV with no header row, at
most 1,000,000 keys and 40 MB per file. Every input (a CSV path, CSV bytes, or keys as
an iterable or async iterable) is read whole, key by key, checked and written out again
as the CSV LaunchDarkly expects (one key per line, ``\\n`` line ends, RFC 4180 quoting)
before anything is sent, so that bad input never reaches the server, a split is known up
front, and every upload can be replayed if LaunchDarkly answers 429. Files are spooled to
temporary files (a few MB in memory, then disk): ten million keys stay flat in memory.

In a CSV input, ``\\n``, ``\\r\\n`` and ``\\r`` all end a line; a UTF-8 byte-order mark
and blank lines are dropped; columns after the first are dropped (LaunchDarkly ignores
them).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
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
    "check_file",
    "key_batches",
    "multipart_body",
    "open_csv",
    "prepare_files",
]

MAX_IMPORT_KEYS = 1_000_000
MAX_IMPORT_BYTES = 40 * 1024 * 1024

ImportFile = Union[str, "os.PathLike[str]", bytes, Iterable[str], AsyncIterable[str]]
"""What ``create_big_segment_import`` uploads: a path to a CSV file, the CSV as bytes,
or the keys themselves, one per item (a list, a generator, an async generator...)."""

_CHUNK = 256 * 1024
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
_BATCH = 4096
_CSV_BATCH = 16384


@define
class CsvFile(AbstractContextManager["CsvFile"]):
    """A checked CSV, ready to be uploaded as many times as needed.

    Attributes:
        size: bytes.
        keys: keys (lines).
        first_key: the position of its first key in the whole input, from 1.
    """

    size: int
    keys: int
    first_key: int
    _buffer: IO[bytes]

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes from the start, read off the event loop."""
        self._buffer.seek(0)
        while chunk := await asyncio.to_thread(self._buffer.read, _CHUNK):
            yield chunk

    async def read_keys(self) -> AsyncIterator[str]:
        """The file's keys, read back (as they were before they were written)."""
        self._buffer.seek(0)
        rest = b""
        while chunk := await asyncio.to_thread(self._buffer.read, _CHUNK):
            whole, _, rest = (rest + chunk).rpartition(b"\n")  # every line ends in one
            if whole:
                text = whole.decode()
                lines = text.split("\n")
                for line in map(_unquoted, lines) if '"' in text else lines:
                    yield line

    def close(self) -> None:
        self._buffer.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _unquoted(line: str) -> str:
    if line.startswith('"'):
        return line[1:-1].replace('""', '"')
    return line


def _too_big(size: int) -> ValueError:
    return ValueError(
        f"a single CSV line of {size} bytes exceeds the {MAX_IMPORT_BYTES}-byte limit"
    )


def _checked_key(item: object) -> str:
    """A key as LaunchDarkly will store it.

    Raises:
        TypeError: not a ``str``.
        ValueError: empty, blank, or holding a line break.
    """
    if not isinstance(item, str):
        raise TypeError(f"import keys must be str, got {type(item).__name__}: {item!r}")
    key = item.rstrip("\r\n")  # lines read from a text file keep their line ending
    if not key.strip():
        raise ValueError(f"import keys must not be empty or blank: {key!r}")
    if "\n" in key or "\r" in key:
        raise ValueError(f"import keys must not contain line breaks: {key!r}")
    return key


def _quoted(key: str) -> str:
    if "," in key or '"' in key:
        # RFC 4180 quoting keeps the key whole in the first column.
        return '"' + key.replace('"', '""') + '"'
    return key


def _csv_line(item: object) -> str:
    """One checked key as a CSV line (quoted when it holds a comma or a quote)."""
    return _quoted(_checked_key(item)) + "\n"


Batch = tuple[bytes, int]
"""CSV lines (each ending in a newline) and how many there are."""


def _encoded(keys: list[str]) -> Batch:
    """Checked keys as CSV lines."""
    text = "\n".join(keys) + "\n"
    if "," in text or '"' in text:  # rare: quote the keys that need it
        text = "".join([_quoted(key) + "\n" for key in keys])
    return text.encode(), len(keys)


async def _given_keys(keys: Iterable[str] | AsyncIterable[str]) -> AsyncGenerator[list[str], None]:
    """Keys given one by one, checked a batch at a time. The caller's iterable runs on
    the event loop, which gets a turn between batches."""
    batch: list[str] = []
    if isinstance(keys, AsyncIterable):
        async for key in keys:
            batch.append(_checked_key(key))
            if len(batch) == _BATCH:
                yield batch
                batch = []
    else:
        for key in keys:
            batch.append(_checked_key(key))
            if len(batch) == _BATCH:
                yield batch
                batch = []
                await asyncio.sleep(0)
    if batch:
        yield batch


class _CsvKeys:
    """The first column of a CSV, a batch of checked lines at a time (run in a thread:
    the parsing is CPU work)."""

    def __init__(self, handle: IO[bytes], name: str) -> None:
        self._handle = handle
        self._name = name
        # Bytes that are not UTF-8 become lone surrogates, found key by key below (a
        # decoding error would not say on which line).
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
        self._rows = csv.reader(text)  # \n, \r\n and \r all end a row
        self._line = 1  # where the row being read starts

    def batch(self) -> list[str]:
        lines: list[str] = []
        try:
            while len(lines) < _CSV_BATCH:
                self._line = self._rows.line_num + 1
                row = next(self._rows, None)
                if row is None:
                    break
                if not row:
                    continue  # a blank line
                key = row[0]
                if not key.strip():
                    raise ValueError("no key in the first column")
                if not key.isascii():
                    key.encode()  # raises on what was not UTF-8
                lines.append(_checked_key(key))
        except UnicodeEncodeError:
            raise ValueError(f"{self._name}, line {self._line}: not UTF-8") from None
        except (ValueError, csv.Error) as error:
            raise ValueError(f"{self._name}, line {self._line}: {error}") from None
        return lines

    def close(self) -> None:
        self._handle.close()


async def _csv_keys(opener: Callable[[], IO[bytes]], name: str) -> AsyncGenerator[list[str], None]:
    handle = await asyncio.to_thread(opener)
    reader = _CsvKeys(handle, name)
    try:
        while batch := await asyncio.to_thread(reader.batch):
            yield batch
    finally:
        reader.close()


class _Spool:
    """Accumulates CSV lines up to one file's limits."""

    def __init__(self, first_key: int) -> None:
        self.handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self.size = 0
        self.keys = 0
        self.first_key = first_key

    def fits(self, encoded: bytes, count: int) -> bool:
        return self.keys + count <= MAX_IMPORT_KEYS and self.size + len(encoded) <= MAX_IMPORT_BYTES

    def write(self, encoded: bytes, count: int) -> None:
        self.handle.write(encoded)
        self.size += len(encoded)
        self.keys += count

    def seal(self) -> CsvFile:
        self.handle.flush()
        return CsvFile(self.size, self.keys, self.first_key, self.handle)


async def _spooled(batches: AsyncIterator[Batch]) -> AsyncGenerator[CsvFile, None]:
    """Files within the per-file limits; the one being filled is closed on failure, the
    ones yielded belong to the caller."""
    spool: _Spool | None = _Spool(1)
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
                    sealed, spool = spool.seal(), _Spool(spool.first_key + spool.keys)
                    yield sealed
                spool.write(line, 1)
        if spool is not None and spool.keys:
            sealed, spool = spool.seal(), None
            yield sealed
    finally:
        if spool is not None:
            spool.handle.close()


def check_file(file: object) -> None:
    """Fail now, before anything is read or sent, on what cannot be an import file: a
    type that is none of :data:`ImportFile`, or a path to no file (a ``str`` is always a
    path: keys go in a list).

    Raises:
        TypeError: not a path, bytes or an (async) iterable of keys.
        FileNotFoundError, IsADirectoryError: a path that is no file.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if os.path.isfile(path):
            return
        hint = (
            f"a str is the path of a CSV file; to import keys, pass them in a list "
            f"([{path!r}]) or as CSV bytes"
        )
        if os.path.isdir(path):
            raise IsADirectoryError(f"{path!r} is a folder, not a CSV file: {hint}")
        raise FileNotFoundError(f"no CSV file {path!r}: {hint}")
    if not isinstance(file, (bytes, bytearray, memoryview, Iterable, AsyncIterable)):
        raise TypeError(
            "file must be a path, bytes, or an iterable or async iterable of keys; "
            f"got {type(file).__name__}"
        )


def key_batches(file: ImportFile) -> AsyncGenerator[list[str], None]:
    """Every key of ``file``, checked as an import checks it, a batch at a time: the
    first column of a CSV (path or bytes), or the keys of an (async) iterable.

    Raises:
        TypeError: an unsupported input type (at once), or a key that is not ``str``.
        ValueError: a bad key, with where it is.
        OSError: the file cannot be read.
    """
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        return _csv_keys(lambda: open(path, "rb"), path)
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        return _csv_keys(lambda: io.BytesIO(data), "the CSV")
    if isinstance(file, (Iterable, AsyncIterable)):
        return _given_keys(cast("Iterable[str] | AsyncIterable[str]", file))
    raise TypeError(
        "file must be a path, bytes, or an iterable or async iterable of keys; "
        f"got {type(file).__name__}"
    )


def _batches(file: ImportFile) -> AsyncGenerator[Batch, None]:
    keys = key_batches(file)  # a bad input type fails here, at once

    async def encoded() -> AsyncGenerator[Batch, None]:
        try:
            async for batch in keys:
                yield _encoded(batch)
        finally:
            await keys.aclose()

    return encoded()


async def prepare_files(file: ImportFile) -> list[CsvFile]:
    """Every key of ``file`` read, checked and spooled: the CSV files of an import, each
    within LaunchDarkly's per-file limits, in order. The caller closes them.

    Raises:
        ValueError: a bad key (with where it is), a line over 40 MB, or no keys at all.
        TypeError: an unsupported input type, or a key that is not ``str``.
        OSError: the file cannot be read.
    """
    files: list[CsvFile] = []
    batches = _batches(file)
    try:
        async for csv_file in _spooled(batches):
            files.append(csv_file)
        if not files:
            raise ValueError("no keys to import")
    except BaseException:
        for csv_file in files:
            csv_file.close()
        raise
    finally:
        await batches.aclose()
    return files


async def open_csv(file: ImportFile) -> CsvFile:
    """One uploadable CSV from any :data:`ImportFile`, every key checked.

    Raises:
        ValueError: no keys, a bad key, or more than one file's worth (1,000,000 keys or
            40 MB: ``import_big_segment`` splits such inputs over several uploads).
        TypeError: an unsupported input type.
    """
    batches = _batches(file)
    files = _spooled(batches)
    try:
        first = await anext(files, None)
        if first is None:
            raise ValueError("no keys to import")
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
        await batches.aclose()


class _CsvPayload(aiohttp.payload.Payload):
    """The file part of an import, streamed. Its size is known, so the whole upload
    has a ``Content-Length`` (some gateways refuse chunked uploads)."""

    def __init__(self, csv_file: CsvFile) -> None:
        super().__init__(csv_file, content_type="text/csv", filename="keys.csv")
        self._size = csv_file.size
        self._csv = csv_file

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an import file is streamed, never decoded whole")

    async def write(self, writer: AbstractStreamWriter) -> None:
        async for chunk in self._csv.chunks():
            await writer.write(chunk)


def multipart_body(
    csv_file: CsvFile, mode: str, wait_on_approvals: bool | None
) -> Callable[[], aiohttp.FormData]:
    """A factory of fresh multipart bodies (one per attempt) for an import."""

    def build() -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field("file", _CsvPayload(csv_file), filename="keys.csv", content_type="text/csv")
        form.add_field("mode", mode)
        if wait_on_approvals is not None:
            form.add_field("waitOnApprovals", "true" if wait_on_approvals else "false")
        return form

    return build
