"""Imports that fail before they change anything, or say exactly what they changed:
every key checked before the first upload, and a typed record of every file after."""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from import_uploads import IMPORTS, agen, uploaded_keys
from settings import ENV, PROJECT

from ld_segments_async import (
    ConflictError,
    Import,
    ImportIncompleteError,
    ImportPart,
    ImportStoppedError,
    ImportTimeoutError,
    JobFailedError,
    JobTimeoutError,
    SegmentsClient,
    TransportError,
    _upload,
)
from ld_segments_async.jobs import PollSchedule
from ld_segments_async.testing import FakeLaunchDarkly, Fault

FAST = PollSchedule(first=0.001, cap=0.005)
CREATE_IMPORT = f"POST {IMPORTS}"
PER_FILE = 10


@pytest.fixture
def big(fake: FakeLaunchDarkly, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_upload, "MAX_IMPORT_KEYS", PER_FILE)
    fake.add_segment(
        PROJECT, ENV, "big", unbounded=True, unboundedContextKind="user", included=["old"]
    )
    return "big"


def keys(n: int) -> list[str]:
    return [f"k{i:03d}" for i in range(n)]


def as_csv(items: list[str], end: str = "\n") -> bytes:
    return "".join(item + end for item in items).encode()


BAD_INPUTS: dict[str, Callable[[Path], Any]] = {
    "list, an empty key": lambda _: [*keys(24), "", *keys(5)],
    "generator, a key with a line break": lambda _: iter([*keys(24), "a\nb", *keys(5)]),
    "async generator, a key that is not str": lambda _: agen([*keys(24), 7, *keys(5)]),
    "bytes, not UTF-8": lambda _: as_csv(keys(24)) + b"\xff\xfe\n" + as_csv(keys(5)),
    "bytes, no key in the first column": lambda _: as_csv([*keys(24), ",x", *keys(5)]),
    "path, a quoted key with a line break": lambda tmp: _write(
        tmp, as_csv([*keys(24), '"two\nlines"', *keys(5)])
    ),
    "path, a blank key": lambda tmp: _write(tmp, as_csv([*keys(24), "   ", *keys(5)])),
}


def _write(folder: Path, data: bytes) -> Path:
    path = folder / "keys.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", BAD_INPUTS)
async def test_a_bad_key_anywhere_fails_a_replace_with_nothing_sent(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path, kind: str
) -> None:
    record: list[ImportPart] = []
    with pytest.raises((ValueError, TypeError)) as caught:
        await client.import_big_segment(
            PROJECT, ENV, big, BAD_INPUTS[kind](tmp_path), mode="replace", record=record
        )

    assert fake.exchanges == []  # the bad key is in the third file's worth: nothing sent
    assert fake.big_segment_members(PROJECT, ENV, big) == {"old"}
    assert record == []
    if kind.startswith(("bytes", "path")):
        assert "line 25" in str(caught.value)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("kind", ["bytes", "path"])
async def test_every_line_end_counts_when_splitting(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path, end: str, kind: str
) -> None:
    wanted = keys(25)
    data = b"\xef\xbb\xbf" + as_csv(wanted, end) + end.encode()  # a BOM, a blank line
    file = data if kind == "bytes" else _write(tmp_path, data)

    await client.import_big_segment(PROJECT, ENV, big, file, mode="replace", poll=FAST)

    assert [len(upload) for upload in uploaded_keys(fake)] == [10, 10, 5]
    assert [key for upload in uploaded_keys(fake) for key in upload] == wanted
    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)


