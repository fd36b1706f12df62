"""``sync_big_segment``: a big segment's members made exactly a list, touching only what
changed, over real sockets to the fake (which keeps its own members: every assertion on
them is LaunchDarkly's state, not the client's)."""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from import_uploads import IMPORTS, agen, uploaded_keys
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import (
    ConflictError,
    ImportStoppedError,
    SegmentsClient,
    SyncIncompleteError,
    SyncReport,
    _upload,
)
from ld_segments_async.jobs import PollSchedule
from ld_segments_async.testing import FakeLaunchDarkly, Fault

FAST = PollSchedule(first=0.001, cap=0.005)
SEGMENT = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"
CONTEXTS = f"POST {SEGMENT}/contexts"
WRITES = (CONTEXTS, f"POST {IMPORTS}", f"PATCH {SEGMENT}")


def keys(n: int, start: int = 0) -> list[str]:
    return [f"k{i:05d}" for i in range(start, start + n)]


def writes(fake: FakeLaunchDarkly) -> Counter[str]:
    return Counter({route: n for route, n in fake.requests.items() if route in WRITES})


def target_bodies(fake: FakeLaunchDarkly) -> list[dict[str, dict[str, list[str]]]]:
    return [
        json.loads(e.request_body)
        for e in fake.exchanges
        if e.method == "POST" and e.route == f"{SEGMENT}/contexts"
    ]


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> str:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, included=keys(1000))
    fake.reset_counters()
    return "big"


async def sync(client: SegmentsClient, wanted: object, **options: object) -> SyncReport:
    return await client.sync_big_segment(PROJECT, ENV, "big", wanted, poll=FAST, **options)  # type: ignore[arg-type]


async def test_a_small_difference_is_sent_as_targeted_updates_only(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    wanted = keys(990, start=10) + keys(20, start=5000)  # 10 removed, 20 added
    report = await sync(client, wanted, batch_size=12)

    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)
    assert (report.added, report.removed, report.unchanged) == (20, 10, 990)
    assert report.method == "targets" and report.complete and not report.dry_run
    assert report.writes == 3 == writes(fake)[CONTEXTS]  # ceil(30 / 12)
    assert writes(fake) == {CONTEXTS: 3}  # no import, no patch
    assert report.requests == sum(fake.requests.values())  # every request counted
    assert report.jobs == tuple(fake.exports)  # the one export it read
    assert [(b.added, b.removed, b.state) for b in report.batches] == [
        (2, 10, "applied"),  # removals first, each request filled up
        (12, 0, "applied"),
        (6, 0, "applied"),
    ]
    for body in target_bodies(fake):
        assert "excluded" not in body  # the segment excludes nobody: nothing to clear
        assert sum(len(v) for v in body["included"].values()) <= 12


