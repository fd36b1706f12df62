"""``ld-segments demo``: the command line's own commands on an embedded fake LaunchDarkly.

Ten environments; a fan-out listing; a copy of production's segments everywhere, run
twice (the second run changes nothing); 100,000 keys imported into a big segment and
exported back; and an error, shown the way every error is. Each step shows its command
as you would type it with ``LD_BASE_URL`` set to a fake (``ld-segments fake``).
"""

from __future__ import annotations

import shlex
import tempfile
import time
from pathlib import Path

from ld_segments_async.testing import FakeLaunchDarkly

from .fake import NAMED_ENVIRONMENTS, seed
from .output import Output
from .parser import DEFAULT_PROJECT

__all__ = ["tour"]

PROJECT = DEFAULT_PROJECT
ENVIRONMENTS = [
    *NAMED_ENVIRONMENTS,
    "eu-west",
    "eu-central",
    "us-east",
    "us-west",
    "ap-south",
    "ap-east",
]
KEYS = 100_000


async def tour(out: Output) -> int:
    """Run the tour; 0 unless a step that must succeed did not."""
    from .commands import run
    from .parser import build_parser

    parser = build_parser()
    started = time.perf_counter()
    async with FakeLaunchDarkly(projects={PROJECT: ENVIRONMENTS}) as fake:
        seed(fake, PROJECT, ENVIRONMENTS)

        async def step(title: str, command: str, *argv: str, expect: int = 0) -> None:
            typed = [command, "-p", PROJECT, *argv]
            out.line()
            out.line(f"== {title}")
            out.line(f"$ ld-segments {shlex.join(typed)}")
            args = parser.parse_args([command, "--base-url", fake.url, *typed[1:]])
            args.quiet = out.quiet
            code = await run(args, out, api_key="demo-token")
            if code != expect:
                raise RuntimeError(f"the demo step {title!r} exited {code}")

        out.line(
            f"A fake LaunchDarkly with {len(ENVIRONMENTS)} environments is listening on {fake.url}."
        )
        await step("list every segment of every environment, 8 at a time", "list", "--all-envs")
        await step(
            "what copying production everywhere would change",
            "copy",
            "--from",
            "production",
            "--all-envs",
            "--dry-run",
        )
        await step("copy it", "copy", "--from", "production", "--all-envs")
        writes = sum(fake.side_effects.values())
        await step(
            "copy again: nothing left to change", "copy", "--from", "production", "--all-envs"
        )
        out.line(f"(writes by the second copy: {sum(fake.side_effects.values()) - writes})")

        with tempfile.TemporaryDirectory() as folder:
            keys = Path(folder) / "customers.csv"
            keys.write_text("".join(f"customer-{n:06d}\n" for n in range(KEYS)))
            await step(
                f"import {KEYS:,} keys into a big segment",
                "import",
                "-e",
                "production",
                "customers",
                "--file",
                str(keys),
                "--mode",
                "replace",
                "--poll",
                "0.1",
            )
            await step(
                "export them back, one file per environment",
                "export",
                "-e",
                "production",
                "-e",
                "staging",
                "customers",
                "--out",
                folder,
                "--poll",
                "0.1",
            )
            exported = (Path(folder) / "production-customers.csv").read_text().split()
            out.line(f"(production-customers.csv holds {len(exported):,} keys)")

        await step(
            "an error, as every error is shown: one line, status, code and message",
            "get",
            "-e",
            "production",
            "-e",
            "staging",
            "no-such-segment",
            expect=1,
        )
    out.line()
    out.line(
        f"Done in {time.perf_counter() - started:.1f}s: {sum(fake.requests.values())} requests"
        f" to the fake, {sum(fake.side_effects.values())} writes."
    )
    out.line("Try them yourself: `ld-segments fake` serves these names until Ctrl-C.")
    return 0
