"""What the command line prints: data on stdout, progress and summaries on stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Protocol

__all__ = ["Output", "Progress"]


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def set_postfix_str(self, text: str) -> object: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


class Output:
    """The command line's voice.

    Data goes to stdout (a table, JSON lines or CSV). Progress bars, notes and the
    per-environment summary go to stderr; bars only when both streams are terminals
    and ``--quiet`` was not given, so piped output stays clean.
    """

    def __init__(
        self, *, quiet: bool = False, out: IO[str] | None = None, err: IO[str] | None = None
    ):
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.quiet = quiet
        self.interactive = not quiet and self.out.isatty() and self.err.isatty()

    # -- data ----------------------------------------------------------------

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cells = [[str(cell) for cell in row] for row in [header, *rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        for index, row in enumerate(cells):
            self.out.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
                + "\n"
            )
            if index == 0:
                self.out.write("  ".join("-" * width for width in widths) + "\n")

    def json_lines(self, records: Iterable[Any]) -> None:
        for record in records:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def json(self, record: Any) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")

    def csv(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    # -- people --------------------------------------------------------------

    def note(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")

    def error(self, text: str) -> None:
        self.err.write(f"error: {text}\n")

    @contextmanager
    def progress(
        self, total: int | None, description: str, unit: str = "env"
    ) -> Iterator[Progress]:
        """A progress bar on stderr (tqdm), or a silent stand-in."""
        if not self.interactive:
            yield _Silent()
            return
        from tqdm import tqdm  # only the commands that show progress pay its import

        with tqdm(total=total, desc=description, unit=unit, file=self.err, leave=False) as bar:
            yield bar

    def summary(self, outcomes: dict[str, str | BaseException]) -> int:
        """One line per environment; the exit code: 0 if all succeeded, else 1."""
        failed = {env: o for env, o in outcomes.items() if isinstance(o, BaseException)}
        if not self.quiet or failed:
            for env, outcome in outcomes.items():
                mark = "FAILED" if env in failed else "ok"
                self.err.write(f"  {env}: {mark} - {outcome}\n")
        if failed:
            self.err.write(
                f"{len(failed)} of {len(outcomes)} environment(s) failed: {', '.join(failed)}\n"
            )
            return 1
        return 0
