"""``ld-segments fake``: a fake LaunchDarkly seeded with the README's names.

Project ``proj`` (or ``--project``/``LD_PROJECT``), environments ``production``,
``staging``, ``qa``, ``dev`` (then ``env-5``... with ``--environments``), segments
``beta-users``, ``internal-staff`` and ``vip`` in production, and the big segment
``customers`` in every environment: every example of the README runs on it as written.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex

from ld_segments_async.testing import FakeLaunchDarkly

from .exits import UsageError
from .output import Output

__all__ = ["NAMED_ENVIRONMENTS", "environment_names", "seed", "serve"]

NAMED_ENVIRONMENTS = ("production", "staging", "qa", "dev")


def environment_names(count: int) -> list[str]:
    """``count`` environment keys: the named ones first, then ``env-5``, ``env-6``..."""
    extra = [f"env-{n}" for n in range(len(NAMED_ENVIRONMENTS) + 1, count + 1)]
    return [*NAMED_ENVIRONMENTS[:count], *extra]


def seed(fake: FakeLaunchDarkly, project: str, environments: list[str]) -> None:
    """Segments in the first environment, and a big segment in every one."""
    first = environments[0]
    fake.add_segment(
        project,
        first,
        "beta-users",
        name="Beta users",
        description="Everyone trying new features early",
        tags=["beta", "mobile"],
        included=["ada", "grace"],
        rules=[
            {
                "clauses": [
                    {
                        "attribute": "email",
                        "op": "endsWith",
                        "values": ["@example.edu"],
                        "negate": False,
                    }
                ],
                "description": "Students",
            }
        ],
    )
    fake.add_segment(project, first, "internal-staff", name="Internal staff", tags=["internal"])
    fake.add_segment(
        project,
        first,
        "vip",
        name="VIP accounts",
        includedContexts=[{"contextKind": "org", "values": ["acme", "initech"]}],
    )
    for env in environments:
        fake.add_segment(
            project, env, "customers", name="Customers", unbounded=True, unboundedContextKind="user"
        )


async def serve(args: argparse.Namespace, out: Output) -> int:
    """Serve until interrupted (Ctrl-C)."""
    environments = environment_names(args.environments)
    fake = FakeLaunchDarkly(projects={args.project: environments}, port=args.port)
    try:
        await fake.start()
    except OSError as error:
        await fake.close()
        raise UsageError(
            f"--port {args.port}: {error.strerror or error} (0 picks a free port)"
        ) from None
    try:
        seed(fake, args.project, environments)
        out.line(
            f"FakeLaunchDarkly on {fake.url}: project {args.project}, "
            f"environments {', '.join(environments)}"
        )
        settings = {"LD_BASE_URL": fake.url, "LD_API_KEY": "any-token", "LD_PROJECT": args.project}
        out.line("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items()))
        out.note("paste the export line into another shell; Ctrl-C stops the fake")
        await asyncio.Event().wait()
    finally:
        await fake.close()
    return 0  # pragma: no cover - ends with Ctrl-C