async def test_a_second_sync_sends_no_write(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    wanted = keys(900) + keys(5, start=7000)
    await sync(client, wanted)
    effects = dict(fake.side_effects)
    fake.reset_counters()

    again = await sync(client, agen(list(reversed(wanted)) + wanted[:50]))  # repeats count once
    assert again.method == "none"
    assert (again.added, again.removed, again.unchanged, again.writes) == (0, 0, 905, 0)
    assert writes(fake) == {}
    assert fake.side_effects == {"create_export": 1}
    assert effects["update_big_segment_targets"] == 1


async def test_equal_lists_send_no_write_whatever_the_method(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    for method in ("auto", "targets", "import"):
        report = await sync(client, keys(1000), method=method)
        assert report.method == "none"
    assert writes(fake) == {}


async def test_a_large_difference_is_one_replace_import(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    wanted = keys(400) + keys(700, start=3000)  # 600 removed, 700 added
    report = await sync(client, wanted, batch_size=100, max_target_requests=12)

    assert report.method == "import"
    assert (report.added, report.removed, report.unchanged) == (700, 600, 400)
    assert writes(fake) == {f"POST {IMPORTS}": 1}
    assert report.writes == 1
    assert [sorted(upload) for upload in uploaded_keys(fake)] == [sorted(wanted)]
    (job,) = fake.imports.values()
    assert job.mode == "replace" and job.status == "complete"
    assert report.jobs == (*fake.exports, job.id)
    assert [part.state for part in report.import_parts] == ["applied"]
    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)
    assert report.requests == sum(fake.requests.values())


async def test_the_rule_and_its_threshold(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    wanted = keys(1000, start=100)  # 100 removed, 100 added: 200 operations
    at_limit = await sync(client, wanted, batch_size=20, max_target_requests=10, dry_run=True)
    over = await sync(client, wanted, batch_size=20, max_target_requests=9, dry_run=True)
    forced = await sync(client, wanted, batch_size=20, max_target_requests=9, method="targets")
    assert (at_limit.method, over.method, forced.method) == ("targets", "import", "targets")
    assert forced.writes == 10
    assert writes(fake) == {CONTEXTS: 10}


async def test_a_dry_run_reads_and_writes_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    report = await sync(client, keys(10), dry_run=True)
    assert report.dry_run and report.writes == 0
    assert (report.added, report.removed, report.unchanged) == (0, 990, 10)
    assert report.summary() == "would add 0, remove 990, keep 10 (targeted updates; dry run)"
    assert writes(fake) == {}
    assert fake.side_effects == {"create_export": 1}  # the export job: a read
    assert len(fake.big_segment_members(PROJECT, ENV, big)) == 1000
    sent = {(e.method, e.route) for e in fake.exchanges}
    assert sent == {
        ("GET", SEGMENT),
        ("POST", f"{SEGMENT}/exports"),
        ("GET", f"{SEGMENT}/exports/{{exportID}}"),
        (
            "GET",
            None,  # the file download
        ),
    }


@pytest.mark.parametrize(
    "wanted",
    [
        [*keys(5), ""],
        [*keys(5), " "],
        [*keys(5), "a\nb"],
        [*keys(5), 7],
        b"k1\n\xff\n",
        b"k1\n,x\n",
    ],
    ids=["empty", "blank", "line break", "not str", "not UTF-8", "no first column"],
)
async def test_a_bad_key_sends_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, wanted: object
) -> None:
    with pytest.raises((ValueError, TypeError)):
        await sync(client, wanted)
    assert sum(fake.requests.values()) == 0


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"method": "replace"}, ValueError),
        ({"batch_size": 0}, ValueError),
        ({"batch_size": 1.5}, TypeError),
        ({"max_target_requests": -1}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"poll": "fast"}, TypeError),
    ],
)
async def test_bad_options_send_nothing(
    client: SegmentsClient,
    fake: FakeLaunchDarkly,
    big: str,
    options: dict[str, object],
    error: type,
) -> None:
    with pytest.raises(error):
        await client.sync_big_segment(PROJECT, ENV, big, keys(3), **options)  # type: ignore[arg-type]
    assert sum(fake.requests.values()) == 0


async def test_an_empty_list_empties_the_segment_only_when_allowed(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    with pytest.raises(ValueError, match="allow_empty=True"):
        await sync(client, [])
    with pytest.raises(ValueError, match="an import cannot empty"):
        await sync(client, [], allow_empty=True, method="import")
    assert sum(fake.requests.values()) == 0
    report = await sync(client, [], allow_empty=True, batch_size=1500)
    assert (report.method, report.removed, report.writes) == ("targets", 1000, 1)
    assert fake.big_segment_members(PROJECT, ENV, big) == set()


async def test_a_failure_mid_way_says_what_was_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    wanted = keys(1000) + keys(25, start=5000)
    fake.inject(Fault.status(400), route=CONTEXTS)  # the first request: refused, nothing changed
    with pytest.raises(Exception, match="400") as first:
        await sync(client, wanted, batch_size=10)
    assert not isinstance(first.value, SyncIncompleteError)

    fake.inject(Fault.slow(0), route=CONTEXTS)  # request 1 goes through
    fake.inject(Fault.status(503), route=CONTEXTS)  # request 2: no telling what happened
    with pytest.raises(SyncIncompleteError) as raised:
        await sync(client, wanted, batch_size=10)
    report = raised.value.report
    assert not report.complete
    assert [b.state for b in report.batches] == ["applied", "unknown"]
    assert (report.applied_added, report.added, report.removed) == (10, 25, 0)
    members = fake.big_segment_members(PROJECT, ENV, big)
    assert len(members) == 1010 and members < set(wanted)
    assert "request 1 applied; request 2 sent without an answer" in str(raised.value)
    assert "added 10 of 25" in str(raised.value)
    assert isinstance(raised.value.__cause__, Exception)
    assert pickle.loads(pickle.dumps(raised.value)).report == report

    fake.inject(Fault.slow(0), route=CONTEXTS)
    fake.inject(Fault.status(400), route=CONTEXTS)
    with pytest.raises(SyncIncompleteError) as refused:
        await sync(client, wanted, batch_size=10)
    assert [b.state for b in refused.value.report.batches] == ["applied", "refused"]
    assert (refused.value.report.added, refused.value.report.applied_added) == (15, 10)

    finish = await sync(client, wanted, batch_size=10)  # the same sync again finishes it
    assert (finish.added, finish.writes) == (5, 1)
    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)


