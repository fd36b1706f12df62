"""Which environments a command works on, and running its work on each of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ld_segments_async import SegmentsClient, fan_out

from . import UsageError
from .output import Output

__all__ = ["each_environment", "environments"]


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
) -> int:
    """Run ``work`` for every environment; summarise; 1 if any failed."""
    with out.progress(len(envs), what) as bar:

        async def one(env: str) -> str:
            try:
                return await work(env)
            finally:
                bar.update()

        outcomes = await fan_out(envs, one, concurrency=concurrency)
    return out.summary(dict(zip(envs, outcomes, strict=True)))