async def test_a_csv_keeps_its_first_column_quoted_keys_and_all(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    data = b'a,extra\r"with,comma",x\r"say ""hi""",y\rplain'
    await client.import_big_segment(PROJECT, ENV, big, data, poll=FAST)
    assert uploaded_keys(fake) == [["a", "with,comma", 'say "hi"', "plain"]]


async def test_a_stopped_upload_says_which_files_were_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    def on_progress(job: Import) -> None:
        if job.status == "complete":
            fake.import_outcome = "stopped"  # the second upload will fail

    record: list[ImportPart] = []
    with pytest.raises(ImportStoppedError) as caught:
        await client.import_big_segment(
            PROJECT,
            ENV,
            big,
            keys(25),
            mode="replace",
            on_progress=on_progress,
            poll=FAST,
            record=record,
        )

    error = caught.value
    ids = list(fake.imports)
    assert [p.state for p in error.parts] == ["applied", "stopped", "not_sent"]
    assert [p.import_id for p in error.parts] == [*ids, None]
    assert [(p.first_key, p.last_key, p.mode) for p in error.parts] == [
        (1, 10, "replace"),
        (11, 20, "merge"),
        (21, 25, "merge"),
    ]
    assert error.parts == record
    assert error.applied == record[:1] and error.not_applied == record[1:]
    # Still the JobFailedError a plain wait raises, with the same facts.
    assert isinstance(error, JobFailedError) and error.status == "stopped"
    assert error.job.id == ids[1] and [job.id for job in error.completed] == ids[:1]
    assert isinstance(error.error, JobFailedError) and error.__cause__ is error.error
    text = str(error)
    assert "file 1 (keys 1-10, replace) applied" in text and ids[0] in text
    assert "file 3 (keys 21-25, merge) not sent" in text
    # What the error says is what happened: the segment was replaced by the first file.
    assert fake.big_segment_members(PROJECT, ENV, big) == set(keys(10))


async def test_a_transport_error_mid_way_says_which_files_were_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    def on_progress(job: Import) -> None:
        if job.status == "complete" and len(fake.imports) == 1:
            # The second upload is applied by LaunchDarkly, but its answer is lost.
            fake.inject(Fault.drop(after=True), route=CREATE_IMPORT)

    with pytest.raises(ImportIncompleteError) as caught:
        await client.import_big_segment(
            PROJECT, ENV, big, keys(25), mode="merge", on_progress=on_progress, poll=FAST
        )

    error = caught.value
    assert not isinstance(error, (JobFailedError, JobTimeoutError))
    assert isinstance(error.error, TransportError) and error.error.request_sent
    assert [p.state for p in error.parts] == ["applied", "unknown", "not_sent"]
    assert error.parts[0].import_id == next(iter(fake.imports))
    assert error.parts[1].import_id is None  # the answer naming it never came
    assert "may have been applied" in str(error)


async def test_a_server_error_on_an_upload_leaves_its_outcome_unknown(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.inject(Fault.status(500), route=CREATE_IMPORT)  # POSTs are never retried on 5xx
    with pytest.raises(ImportIncompleteError) as caught:
        await client.import_big_segment(PROJECT, ENV, big, keys(25), poll=FAST)
    assert [p.state for p in caught.value.parts] == ["unknown", "not_sent", "not_sent"]


async def test_a_timeout_mid_way_names_the_import_still_running(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    def on_progress(job: Import) -> None:
        if job.status == "complete":
            fake.job_polls_per_status = 100_000  # the second upload never finishes

    with pytest.raises(ImportTimeoutError) as caught:
        await client.import_big_segment(
            PROJECT, ENV, big, keys(25), timeout=0.2, on_progress=on_progress, poll=FAST
        )

    error = caught.value
    ids = list(fake.imports)
    assert isinstance(error, JobTimeoutError) and error.job_id == ids[1]
    assert [p.state for p in error.parts] == ["applied", "pending", "not_sent"]
    assert error.parts[1].import_id == ids[1] and error.parts[1].job is not None
    assert "not finished (it may still be applied)" in str(error)


async def test_a_timeout_between_uploads_sends_no_more(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    async def on_progress(job: Import) -> None:
        if job.status == "complete":
            await asyncio.sleep(0.35)  # the whole import's time runs out here

    with pytest.raises(ImportTimeoutError) as caught:
        await client.import_big_segment(
            PROJECT, ENV, big, keys(25), timeout=0.3, on_progress=on_progress, poll=FAST
        )

    assert len(fake.imports) == 1
    assert [p.state for p in caught.value.parts] == ["applied", "not_sent", "not_sent"]
    assert "ran out before file 2 was sent" in str(caught.value)


async def test_cancellation_is_re_raised_and_the_record_says_what_was_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    second_started = asyncio.Event()

    def on_progress(job: Import) -> None:
        if job.status == "complete":
            fake.job_polls_per_status = 100_000
        elif len(fake.imports) == 2:
            second_started.set()

    record: list[ImportPart] = []
    task = asyncio.ensure_future(
        client.import_big_segment(
            PROJECT, ENV, big, keys(25), on_progress=on_progress, poll=FAST, record=record
        )
    )
    await second_started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task

    assert [p.state for p in record] == ["applied", "pending", "not_sent"]
    assert [p.import_id for p in record[:2]] == list(fake.imports)
    if sys.version_info >= (3, 11):
        assert "file 1 (keys 1-10, merge) applied" in caught.value.__notes__[0]


async def test_nothing_changed_raises_the_plain_error(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.inject(Fault.status(409), route=CREATE_IMPORT)
    record: list[ImportPart] = []
    with pytest.raises(ConflictError) as caught:
        await client.import_big_segment(PROJECT, ENV, big, keys(25), record=record)
    assert not isinstance(caught.value, ImportIncompleteError)
    assert [p.state for p in record] == ["refused", "not_sent", "not_sent"]


async def test_one_file_imports_check_every_key_of_a_path_too(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, as_csv(["a", "b"]) + b"\xff\n")
    with pytest.raises(ValueError, match="line 3: not UTF-8"):
        await client.create_big_segment_import(PROJECT, ENV, big, path)
    assert fake.exchanges == []


def test_the_error_pickles_with_its_record() -> None:
    parts = [ImportPart(0, 1, 10, "replace", "applied", "id-1"), ImportPart(1, 11, 5, "merge")]
    error = ImportIncompleteError(
        parts, TransportError("reset", method="POST", path="/x", request_sent=True)
    )
    copy = pickle.loads(pickle.dumps(error))
    assert copy.parts == parts and str(copy) == str(error)
    assert [p.state for p in copy.not_applied] == ["not_sent"]
