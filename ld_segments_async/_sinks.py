"""Where downloads go: a file that appears only once whole, or a spool to read back."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import IO, Any

__all__ = ["FileSink", "SpoolSink", "check_destination"]


def check_destination(destination: str | os.PathLike[str]) -> Path:
    """``destination`` as a path a download can be renamed to.

    Raises:
        FileNotFoundError: its folder does not exist.
        IsADirectoryError: it is a folder.
    """
    path = Path(destination)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {str(folder)!r} to download {path} in")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a file name")
    return path


class FileSink:
    """A download into a temporary file beside ``destination``, renamed into place only
    by :meth:`commit`: an interrupted, cut or refused download never looks finished.

    Raises:
        FileNotFoundError: the destination's folder does not exist (said before
            anything is sent).
        IsADirectoryError: the destination is a folder.
    """

    def __init__(self, destination: str | os.PathLike[str]) -> None:
        self.destination = check_destination(destination)
        self.handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed later
            dir=self.destination.parent,
            prefix=f".{self.destination.name}.",
            suffix=".part",
            delete=False,
        )

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)

    def restart(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def commit(self) -> Path:
        """Make the download the destination (blocking: call it off the event loop)."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.handle.name, self.destination)
        return self.destination

    def discard(self) -> None:
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.handle.name)


class SpoolSink:
    """A download kept in memory up to 8 MB, then in an anonymous temporary file."""

    def __init__(self) -> None:
        self.handle: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)

    def restart(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def reader(self) -> io.BufferedReader:
        """What was written, from the start, as a file :class:`io.TextIOWrapper` takes
        (Python 3.10's spooled file has no ``readable()``)."""
        self.handle.seek(0)
        return io.BufferedReader(_Reading(self.handle))


class _Reading(io.RawIOBase):
    """A raw reader over any file's ``read``."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
