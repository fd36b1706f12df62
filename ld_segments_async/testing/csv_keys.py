"""Big-segment key files: no header row, one key per line, the key in the first column.

Uploads are parsed incrementally, chunk by chunk, so a 40 MB file is never held whole;
lines are split in C (``bytes.split``) and only quoted keys take the slow path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .replies import bad_request

_BOM = b"\xef\xbb\xbf"
_SPECIAL = re.compile(r'[,"\r\n]')
_QUOTE_OR_CR = re.compile(r'[,"\r]')
MAX_LINE = 64 * 1024


class KeyParser:
    """Feed bytes, get the keys of the complete lines so far (RFC 4180 first column).

    Blank lines are skipped; a UTF-8 byte-order mark before the first key is dropped.
    """

    def __init__(self) -> None:
        # The unfinished last line, in pieces: joining only at a line break keeps a long
        # line from being copied once per chunk.
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._started = False

    def feed(self, data: bytes) -> list[str]:
        """Keys of the lines that ``data`` completes.

        Raises:
            ApiError: 400 when a key is not UTF-8 or a line is longer than 64 KiB.
        """
        if not self._started and data:
            self._started = True
            data = data.removeprefix(_BOM)
        if b"\n" not in data:
            self._hold(data)
            return []
        lines = data.split(b"\n")
        if self._pending:
            lines[0] = b"".join(self._pending) + lines[0]
            self._pending, self._pending_size = [], 0
        tail = lines.pop()
        keys, open_quote = _parse_lines(lines)
        if open_quote is not None:
            # A quoted key holds a newline: wait for the rest of it.
            self._hold(open_quote + b"\n")
        self._hold(tail)
        return keys

    def _hold(self, piece: bytes) -> None:
        self._pending.append(piece)
        self._pending_size += len(piece)
        if self._pending_size > MAX_LINE:
            raise bad_request("A line of the CSV file is longer than 64 KiB")

    def close(self) -> list[str]:
        """Keys of the last line, which has no line break.

        Raises:
            ApiError: 400 when a quoted key never closes.
        """
        tail = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        keys, open_quote = _parse_lines([tail])
        if open_quote is not None:
            raise bad_request("The CSV file ends inside a quoted key")
        return keys


def _parse_lines(lines: list[bytes]) -> tuple[list[str], bytes | None]:
    keys: list[str] = []
    pending: bytes | None = None
    for raw in lines:
        line = raw if pending is None else pending + b"\n" + raw
        pending = None
        if line.startswith(b'"'):
            field = _quoted_field(line)
            if field is None:
                pending = line
                continue
        else:
            field = line.split(b",", 1)[0].removesuffix(b"\r")
            if not field:
                continue
        try:
            keys.append(field.decode())
        except UnicodeDecodeError:
            raise bad_request("The CSV file is not UTF-8") from None
    return keys, pending


def _quoted_field(line: bytes) -> bytes | None:
    """The unquoted first field of ``line``, or ``None`` if its quote is still open."""
    parts: list[bytes] = []
    start = 1
    while True:
        end = line.find(b'"', start)
        if end < 0:
            return None
        if line[end + 1 : end + 2] == b'"':
            parts.append(line[start : end + 1])
            start = end + 2
            continue
        parts.append(line[start:end])
        return b"".join(parts)


def encode_line(key: str) -> bytes:
    """One CSV line for ``key``, quoted only when it has to be."""
    if _SPECIAL.search(key):
        key = '"' + key.replace('"', '""') + '"'
    return (key + "\n").encode()


def csv_chunks(keys: Iterable[str], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """The CSV file of ``keys`` in chunks of about ``chunk_size`` bytes.

    Batches that need no quoting are joined and encoded in one go.
    """
    batch: list[str] = []
    size = 0
    for key in keys:
        batch.append(key)
        size += len(key) + 1
        if size >= chunk_size:
            yield _encode_batch(batch)
            batch, size = [], 0
    if batch:
        yield _encode_batch(batch)


def _encode_batch(batch: list[str]) -> bytes:
    text = "\n".join(batch) + "\n"
    # One line break per key means no key holds one; then only , " and CR need quoting.
    if text.count("\n") == len(batch) and not _QUOTE_OR_CR.search(text):
        return text.encode()
    return b"".join(map(encode_line, batch))
