"""Fault soak: thousands of mixed calls while the fake fails a fifth of its requests.

Every idempotent call must succeed in the end, every write must be applied exactly once
or reported as failed with its reason (the fake's state is the judge), and nothing may
be left behind: no connection held, no unclosed session (ResourceWarning is an error
in this suite), no task whose exception nobody retrieved.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from soak_workload import soak


async def test_soak_under_faults() -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    tasks_before = asyncio.all_tasks()

    summary = await soak(2500, concurrency=32, seed=11)

    gc.collect()  # finalise anything orphaned, so that its complaints surface now
    leftovers = asyncio.all_tasks() - tasks_before
    # The fake's connection handlers wind down over a few turns of the loop after it
    # closed; anything still pending after that was leaked.
    if leftovers:
        await asyncio.wait(leftovers, timeout=2)
    assert unhandled == [], unhandled[:3]
    assert [task for task in leftovers if not task.done()] == []
    assert summary["operations"] == 2500
    assert summary["faults injected"] > 400
    assert summary["in flight at the fake afterwards"] == 0
