"""Which environments a command works on, and running its work on each of them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from ld_segments_async import SegmentsClient, fan_out

from .exits import FAILED, OK, UsageError
from .output import Output

__all__ = ["each_environment", "environments", "natural"]

STOPPED = "stopped: nobody reads the output"


async def environments(ld: SegmentsClient, project: str, listed: list[str] | None) -> list[str]:
    """The environments ``listed`` (in order, without repeats), or, if none are, every
    environment of ``project``."""
    if listed:
        return list(dict.fromkeys(listed))
    found = [env.key async for env in ld.iter_environments(project)]
    if not found:
        raise UsageError(f"project {project!r} has no environments")
    return found


async def each_environment(
    envs: list[str],
    work: Callable[[str], Awaitable[str]],
    out: Output,
    what: str,
    concurrency: int,
    *,
    read_only: bool = False,
) -> int:
    """Run ``work`` for every environment; summarise; the exit code (1 if any failed).

    A ``read_only`` command stops starting environments once nobody reads its output;
    a command that writes always finishes: a reader going away never leaves a copy or
    an import half-done.
    """
    with out.progress(len(envs), what) as bar:

        async def one(env: str) -> str:
            if read_only and out.stdout_gone:
                return STOPPED
            try:
                return await work(env)
            finally:
                bar.update()

        outcomes = await fan_out(envs, one, concurrency=concurrency)
    failed = out.summary(dict(zip(envs, outcomes, strict=True)))
    return FAILED if failed else OK


def natural(text: str) -> list[tuple[int, str]]:
    """A sort key that puts ``env-5`` before ``env-10``."""
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)]