async def test_an_import_that_stops_says_which_files_were_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_upload, "MAX_IMPORT_KEYS", 1000)  # three files for 2,500 keys
    wanted = keys(2500, start=10_000)
    fake.inject(Fault.status(400), route=f"POST {IMPORTS}")
    with pytest.raises(Exception, match="400") as refused:
        await sync(client, wanted, method="import")
    assert not isinstance(refused.value, SyncIncompleteError)  # nothing was applied

    fake.inject(Fault.slow(0), route=f"POST {IMPORTS}", times=1)
    fake.inject(Fault.status(400), route=f"POST {IMPORTS}", times=1)
    with pytest.raises(SyncIncompleteError) as raised:
        await sync(client, wanted, method="import")
    parts = raised.value.report.import_parts
    assert [(p.mode, p.state) for p in parts] == [
        ("replace", "applied"),
        ("merge", "refused"),
        ("merge", "not_sent"),
    ]
    assert len(fake.big_segment_members(PROJECT, ENV, big)) == 1000  # the first file alone
    assert raised.value.report.jobs[-1] == parts[0].import_id

    fake.import_outcome = "stopped"
    with pytest.raises(SyncIncompleteError) as stopped:
        await sync(client, wanted, method="import")
    assert isinstance(stopped.value.error, ImportStoppedError)
    assert stopped.value.report.import_parts[0].state == "stopped"


