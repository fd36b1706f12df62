"""A mixed workload against a FakeLaunchDarkly that fails a fifth of its requests.

Shared by ``tests/test_soak.py`` (a few thousand calls, in CI) and
``benchmarks/soak.py`` (20,000). Every operation records what the client reported;
:func:`check` then holds the client's reports against the fake's state: every
idempotent call succeeded, and every write was applied exactly once or reported as
failed with its reason.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ld_segments_async import (
    ConflictError,
    LaunchDarklyError,
    PatchOperation,
    RetryPolicy,
    SegmentBody,
    SegmentsClient,
    Timeout,
)
from ld_segments_async.jobs import PollSchedule
from ld_segments_async.testing import FakeLaunchDarkly, Fault, FaultPlan

PROJECT = "soak"
ENV = "production"
FAST_POLL = PollSchedule(first=0.005, cap=0.02)

FAULTS = [
    Fault.status(500),
    Fault.status(502),
    Fault.status(503),
    Fault.status(504),
    Fault.status(500, after=True),
    Fault.status(503, after=True),
    Fault.html(502),
    Fault.drop(),
    Fault.drop(after=True),
    Fault.truncate(),
    Fault.truncate(after=True),
    Fault.slow(0.3),
    Fault.rate_limited(retry_after=None, ratelimit_headers=False),
    Fault.rate_limited(retry_after=None, ratelimit_headers=False),
]
"""What the fake answers a fifth of the time. A 429 with ``Retry-After`` (whole seconds
at the fake) pauses the whole client, so it is injected a few times on purpose
rather than drawn at random."""

POLICY = RetryPolicy(max_attempts=12, base_delay=0.002, max_delay=0.05, total_timeout=60)
TIMEOUT = Timeout(connect=2, read=0.15)


@dataclass
class Ledger:
    """What the client reported, per kind of operation."""

    ok: Counter[str] = field(default_factory=Counter)
    failed: dict[str, list[LaunchDarklyError]] = field(default_factory=dict)
    created: dict[str, bool] = field(default_factory=dict)
    """Segment key -> whether its creation was reported successful."""
    appended: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(segment, tag) appended with a JSON patch -> whether reported successful."""
    unexpected: list[BaseException] = field(default_factory=list)
    operations: int = 0

    def fail(self, kind: str, error: LaunchDarklyError) -> None:
        self.failed.setdefault(kind, []).append(error)


class Soak:
    def __init__(self, fake: FakeLaunchDarkly, client: SegmentsClient, seed: int) -> None:
        self.fake = fake
        self.client = client
        self.random = random.Random(seed)
        self.ledger = Ledger()
        self.serial = 0
        self.importing = asyncio.Lock()
        self.folder = Path(tempfile.mkdtemp(prefix="soak-"))

    def _key(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial:06d}"

    # -- operations: each returns normally; errors are recorded --------------

    async def create(self) -> None:
        key = self._key("seg")
        try:
            await self.client.post_segment(PROJECT, ENV, SegmentBody(key=key, name=key))
        except ConflictError as error:
            self.ledger.unexpected.append(error)  # only a duplicate send can collide
        except LaunchDarklyError as error:
            self.ledger.created[key] = False
            self.ledger.fail("create", error)
        else:
            self.ledger.created[key] = True

    async def append_tag(self) -> None:
        segment, tag = self.random.choice(self.fixed), self._key("tag")
        patch = [PatchOperation(op="add", path="/tags/-", value=tag)]
        try:
            await self.client.patch_segment(PROJECT, ENV, segment, patch)
        except LaunchDarklyError as error:
            self.ledger.appended[segment, tag] = False
            self.ledger.fail("patch", error)
        else:
            self.ledger.appended[segment, tag] = True

    async def read(self) -> None:
        await self.client.get_segment(PROJECT, ENV, self.random.choice(self.fixed))

    async def walk(self) -> None:
        keys = [s.key async for s in self.client.iter_segments(PROJECT, ENV, page_size=25)]
        assert set(self.fixed) <= set(keys)

    async def delete(self) -> None:
        key = self._key("doomed")
        self.fake.add_segment(PROJECT, ENV, key)
        await self.client.delete_segment(PROJECT, ENV, key)
        assert self.fake.segment(PROJECT, ENV, key) is None

    async def import_keys(self) -> None:
        # LaunchDarkly runs one import per environment at a time.
        async with self.importing:
            keys = [f"{self._key('user')}-{n}" for n in range(20)]
            try:
                job = await self.client.import_big_segment(
                    PROJECT, ENV, "big", keys, poll=FAST_POLL
                )
            except LaunchDarklyError as error:
                self.ledger.fail("import", error)
                await self._finish_orphaned_imports()
                return
            assert job.status == "complete"
            assert set(keys) <= self.fake.big_segment_members(PROJECT, ENV, "big")

    async def _finish_orphaned_imports(self) -> None:
        """An import whose creation was reported failed may still have been accepted. The
        fake moves jobs on when they are polled (LaunchDarkly does it on its own), so
        poll such imports to the end, as LaunchDarkly would run them."""
        for import_id, job in list(self.fake.imports.items()):
            if not job.finished:
                await self.client.wait_for_big_segment_import(
                    PROJECT, ENV, "big", import_id, poll=FAST_POLL
                )

    async def export_keys(self) -> None:
        try:
            export_id = await self.client.create_big_segment_export(PROJECT, ENV, "exported")
        except LaunchDarklyError as error:
            self.ledger.fail("export", error)
            return
        export = await self.client.wait_for_big_segment_export(
            PROJECT, ENV, "exported", export_id, poll=FAST_POLL
        )
        path = await self.client.download_big_segment_export(export, self.folder / export_id)
        assert set(path.read_text().split()) == self.exported

    # -- the run -------------------------------------------------------------

    def setup(self) -> None:
        self.fixed = [f"fixed-{n:02d}" for n in range(20)]
        for key in self.fixed:
            self.fake.add_segment(PROJECT, ENV, key, tags=[])
        self.fake.add_segment(PROJECT, ENV, "big", unbounded=True, unboundedContextKind="user")
        self.exported = {f"member-{n}" for n in range(300)}
        self.fake.add_segment(
            PROJECT, ENV, "exported", unbounded=True, included=sorted(self.exported)
        )

    def plan(self, calls: int) -> list[Callable[[], Awaitable[None]]]:
        weights: list[tuple[Callable[[], Awaitable[None]], int]] = [
            (self.read, 40),
            (self.create, 20),
            (self.append_tag, 20),
            (self.delete, 8),
            (self.walk, 6),
            (self.import_keys, 3),
            (self.export_keys, 3),
        ]
        operations, counts = zip(*weights, strict=True)
        return self.random.choices(operations, counts, k=calls)

    async def run(self, calls: int, concurrency: int) -> None:
        self.setup()
        self.fake.faults = FaultPlan(rate=0.2, kinds=FAULTS, seed=self.random.randrange(10**6))
        self.fake.inject(Fault.rate_limited(retry_after=1), times=3)
        queue = iter(self.plan(calls))

        async def worker() -> None:
            for operation in queue:
                try:
                    await operation()
                    self.ledger.ok[operation.__name__] += 1
                except AssertionError:
                    raise
                except Exception as error:  # every surprise is recorded
                    self.ledger.unexpected.append(error)
                self.ledger.operations += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        self.fake.faults = None


