"""The difference between the keys a segment should hold and the keys it holds, in
flat memory whatever their number.

Each side's keys are spread over :data:`PARTITIONS` partitions by their hash (Python's
``str`` hash: it differs between processes, but both sides are spread in this one, which
is all a comparison needs). Keys wait in memory until a side holds :data:`FLUSH_AT` of
them, then go to that side's anonymous temporary file as msgpack blocks. The comparison
then takes one partition at a time, both of its sides as sets: memory holds the write
buffers and one partition pair, about ``2 x keys / PARTITIONS`` keys (40,000 per side
for 10,000,000). Hashing is linear where a sort is not, and every step but the spread
runs in C (set algebra, msgpack); ``benchmarks/bench_sync.py`` measures it.

Below :data:`FLUSH_AT` keys a side never touches the disk.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AbstractContextManager
from typing import IO

import msgspec

from ld_segments_async._upload import ImportFile, key_batches

__all__ = ["FLUSH_AT", "PARTITIONS", "KeyDiff", "KeyList", "PartitionedKeys"]

PARTITIONS = 256
FLUSH_AT = 200_000
"""Keys a side holds in memory before it writes them out (about 15 MB of ``str``)."""

_READ_BATCH = 16_384
_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(list[str]).decode

Where = tuple[int, int]
"""Offset and size of one block in a :class:`_Blocks` file."""


class _Blocks:
    """Lists of keys in one anonymous temporary file (created on the first write), read
    back by position. Blocking: called off the event loop."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def write(self, keys: list[str]) -> Where:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        data = _ENCODE(keys)
        offset = self._file.seek(0, 2)
        self._file.write(data)
        return offset, len(data)

    def read(self, where: Where) -> list[str]:
        assert self._file is not None
        offset, size = where
        self._file.seek(offset)
        return _DECODE(self._file.read(size))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class PartitionedKeys:
    """One side's keys (repeats and all), spread over partitions by hash."""

    def __init__(self, partitions: int = PARTITIONS) -> None:
        self._buffers: list[list[str]] = [[] for _ in range(partitions)]
        self._blocks = _Blocks()
        self._written: list[list[Where]] = [[] for _ in range(partitions)]
        self._buffered = 0
        self.count = 0
        """Keys added, repeats included."""

    @property
    def partitions(self) -> int:
        return len(self._buffers)

    @property
    def spilled(self) -> bool:
        """Whether some keys went to disk."""
        return any(self._written)

    async def add(self, keys: list[str]) -> None:
        buffers, partitions = self._buffers, len(self._buffers)
        for key in keys:
            buffers[hash(key) % partitions].append(key)
        self.count += len(keys)
        self._buffered += len(keys)
        if self._buffered >= FLUSH_AT:
            await asyncio.to_thread(self.flush)

    def flush(self) -> None:
        """Write the buffered keys out (blocking)."""
        for buffer, written in zip(self._buffers, self._written, strict=True):
            if buffer:
                written.append(self._blocks.write(buffer))
                buffer.clear()
        self._buffered = 0

    def partition(self, index: int) -> list[str]:
        """Every key of one partition (blocking)."""
        keys: list[str] = []
        for where in self._written[index]:
            keys += self._blocks.read(where)
        keys += self._buffers[index]
        return keys

    def close(self) -> None:
        self._blocks.close()


class KeyList:
    """Keys in the order added, spooled to disk past :data:`FLUSH_AT`."""

    def __init__(self) -> None:
        self._buffer: list[str] = []
        self._blocks = _Blocks()
        self._written: list[Where] = []
        self.count = 0

    def extend(self, keys: list[str] | set[str]) -> None:
        """Add keys (blocking: it may write)."""
        self._buffer += keys
        self.count += len(keys)
        if len(self._buffer) >= FLUSH_AT:
            self._written.append(self._blocks.write(self._buffer))
            self._buffer = []

    async def chunks(self) -> AsyncIterator[list[str]]:
        """The keys, a block at a time, read off the event loop."""
        for where in self._written:
            yield await asyncio.to_thread(self._blocks.read, where)
        if self._buffer:
            yield list(self._buffer)

    def close(self) -> None:
        self._blocks.close()


class KeyDiff(AbstractContextManager["KeyDiff"]):
    """The keys wanted, the keys present, and once :meth:`compare` has run, the
    difference: ``added`` (wanted, not present), ``removed`` (present, not wanted) and
    ``unchanged`` (both). Counts are of distinct keys. Close it to free its files."""

    def __init__(self) -> None:
        self.wanted = PartitionedKeys()
        self.present = PartitionedKeys()
        self.added = KeyList()
        self.removed = KeyList()
        self.unchanged = 0
        self.distinct_wanted = 0

    async def read_wanted(self, keys: ImportFile) -> None:
        """Every key of ``keys``, checked as an import checks it.

        Raises:
            ValueError, TypeError: a bad key or input (with where it is).
        """
        batches = key_batches(keys)
        try:
            async for batch in batches:
                await self.wanted.add(batch)
        finally:
            await batches.aclose()
        if self.wanted.spilled:
            await asyncio.to_thread(self.wanted.flush)

    async def read_present(self, keys: AsyncIterable[str]) -> None:
        """The segment's members, as LaunchDarkly lists them."""
        batch: list[str] = []
        async for key in keys:
            batch.append(key)
            if len(batch) == _READ_BATCH:
                await self.present.add(batch)
                batch = []
        await self.present.add(batch)
        if self.present.spilled:
            await asyncio.to_thread(self.present.flush)

    def _steps(self) -> list[range]:
        """The partitions, in steps off the event loop: one at a time once some are on
        disk, all at once while everything is in memory (and small)."""
        partitions = range(self.wanted.partitions)
        if self.wanted.spilled or self.present.spilled:
            return [range(index, index + 1) for index in partitions]
        return [partitions]

    async def compare(self) -> None:
        """Fill in the difference, a partition at a time."""
        for step in self._steps():
            await asyncio.to_thread(self._compare, step)

    def _compare(self, indexes: range) -> None:
        for index in indexes:
            wanted = set(self.wanted.partition(index))
            present = set(self.present.partition(index))
            added = wanted - present
            self.added.extend(added)
            self.removed.extend(present - wanted)
            self.unchanged += len(wanted) - len(added)
            self.distinct_wanted += len(wanted)

    async def distinct_wanted_keys(self) -> AsyncIterator[str]:
        """Every key wanted, once, partition by partition."""
        for step in self._steps():
            keys = await asyncio.to_thread(self._distinct_wanted, step)
            for key in keys:
                yield key

    def _distinct_wanted(self, indexes: range) -> list[str]:
        return [key for index in indexes for key in dict.fromkeys(self.wanted.partition(index))]

    def close(self) -> None:
        for part in (self.wanted, self.present, self.added, self.removed):
            part.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
