"""The command line's exit codes: one table, kept by every command."""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "OUTPUT_CLOSED",
    "USAGE",
    "UsageError",
    "exit_code_help",
]

OK = 0
FAILED = 1
USAGE = 2
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
OUTPUT_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for `seq 1e9 | head -1`

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "success (also: a delete declined at the prompt)"),
    (FAILED, "some environments failed (each is listed on stderr), or a request failed"),
    (USAGE, "usage error: a bad option, value or file; nothing was sent"),
    (INTERRUPTED, "interrupted (Ctrl-C); work in flight is reported, with full job ids"),
    (OUTPUT_CLOSED, "stdout closed early (`| head`): writes still finished, output stopped"),
)
"""Every exit code and what it means; the README's table is checked against it."""


class UsageError(Exception):
    """A mistake in the command line, found before anything is sent: exit code 2."""


def exit_code_help() -> str:
    """The table of exit codes, for ``--help``."""
    return "exit codes:\n" + "".join(f"  {code:<4} {meaning}\n" for code, meaning in EXIT_CODES)
