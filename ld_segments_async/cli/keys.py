"""Reading the keys of ``import --file``: the first column of a CSV, checked up front.

Rules (also in ``import --help`` and the README): the key is the first column of each
line, read as CSV (RFC 4180), so a key holding a comma or a quote must be quoted
(``"a,b"``); other columns are ignored; blank lines are skipped; a UTF-8 byte-order
mark is dropped; ``--skip-header`` skips the first line. What would surprise (a first
line that looks like a column name, lines with several columns) is said before
anything is sent. The keys are written to a clean CSV (one quoted-as-needed key per
line, as LaunchDarkly wants it) that every environment's upload reads.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import IO

from attrs import frozen

from .exits import UsageError

__all__ = ["KeyFile", "read_keys"]

# First cells that are column names far more often than context keys.
_HEADER_WORDS = frozenset(
    {"id", "ids", "key", "keys", "user", "users", "userid", "user_id", "userkey", "user_key"}
    | {"context", "contextkey", "context_key", "email", "member", "members", "name"}
)


@frozen
class KeyFile:
    """The keys to import, as a clean CSV, and what reading them found."""

    path: Path
    count: int
    notes: tuple[str, ...]


def _source(name: str) -> IO[str]:
    if name == "-":
        return sys.stdin
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"--file {name}: is a directory, not a file of keys")
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise UsageError(f"--file {name}: no such file") from None
    except OSError as error:
        raise UsageError(f"--file {name}: {error.strerror or error}") from None


def read_keys(name: str, folder: Path, *, skip_header: bool, allow_empty: bool = False) -> KeyFile:
    """Read the keys of ``name`` (a path, or ``-`` for stdin) into a CSV in ``folder``.

    Raises:
        UsageError: no such file, not UTF-8, a key with a line break, or no keys (unless
            ``allow_empty``).
    """
    shown = "stdin" if name == "-" else name
    clean = folder / "keys.csv"
    source = _source(name)
    count = 0
    first: str | None = None
    wide: list[int] = []
    first_wide = ""
    try:
        with clean.open("w", encoding="utf-8", newline="") as sink:
            writer = csv.writer(sink, lineterminator="\n")
            rows = csv.reader(source)
            if skip_header:
                next(rows, None)
            for row in rows:
                if not row or not row[0].strip():
                    continue
                key = row[0] if count else row[0].removeprefix("\ufeff")  # stdin's BOM
                if "\n" in key or "\r" in key:
                    raise UsageError(f"{shown}, line {rows.line_num}: a key holds a line break")
                if len(row) > 1 and any(cell.strip() for cell in row[1:]):
                    if not wide:
                        first_wide = ",".join(row)
                    wide.append(rows.line_num)
                if first is None:
                    first = key
                writer.writerow([key])
                count += 1
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: not UTF-8 text") from None
    except csv.Error as error:
        raise UsageError(f"{shown}: not a CSV file ({error})") from None
    finally:
        if source is not sys.stdin:
            source.close()
    if not count and not allow_empty:
        raise UsageError(f"{shown}: no keys to import")
    notes = []
    if first is not None and not skip_header and first.strip().lower() in _HEADER_WORDS:
        notes.append(
            f"note: {shown}: the first line {first!r} looks like a column name; it is "
            "imported as a key (pass --skip-header to skip it)"
        )
    if wide:
        notes.append(
            f"note: {shown}: {len(wide)} line(s) have more than one column (first: line "
            f"{wide[0]}, {first_wide!r}): only the first column is a key; quote a key that "
            'holds a comma ("a,b")'
        )
    return KeyFile(clean, count, tuple(notes))