async def test_a_segment_with_an_import_running_is_not_synced(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.job_polls_per_status = 1000  # the import below stays running
    await client.create_big_segment_import(PROJECT, ENV, big, ["x"], mode="merge")
    fake.reset_counters()
    with pytest.raises(ConflictError, match="an import is running on this segment"):
        await sync(client, keys(3))
    assert fake.requests == {f"GET {SEGMENT}": 1}


async def test_an_import_running_elsewhere_in_the_environment_is_a_conflict(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.add_segment(PROJECT, ENV, "other", unbounded=True)
    fake.job_polls_per_status = 1000
    await client.create_big_segment_import(PROJECT, ENV, "other", ["x"], mode="merge")
    fake.job_polls_per_status = 1
    small = await sync(client, keys(1001))  # targeted updates go on
    assert small.method == "targets"
    with pytest.raises(ConflictError) as raised:  # LaunchDarkly's own 409: nothing applied
        await sync(client, keys(100, start=9000), method="import")
    assert raised.value.status == 409 and raised.value.code != "import_in_progress"
    assert len(fake.big_segment_members(PROJECT, ENV, big)) == 1001


async def test_a_key_added_leaves_the_excluded_list(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, included=["a", "b"], excluded=["c"])
    report = await sync(client, ["a", "c", "d"], batch_size=4)
    assert fake.big_segment_members(PROJECT, ENV, "big") == {"a", "c", "d"}
    assert fake.big_segment_members(PROJECT, ENV, "big", "excluded") == set()
    # Each key added costs two operations: 1 removal + 2 x 2 > 4 makes two requests.
    assert report.writes == 2
    bodies = target_bodies(fake)
    assert sorted(k for b in bodies for k in b["excluded"]["remove"]) == ["c", "d"]
    assert sorted(k for b in bodies for k in b["included"].get("add", [])) == ["c", "d"]


async def test_keys_from_a_csv_are_read_as_an_import_reads_them(
    client: SegmentsClient, fake: FakeLaunchDarkly, tmp_path: Path
) -> None:
    odd = ["plain", "with,comma", 'with "quotes"', " spaced ", "ünïcode"]
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, included=odd[:2])
    csv_file = tmp_path / "keys.csv"
    csv_file.write_bytes(
        b'\xef\xbb\xbfplain,extra column\r\n"with,comma"\r\r\n"with ""quotes"""\n'
        + " spaced \rünïcode".encode()
    )
    first = await sync(client, csv_file, method="import")
    assert fake.big_segment_members(PROJECT, ENV, "big") == set(odd)
    assert (first.added, first.unchanged) == (3, 2)
    again = await sync(client, str(csv_file))
    assert again.method == "none"  # the export reads back exactly what was imported


async def test_copy_membership_from_one_environment_to_another(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "customers", unbounded=True, included=keys(300))
    fake.add_segment(PROJECT, "staging", "customers", unbounded=True, included=keys(300, 100))

    async def members_of(environment: str) -> AsyncIterator[str]:
        export_id = await client.create_big_segment_export(PROJECT, environment, "customers")
        export = await client.wait_for_big_segment_export(
            PROJECT, environment, "customers", export_id, poll=FAST
        )
        async for key in client.iter_big_segment_export_keys(export):
            yield key

    report = await client.sync_big_segment(
        PROJECT, "staging", "customers", members_of(ENV), poll=FAST
    )
    assert (report.added, report.removed, report.unchanged) == (100, 100, 200)
    assert fake.big_segment_members(PROJECT, "staging", "customers") == set(keys(300))
    again = await client.sync_big_segment(
        PROJECT, "staging", "customers", members_of(ENV), poll=FAST
    )
    assert again.method == "none"


async def test_only_list_based_big_segments_are_synced(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "std")
    fake.add_segment(PROJECT, ENV, "synced", unbounded=True, _external="amplitude")
    with pytest.raises(ValueError, match="standard segment: use sync_segment_targets"):
        await client.sync_big_segment(PROJECT, ENV, "std", ["a"])
    with pytest.raises(ValueError, match="synced segment"):
        await client.sync_big_segment(PROJECT, ENV, "synced", ["a"])
    assert fake.requests == {f"GET {SEGMENT}": 2}
    with pytest.raises(ValueError, match="must not be empty"):
        await client.sync_big_segment(PROJECT, ENV, "", ["a"])


async def test_an_export_that_fails_or_times_out_changes_nothing(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.export_outcome = "stopped"
    with pytest.raises(Exception, match="stopped"):
        await sync(client, keys(5))
    fake.export_outcome = "complete"
    fake.job_polls_per_status = 1000
    with pytest.raises(Exception, match="still"):
        await sync(client, keys(5), timeout=0.05)
    assert writes(fake) == {}


async def test_cancelled_mid_way_notes_what_was_applied(fake: FakeLaunchDarkly, big: str) -> None:
    second_sent = asyncio.Event()
    sent: list[str] = []

    async def on_sent(_: object, __: object, params: aiohttp.TraceRequestHeadersSentParams) -> None:
        if params.url.path.endswith("/contexts"):
            sent.append(params.url.path)
            if len(sent) == 2:
                second_sent.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_sent)
    fake.inject(Fault.slow(0), route=CONTEXTS)
    fake.inject(Fault.slow(30), route=CONTEXTS)  # the second request hangs
    async with SegmentsClient(API_KEY, base_url=fake.url, trace_configs=[trace]) as client:
        wanted = keys(1000) + keys(20, start=9000)
        task = asyncio.create_task(sync(client, wanted, batch_size=10))
        await second_sent.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as raised:
            await task
    notes = getattr(raised.value, "__notes__", None)
    if sys.version_info >= (3, 11):
        assert notes is not None
        assert "request 1 applied; request 2 sent without an answer" in notes[0]
    assert len(fake.big_segment_members(PROJECT, ENV, big)) == 1010