def check(soak: Soak) -> dict[str, Any]:
    """Hold the client's reports against the fake's state; return a summary."""
    ledger, fake = soak.ledger, soak.fake
    assert not ledger.unexpected, f"unexpected errors: {ledger.unexpected[:5]}"
    # Every idempotent operation succeeded in the end.
    assert not set(ledger.failed) - {"create", "patch", "import", "export"}
    # Creates: every one reported done exists; none was applied twice (a second POST of
    # the same key would have been a 409, recorded as unexpected above).
    for key, reported in ledger.created.items():
        exists = fake.segment(PROJECT, ENV, key) is not None
        assert exists or not reported, f"{key} reported created but missing"
    # Patches: every tag reported appended is there exactly once; a failed one at most once.
    tags: Counter[tuple[str, str]] = Counter()
    for segment in soak.fixed:
        document = fake.segment(PROJECT, ENV, segment)
        assert document is not None
        tags.update((segment, tag) for tag in document["tags"])
    for appended, reported in ledger.appended.items():
        assert tags[appended] <= 1, f"{appended} applied twice"
        assert tags[appended] == 1 or not reported, f"{appended} reported but missing"
    # Every failure says why: an HTTP status or a transport failure, never a bare error.
    for errors in ledger.failed.values():
        for error in errors:
            assert str(error)
    applied_creates = sum(fake.segment(PROJECT, ENV, k) is not None for k in ledger.created)
    applied_patches = sum(tags[a] for a in ledger.appended)
    return {
        "operations": ledger.operations,
        "requests": sum(fake.requests.values()),
        "faults injected": sum(fake.faults_injected.values()),
        "writes reported failed": {kind: len(errors) for kind, errors in ledger.failed.items()},
        "creates applied": f"{applied_creates} of {len(ledger.created)}",
        "patches applied": f"{applied_patches} of {len(ledger.appended)}",
        "duplicated writes": 0,
    }


async def soak(calls: int, *, concurrency: int = 32, seed: int = 7) -> dict[str, Any]:
    """Run the workload on a fresh fake and client; check it; return a summary."""
    async with FakeLaunchDarkly(
        api_key="api-soak", projects={PROJECT: [ENV]}, record=False
    ) as fake:
        client = SegmentsClient(
            "api-soak", base_url=fake.url, retry=POLICY, timeout=TIMEOUT, max_connections=32
        )
        async with client:
            run = Soak(fake, client, seed)
            await run.run(calls, concurrency)
            summary = check(run)
            session = client._transport._session
            assert session is not None
            # The connector's own bookkeeping: nothing may still hold a connection.
            assert not session.connector._acquired  # type: ignore[union-attr]
        # Answers the client gave up on (slow faults) may still be on their way out.
        for _ in range(200):
            if fake.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        summary["in flight at the fake afterwards"] = fake.in_flight
        return summary
