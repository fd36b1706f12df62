"""An export's file: to a file that appears only once whole, or read back key by key;
and exports in one call (create, wait, then one of those)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

from ._clock import Clock
from ._exchange import Request
from ._sinks import FileSink, SpoolSink
from ._transport import DOWNLOAD_ROUTE, Transport
from .config import RetryPolicy, Timeout
from .errors import DecodeError
from .jobs import export_file_link
from .models import Export

__all__ = ["download_export", "export_keys", "finished_export", "keys_of_new_export"]

CreateExport = Callable[[], Awaitable[str]]
"""Starts an export; returns its id."""
WaitForExport = Callable[[str, "float | None"], Awaitable[Export]]
"""Waits (at most the given seconds) for the export of that id to finish."""

_KEYS_PER_READ = 10_000


def _request(export: Export) -> tuple[Request, int | None]:
    """The download of ``export``'s file, and the size it announced.

    The link's query (a pre-signed URL's signature) travels apart from its path, so that
    messages and logs, which name the path, never show it.
    """
    href = export_file_link(export)
    link, _, query = href.partition("?")
    link = link.partition("#")[0]
    query = query.partition("#")[0]
    expected = export.size_bytes if export.size_bytes >= 0 else None
    return Request("GET", link, DOWNLOAD_ROUTE, query=query), expected


async def download_export(
    transport: Transport,
    export: Export,
    destination: str | os.PathLike[str],
    *,
    retry: RetryPolicy,
    timeout: Timeout,
) -> Path:
    """Download ``export``'s CSV to ``destination``, renamed into place only once whole."""
    request, expected = _request(export)
    sink = FileSink(destination)  # fails at once for a missing folder, before any request
    try:
        await transport.download(
            request, sink, expected_size=expected, retry=retry, timeout=timeout
        )
        return await asyncio.to_thread(sink.commit)
    except BaseException:
        sink.discard()
        raise


async def export_keys(
    transport: Transport, export: Export, *, retry: RetryPolicy, timeout: Timeout
) -> AsyncGenerator[str, None]:
    """The first column of ``export``'s CSV, key by key.

    The file is downloaded whole first (to memory, then disk past 8 MB), so that no
    answer stays open while the caller works through the keys.

    Raises:
        DecodeError: the file is not UTF-8 CSV.
    """
    request, expected = _request(export)
    sink = SpoolSink()
    try:
        await transport.download(
            request, sink, expected_size=expected, retry=retry, timeout=timeout
        )
        text = io.TextIOWrapper(sink.reader(), encoding="utf-8", newline="")
        rows = csv.reader(text)
        while keys := await asyncio.to_thread(_read_keys, rows, request):
            for key in keys:
                yield key
    finally:
        sink.handle.close()


def _read_keys(rows: Iterator[list[str]], request: Request) -> list[str]:
    try:
        return [row[0] for row in itertools.islice(rows, _KEYS_PER_READ) if row and row[0]]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DecodeError(
            f"the export file is not UTF-8 CSV ({exc})", method="GET", path=request.path
        ) from None


async def finished_export(
    create: CreateExport, wait: WaitForExport, timeout: float | None, clock: Clock
) -> Export:
    """A new export, once finished: created, then waited for until ``timeout`` seconds
    after the start (its creation included)."""
    deadline = None if timeout is None else clock.monotonic() + timeout
    export_id = await create()
    left = None if deadline is None else max(0.001, deadline - clock.monotonic())
    return await wait(export_id, left)


async def keys_of_new_export(
    finish: Callable[[], Awaitable[Export]],
    keys_of: Callable[[Export], AsyncGenerator[str, None]],
) -> AsyncIterator[str]:
    """The keys of an export made on first iteration; closing the iteration at any point
    closes the download too."""
    export = await finish()
    async with contextlib.aclosing(keys_of(export)) as keys:
        async for key in keys:
            yield key
