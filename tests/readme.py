"""The code blocks of README.md, for the tests that run them as written.

The rule: every ```python block runs, and every command of the ```bash block(s) of the
command-line section runs and exits as expected. Nothing is skipped quietly. A block
that truly cannot run (it needs a real LaunchDarkly account, say) says so right above
its fence with a visible marker giving the reason::

    <!-- not run: needs a real LaunchDarkly account -->

A missing feature is never a reason: the test of that block fails until it is built.
A command expected to fail says so in a trailing comment, ``# exits 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
CLI_SECTION = "The command line: `ld-segments`"

_FENCE = re.compile(r"^```(\S*)")
_HEADING = re.compile(r"^#{2,4} (.+)")
_NOT_RUN = re.compile(r"^<!--\s*not run:(.*?)-->\s*$")
_EXITS = re.compile(r"#\s*exits (\d+)\s*$")
_CONTINUED = ("|", "\\", "&&", "||")


@dataclass(frozen=True)
class Block:
    """One fenced code block."""

    language: str
    code: str
    line: int  # of the opening fence, 1-based
    heading: str  # the section it is in
    not_run: str | None  # the reason given by a "not run" marker, if any

    @property
    def name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return f"README.md:{self.line}:{slug}"


@dataclass(frozen=True)
class Command:
    """One shell command of a bash block (continuation lines joined)."""

    text: str
    line: int
    expected: int

    @property
    def name(self) -> str:
        return f"README.md:{self.line}:{self.text[:60]}"


def blocks(path: Path = README) -> list[Block]:
    """Every fenced block of ``path``, in order."""
    found: list[Block] = []
    heading = ""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if match := _HEADING.match(line):
            heading = match[1].strip()
        elif match := _FENCE.match(line):
            start = index
            index += 1
            body: list[str] = []
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            marker = _NOT_RUN.match(lines[start - 1]) if start else None
            reason = marker[1].strip() if marker else None
            found.append(Block(match[1], "\n".join(body) + "\n", start + 1, heading, reason))
        index += 1
    return found


def python_blocks() -> list[Block]:
    return [block for block in blocks() if block.language == "python"]


def cli_commands() -> list[Command]:
    """Every command of the command-line section's bash blocks, in order."""
    commands: list[Command] = []
    for block in blocks():
        if block.language != "bash" or block.heading != CLI_SECTION or block.not_run:
            continue
        pending: list[str] = []
        start = 0
        for offset, line in enumerate(block.code.splitlines(), start=block.line + 1):
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if not pending:
                start = offset
            pending.append(line)
            if not stripped.endswith(_CONTINUED):
                text = "\n".join(pending)
                exits = _EXITS.search(text)
                commands.append(Command(text, start, int(exits[1]) if exits else 0))
                pending = []
        assert not pending, f"README.md:{start}: a command ends in a continuation"
    return commands


def section(heading: str, path: Path = README) -> str:
    """The text of the section ``heading`` (up to the next heading of any level)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    following = re.compile(r"^#{2,4} ", re.M).search(text, start + 4)
    return text[start : following.start() if following else len(text)]
