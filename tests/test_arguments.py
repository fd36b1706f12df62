"""Every argument of every call is checked before the first request: a bad one is a
typed error naming it, and nothing reaches LaunchDarkly. ``poll=`` takes seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from settings import API_KEY, ENV, FAST_RETRY, PROJECT

from ld_segments_async import Export, PollSchedule, SegmentsClient
from ld_segments_async.testing import FakeLaunchDarkly

P, E = PROJECT, ENV
EXPORT = Export.from_dict(
    {
        "id": "x",
        "segmentKey": "big",
        "creationTime": 1,
        "status": "complete",
        "sizeBytes": 4,
        "size": "4 B",
        "initiator": {},
        "_links": {"file": {"href": "/files/x.csv", "type": "text/csv"}},
    }
)

Bad = Callable[[SegmentsClient], Any]

BAD_CALLS: list[tuple[str, Bad, type[Exception], str]] = [
    ("limit", lambda ld: ld.get_segments(P, E, limit=0), ValueError, "limit"),
    ("sort", lambda ld: ld.get_segments(P, E, sort=42), TypeError, "sort"),
    ("filter", lambda ld: ld.get_segments(P, E, filter=42), TypeError, "filter"),
    ("empty key", lambda ld: ld.get_segment(P, E, ""), ValueError, "segment_key"),
    ("key type", lambda ld: ld.delete_segment(P, 5, "s"), TypeError, "environment_key"),
    ("body", lambda ld: ld.post_segment(P, E, 42), TypeError, "segment_body"),
    ("patch", lambda ld: ld.patch_segment(P, E, "s", 42), TypeError, "patch"),
    ("empty patch", lambda ld: ld.patch_segment(P, E, "s", []), ValueError, "empty"),
    ("dry_run", lambda ld: ld.patch_segment(P, E, "s", {"name": "n"}, "yes"), TypeError, "dry_run"),
    (
        "mode",
        lambda ld: ld.create_big_segment_import(P, E, "b", ["k"], "replac"),
        ValueError,
        "mode",
    ),
    (
        "wait_on_approvals",
        lambda ld: ld.create_big_segment_import(P, E, "b", ["k"], "merge", "yes"),
        TypeError,
        "wait_on_approvals",
    ),
    ("file type", lambda ld: ld.create_big_segment_import(P, E, "b", 42), TypeError, "file"),
    (
        "file path",
        lambda ld: ld.create_big_segment_import(P, E, "b", "ada"),
        FileNotFoundError,
        r"a str is the path of a CSV file; to import keys, pass them in a list \(\['ada'\]\)",
    ),
    ("import id", lambda ld: ld.get_big_segment_import(P, E, "b", ""), ValueError, "import_id"),
    ("export id", lambda ld: ld.get_big_segment_export(P, E, "b", 7), TypeError, "export_id"),
    (
        "context key",
        lambda ld: ld.get_segment_membership_for_context(P, E, "b", ""),
        ValueError,
        "context_key",
    ),
    (
        "targets",
        lambda ld: ld.update_big_segment_context_targets(P, E, "b", ["k"]),
        TypeError,
        "segment_user_state",
    ),
    (
        "context",
        lambda ld: ld.get_context_instance_segments_membership_by_env(P, E, ["u"]),
        TypeError,
        "context",
    ),
    (
        "expiring patch",
        lambda ld: ld.patch_expiring_targets_for_segment(P, E, "s", 42),
        TypeError,
        "instructions",
    ),
    (
        "raise_on_partial",
        lambda ld: ld.patch_expiring_targets_for_segment(P, E, "s", [], raise_on_partial=1),
        TypeError,
        "raise_on_partial",
    ),
    (
        "poll type",
        lambda ld: ld.wait_for_big_segment_import(P, E, "b", "i", poll="fast"),
        TypeError,
        "poll",
    ),
    (
        "timeout",
        lambda ld: ld.wait_for_big_segment_export(P, E, "b", "x", timeout=-1),
        ValueError,
        "timeout",
    ),
    (
        "on_progress",
        lambda ld: ld.wait_for_big_segment_export(P, E, "b", "x", on_progress="print"),
        TypeError,
        "on_progress",
    ),
    (
        "wait_for_approval",
        lambda ld: ld.wait_for_big_segment_import(P, E, "b", "i", wait_for_approval="no"),
        TypeError,
        "wait_for_approval",
    ),
    (
        "import poll",
        lambda ld: ld.import_big_segment(P, E, "b", ["k"], poll="0.2"),
        TypeError,
        "poll",
    ),
    (
        "import poll value",
        lambda ld: ld.import_big_segment(P, E, "b", ["k"], poll=0),
        ValueError,
        "poll",
    ),
    (
        "import timeout",
        lambda ld: ld.import_big_segment(P, E, "b", ["k"], timeout=0),
        ValueError,
        "timeout",
    ),
    ("record", lambda ld: ld.import_big_segment(P, E, "b", ["k"], record={}), TypeError, "record"),
    (
        "import file",
        lambda ld: ld.import_big_segment(P, E, "b", "keys.csv", mode="replace"),
        FileNotFoundError,
        "keys.csv",
    ),
    (
        "export",
        lambda ld: ld.download_big_segment_export({"id": "x"}, "out.csv"),
        TypeError,
        "export",
    ),
    (
        "download folder",
        lambda ld: ld.download_big_segment_export(EXPORT, "no/such/folder/out.csv"),
        FileNotFoundError,
        "no folder 'no/such/folder'",
    ),
    (
        "export folder",
        lambda ld: ld.export_big_segment(P, E, "b", "no/such/folder/out.csv"),
        FileNotFoundError,
        "no folder",
    ),
    (
        "export poll",
        lambda ld: ld.export_big_segment(P, E, "b", "out.csv", poll=-1),
        ValueError,
        "poll",
    ),
    (
        "export key",
        lambda ld: ld.export_big_segment(P, "", "b", "out.csv"),
        ValueError,
        "environment_key",
    ),
]

ITERATORS: list[tuple[str, Bad, type[Exception], str]] = [
    ("walk sort", lambda ld: ld.iter_segments(P, E, sort=1), TypeError, "sort"),
    ("walk page", lambda ld: ld.iter_segment_pages(P, E, page_size=1), ValueError, "page_size"),
    ("environments", lambda ld: ld.iter_environments(P, filter=3), TypeError, "filter"),
    ("keys poll", lambda ld: ld.iter_big_segment_keys(P, E, "b", poll="x"), TypeError, "poll"),
    (
        "keys timeout",
        lambda ld: ld.iter_big_segment_keys(P, E, "b", timeout=0),
        ValueError,
        "timeout",
    ),
    ("keys key", lambda ld: ld.iter_big_segment_keys(P, E, ""), ValueError, "segment_key"),
    ("export keys", lambda ld: ld.iter_big_segment_export_keys("x"), TypeError, "export"),
]


@pytest.mark.parametrize(
    ("bad", "error", "says"),
    [case[1:] for case in BAD_CALLS],
    ids=[case[0] for case in BAD_CALLS],
)
async def test_a_bad_argument_fails_before_anything_is_sent(
    client: SegmentsClient,
    fake: FakeLaunchDarkly,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bad: Bad,
    error: type[Exception],
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=says):
        await bad(client)
    assert fake.exchanges == []


@pytest.mark.parametrize(
    ("bad", "error", "says"),
    [case[1:] for case in ITERATORS],
    ids=[case[0] for case in ITERATORS],
)
def test_a_walk_or_a_stream_checks_its_arguments_when_called(
    bad: Bad, error: type[Exception], says: str
) -> None:
    ld = SegmentsClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(error, match=says):
        bad(ld)  # not iterated: nothing could have been sent


def test_a_str_that_is_a_folder_says_it_is_one(tmp_path: Path) -> None:
    from ld_segments_async._upload import check_file

    with pytest.raises(IsADirectoryError, match="is a folder, not a CSV file"):
        check_file(str(tmp_path))
    check_file(["ada"])  # keys in a list are keys
    (tmp_path / "keys.csv").write_text("ada\n")
    check_file(tmp_path / "keys.csv")


class RecordingClock:
    """A clock whose sleeps take no time and are written down."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time() + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_poll_in_seconds_is_the_first_wait_growing_to_thirty(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(P, E, "b", unbounded=True)
    fake.job_polls_per_status = 3
    clock = RecordingClock()
    async with SegmentsClient(
        api_key=API_KEY, base_url=fake.url, retry=FAST_RETRY, clock=clock
    ) as ld:
        job = await ld.import_big_segment(P, E, "b", ["ada", "grace"], mode="replace", poll=0.2)
    assert job.status == "complete"
    assert len(clock.sleeps) >= 3
    for n, delay in enumerate(clock.sleeps):
        assert 0.2 * 1.5**n * 0.9 <= delay <= 0.2 * 1.5**n * 1.1
    assert fake.big_segment_members(P, E, "b") == {"ada", "grace"}


def test_a_number_of_seconds_and_a_schedule_are_the_same_poll() -> None:
    from ld_segments_async._arguments import poll_schedule

    assert poll_schedule(0.2) == PollSchedule(first=0.2, cap=30)
    assert poll_schedule(45) == PollSchedule(first=45, cap=45)
    assert poll_schedule(None) == PollSchedule()
    every_five = PollSchedule(first=5, factor=1)
    assert poll_schedule(every_five) is every_five
    delays = every_five.delays()
    assert [round(next(delays)) for _ in range(3)] == [5, 5, 5]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"first": 0}, ValueError),
        ({"first": float("nan")}, ValueError),
        ({"cap": -1}, ValueError),
        ({"factor": 0.5}, ValueError),
        ({"first": "1"}, TypeError),
        ({"first": True}, TypeError),
    ],
)
def test_a_poll_schedule_that_makes_no_sense_is_refused(
    fields: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        PollSchedule(**fields)
