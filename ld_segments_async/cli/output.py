"""What the command line prints: data on stdout, progress and summaries on stderr.

Every text from the server goes through :func:`~.text.printable` (or
:func:`~.text.safe_json`) on its way out. A reader that goes away (``| head``) silences
the stream it read, and nothing else: the work goes on, and the exit code says so.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Protocol

from .exits import OK, OUTPUT_CLOSED
from .text import printable, safe_json

__all__ = ["Output", "Progress", "describe", "silence"]


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def set_postfix_str(self, text: str) -> object: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


class _Stream:
    """stdout or stderr. A closed pipe (EPIPE) makes it drop what follows instead of
    failing: whoever closed it has read what they wanted."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.stream.write(text)
        except BrokenPipeError:
            self._go()

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._go()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def _go(self) -> None:
        self.gone = True
        silence(self.stream)


def silence(stream: IO[str]) -> None:
    """Point ``stream``'s descriptor at /dev/null: what is still buffered is flushed
    again when the interpreter exits, and Python would report a BrokenPipeError."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return  # not a real file (a test's StringIO): nothing to flush at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


class Output:
    """The command line's voice.

    Data goes to stdout (a table, JSON or CSV). Progress bars, notes and the
    per-environment summary go to stderr; bars only when both streams are terminals
    and ``--quiet`` was not given, so piped output stays clean. ``--debug`` adds the
    traceback of every error.
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        debug: bool = False,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
    ) -> None:
        self._out = _Stream(out or sys.stdout)
        self._err = _Stream(err or sys.stderr)
        self.quiet = quiet
        self.debug = debug
        self.interactive = not quiet and self._out.isatty() and self._err.isatty()

    @property
    def stdout_gone(self) -> bool:
        """True once the reader of stdout has gone away."""
        return self._out.gone

    # -- data ----------------------------------------------------------------

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cells = [[printable(str(cell)) for cell in row] for row in [header, *rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        for index, row in enumerate(cells):
            padded = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self._out.write(padded.rstrip() + "\n")
            if index == 0:
                self._out.write("  ".join("-" * width for width in widths) + "\n")
        self._out.flush()

    def json_lines(self, records: Iterable[Any]) -> None:
        for record in records:
            self._out.write(safe_json(json.dumps(record, ensure_ascii=False)) + "\n")
        self._out.flush()

    def json(self, record: Any) -> None:
        self._out.write(safe_json(json.dumps(record, ensure_ascii=False, indent=2)) + "\n")
        self._out.flush()

    def csv(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        writer = csv.writer(self._out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([printable(str(cell)) for cell in row] for row in rows)
        self._out.flush()

    def line(self, text: str = "") -> None:
        self._out.write(printable(text) + "\n")
        self._out.flush()

    # -- people --------------------------------------------------------------

    def note(self, text: str) -> None:
        """A remark about work going well: left out with ``--quiet``."""
        if not self.quiet:
            self.report(text)

    def report(self, text: str) -> None:
        """Something the operator must see, ``--quiet`` or not."""
        self._err.write(printable(text) + "\n")
        self._err.flush()

    def prompt(self, question: str) -> None:
        self._err.write(printable(question))
        self._err.flush()

    def error(self, text: str) -> None:
        self.report(f"error: {text}")

    def failure(self, error: BaseException) -> None:
        """An error that stopped the command: one line, and its traceback with --debug."""
        self._traceback(error)
        self.error(describe(error))

    def _traceback(self, error: BaseException) -> None:
        if self.debug:
            for chunk in traceback.format_exception(type(error), error, error.__traceback__):
                for line in chunk.rstrip("\n").split("\n"):
                    self._err.write(printable(line) + "\n")
            self._err.flush()

    @contextmanager
    def progress(
        self, total: int | None, description: str, unit: str = "env"
    ) -> Iterator[Progress]:
        """A progress bar on stderr (tqdm), or a silent stand-in."""
        if not self.interactive:
            yield _Silent()
            return
        from tqdm import tqdm  # only the commands that show progress pay its import

        with tqdm(
            total=total, desc=description, unit=unit, file=self._err.stream, leave=False
        ) as bar:
            yield bar

    def summary(self, outcomes: dict[str, str | BaseException]) -> list[str]:
        """One line per environment (failures even with ``--quiet``, with their
        tracebacks under ``--debug``); the environments that failed."""
        failed = [env for env, outcome in outcomes.items() if isinstance(outcome, BaseException)]
        if not self.quiet or failed:
            for env, outcome in outcomes.items():
                if isinstance(outcome, BaseException):
                    self._traceback(outcome)
                    self.report(f"  {env}: FAILED - {describe(outcome)}")
                else:
                    self.report(f"  {env}: ok - {outcome}")
        if failed:
            self.report(
                f"{len(failed)} of {len(outcomes)} environment(s) failed: {', '.join(failed)}"
            )
        return failed

    def finish(self, code: int) -> int:
        """Flush both streams; the exit code, which says when stdout was closed early."""
        self._out.flush()
        self._err.flush()
        return OUTPUT_CLOSED if code == OK and self._out.gone else code


def describe(error: BaseException) -> str:
    """The one line a person reads about ``error``."""
    return str(error) or type(error).__name__
