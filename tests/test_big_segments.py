"""Big segments: imports from every input type, jobs, exports, targets, membership."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from import_uploads import IMPORTS, agen, uploaded_keys
from servers import serving
from settings import API_KEY, ENV, FAST_RETRY, PROJECT

from ld_segments_async import (
    BadRequestError,
    ConflictError,
    Export,
    Import,
    ImportStatus,
    JobFailedError,
    JobTimeoutError,
    SegmentsClient,
    SegmentUserList,
    SegmentUserState,
    _upload,
)
from ld_segments_async.jobs import PollSchedule
from ld_segments_async.testing import FakeLaunchDarkly

FAST = PollSchedule(first=0.001, cap=0.005)


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> str:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True, unboundedContextKind="user")
    return "big"


def keys(n: int, prefix: str = "k") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(f"{row}\n" for row in rows))
    return path


@pytest.mark.parametrize(
    "kind", ["list", "generator", "async-generator", "bytes", "path", "path-str"]
)
async def test_import_from_each_input_type(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path, kind: str
) -> None:
    wanted = [*keys(50), "with,comma", 'with"quote', "tab\there", "ünïcødé"]
    sources = {
        "list": lambda: list(wanted),
        "generator": lambda: (key for key in wanted),
        "async-generator": lambda: agen(wanted),
        "bytes": lambda: "".join(f"{_upload._csv_line(k)}" for k in wanted).encode(),
        "path": lambda: write_csv(
            tmp_path / "keys.csv", [_upload._csv_line(k)[:-1] for k in wanted]
        ),
        "path-str": lambda: str(
            write_csv(tmp_path / "keys.csv", [_upload._csv_line(k)[:-1] for k in wanted])
        ),
    }

    import_id = await client.create_big_segment_import(
        PROJECT, ENV, big, sources[kind](), mode="replace"
    )
    job = await client.wait_for_big_segment_import(PROJECT, ENV, big, import_id, poll=FAST)

    assert isinstance(job, Import)
    assert job.status == ImportStatus.COMPLETE
    assert (job.id, job.mode) == (import_id, "replace")
    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)
    post = next(e for e in fake.exchanges if e.route == IMPORTS)
    assert post.status == 204 and post.request_content_type.startswith("multipart/form-data")


async def test_import_csv_has_no_header_and_one_key_per_line(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    await client.create_big_segment_import(PROJECT, ENV, big, ["a", "b", "c"])
    body = next(e for e in fake.exchanges if e.route == IMPORTS).request_body.decode()
    assert "a\nb\nc\n" in body
    assert 'name="mode"' in body and "merge" in body


@pytest.mark.parametrize(
    "bad",
    [[], ["ok", ""], ["line\nbreak"], ["ok", 5], b"", b"  \n", 3.5, object()],
    ids=[
        "empty",
        "empty-key",
        "newline",
        "not-str",
        "empty-bytes",
        "blank-bytes",
        "float",
        "object",
    ],
)
async def test_bad_import_input_fails_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, bad: object
) -> None:
    with pytest.raises((ValueError, TypeError)):
        await client.create_big_segment_import(PROJECT, ENV, big, bad)  # type: ignore[arg-type]
    assert fake.exchanges == []


async def test_bad_import_mode_fails_before_any_request(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    with pytest.raises(ValueError, match="mode"):
        await client.create_big_segment_import(PROJECT, ENV, big, ["a"], mode="append")
    assert fake.exchanges == []


async def test_create_import_refuses_more_than_one_file(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_upload, "MAX_IMPORT_KEYS", 10)
    with pytest.raises(ValueError, match="import_big_segment"):
        await client.create_big_segment_import(PROJECT, ENV, big, keys(11))
    assert fake.exchanges == []


async def test_import_on_a_standard_segment_is_a_400(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "small")
    with pytest.raises(BadRequestError):
        await client.create_big_segment_import(PROJECT, ENV, "small", ["a"])


async def test_second_import_in_the_environment_is_a_conflict_and_not_retried(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.job_polls_per_status = 100
    await client.create_big_segment_import(PROJECT, ENV, big, ["a"])
    with pytest.raises(ConflictError):
        await client.create_big_segment_import(PROJECT, ENV, big, ["b"])
    assert fake.requests[f"POST {IMPORTS}"] == 2


async def test_wait_reports_each_status_change(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.job_polls_per_status = 2
    seen: list[str] = []
    import_id = await client.create_big_segment_import(PROJECT, ENV, big, ["a"])

    async def on_progress(job: Import) -> None:
        seen.append(job.status)

    await client.wait_for_big_segment_import(
        PROJECT, ENV, big, import_id, on_progress=on_progress, poll=FAST
    )

    assert seen[-1] == "complete"
    assert len(seen) == len(set(seen)) >= 2


async def test_stopped_import_raises_job_failed(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.import_outcome = "stopped"
    import_id = await client.create_big_segment_import(PROJECT, ENV, big, ["a"])
    with pytest.raises(JobFailedError) as caught:
        await client.wait_for_big_segment_import(PROJECT, ENV, big, import_id, poll=FAST)
    assert caught.value.status == "stopped"
    assert caught.value.job.id == import_id
    assert fake.big_segment_members(PROJECT, ENV, big) == set()


async def test_slow_import_raises_job_timeout_with_last_status(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.job_polls_per_status = 10_000
    import_id = await client.create_big_segment_import(PROJECT, ENV, big, ["a"])
    with pytest.raises(JobTimeoutError) as caught:
        await client.wait_for_big_segment_import(
            PROJECT, ENV, big, import_id, timeout=0.2, poll=PollSchedule(first=0.02, cap=0.05)
        )
    assert caught.value.status in ("preparing", "in_progress")
    assert caught.value.job is not None and caught.value.job.id == import_id


async def test_pending_approval_is_reported_not_waited_on(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    import_id = await client.create_big_segment_import(
        PROJECT, ENV, big, ["a"], wait_on_approvals=True
    )
    job = await client.wait_for_big_segment_import(PROJECT, ENV, big, import_id, poll=FAST)
    assert job.status == "pending_approval"
    body = next(e for e in fake.exchanges if e.route == IMPORTS).request_body
    assert b'name="waitOnApprovals"' in body and b"true" in body


async def test_approved_import_is_processed_with_the_instruction(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    from ld_segments_async import instructions as ins

    import_id = await client.create_big_segment_import(
        PROJECT, ENV, big, ["a", "b"], wait_on_approvals=True
    )
    fake.approve_import(import_id)
    ready = await client.get_big_segment_import(PROJECT, ENV, big, import_id)
    assert ready.status == "ready"

    await client.patch_segment(
        PROJECT, ENV, big, [ins.process_big_segment_import(import_id=import_id)]
    )
    done = await client.wait_for_big_segment_import(PROJECT, ENV, big, import_id, poll=FAST)

    assert done.status == "complete"
    assert fake.big_segment_members(PROJECT, ENV, big) == {"a", "b"}


async def test_import_big_segment_splits_over_the_per_file_limit(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_upload, "MAX_IMPORT_KEYS", 1000)
    fake.add_segment(PROJECT, ENV, "old", unbounded=True)
    wanted = keys(2500)
    statuses: list[str] = []

    job = await client.import_big_segment(
        PROJECT,
        ENV,
        big,
        agen(wanted),
        mode="replace",
        on_progress=lambda j: statuses.append(j.status),
        poll=FAST,
    )

    assert job.status == "complete"
    uploads = uploaded_keys(fake)
    assert [len(u) for u in uploads] == [1000, 1000, 500]
    assert [k for u in uploads for k in u] == wanted
    modes = [fake.imports[i].mode for i in fake.imports]
    assert modes == ["replace", "merge", "merge"]
    assert fake.big_segment_members(PROJECT, ENV, big) == set(wanted)


async def test_import_big_segment_splits_a_large_file_by_bytes(
    client: SegmentsClient,
    fake: FakeLaunchDarkly,
    big: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(_upload, "MAX_IMPORT_BYTES", 4000)
    wanted = keys(1000, prefix="key-")
    path = write_csv(tmp_path / "big.csv", wanted)

    await client.import_big_segment(PROJECT, ENV, big, path, poll=FAST)

    uploads = uploaded_keys(fake)
    assert len(uploads) > 1
    assert all(len("".join(f"{k}\n" for k in u)) <= 4000 for u in uploads)
    assert [k for u in uploads for k in u] == wanted


async def test_import_big_segment_failure_says_what_was_applied(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_upload, "MAX_IMPORT_KEYS", 10)
    completed: list[str] = []

    def on_progress(job: Import) -> None:
        if job.status == "complete":
            completed.append(job.id)
            if len(completed) == 2:
                fake.import_outcome = "stopped"  # the third upload will fail

    with pytest.raises(JobFailedError) as caught:
        await client.import_big_segment(
            PROJECT, ENV, big, keys(35), on_progress=on_progress, poll=FAST
        )

    assert [job.id for job in caught.value.completed] == completed
    assert "file 2 (keys 11-20, merge) applied" in str(caught.value)
    assert fake.big_segment_members(PROJECT, ENV, big) == set(keys(20))
    assert len(fake.imports) == 3  # the fourth file was never sent


async def test_export_wait_and_download(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str, tmp_path: Path
) -> None:
    members = set(keys(300)) | {"a,b", 'q"uote'}
    fake.add_segment(PROJECT, ENV, "exp", unbounded=True, included=sorted(members))

    export_id = await client.create_big_segment_export(PROJECT, ENV, "exp")
    export = await client.wait_for_big_segment_export(PROJECT, ENV, "exp", export_id, poll=FAST)
    path = await client.download_big_segment_export(export, tmp_path / "out.csv")
    streamed = [key async for key in client.iter_big_segment_export_keys(export)]

    assert isinstance(export, Export) and export.status == "complete"
    assert export.id == export_id
    assert path == tmp_path / "out.csv"
    with path.open(newline="") as handle:
        assert {row[0] for row in csv.reader(handle)} == members
    assert set(streamed) == members and len(streamed) == len(members)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    post = next(e for e in fake.exchanges if e.method == "POST")
    assert post.status == 200 and not post.response_body


async def test_export_stopped_raises(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.export_outcome = "stopped"
    export_id = await client.create_big_segment_export(PROJECT, ENV, big)
    with pytest.raises(JobFailedError):
        await client.wait_for_big_segment_export(PROJECT, ENV, big, export_id, poll=FAST)


async def test_download_before_completion_is_refused(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    fake.job_polls_per_status = 100
    export_id = await client.create_big_segment_export(PROJECT, ENV, big)
    export = await client.get_big_segment_export(PROJECT, ENV, big, export_id)
    with pytest.raises(ValueError, match="no file link"):
        await client.download_big_segment_export(export, "never.csv")
    assert not Path("never.csv").exists()


@pytest.mark.parametrize("redirect", [False, True], ids=["direct", "redirected"])
async def test_download_from_another_host_never_carries_the_key(
    tmp_path: Path, redirect: bool
) -> None:
    async with (
        FakeLaunchDarkly(
            api_key=API_KEY,
            projects={PROJECT: [ENV]},
            separate_download_host=True,
            redirect_downloads=redirect,
        ) as fake,
        SegmentsClient(api_key=API_KEY, base_url=fake.url, retry=FAST_RETRY) as ld,
    ):
        fake.add_segment(PROJECT, ENV, "exp", unbounded=True, included=["x", "y"])
        export_id = await ld.create_big_segment_export(PROJECT, ENV, "exp")
        export = await ld.wait_for_big_segment_export(PROJECT, ENV, "exp", export_id, poll=FAST)

        path = await ld.download_big_segment_export(export, tmp_path / "keys.csv")

        assert set(path.read_text().split()) == {"x", "y"}
        downloads = [e for e in fake.exchanges if e.route is None]
        assert downloads, "the download went through the fake"
        other_host = [e for e in downloads if not e.had_authorization]
        assert other_host, "the file was served by the other origin"
        api_host = [e for e in fake.exchanges if e.route is not None]
        assert all(e.had_authorization for e in api_host)
        assert all("LD-API-Version" not in e.request_headers for e in other_host)


async def test_interrupted_download_leaves_no_file(
    client: SegmentsClient, fake: FakeLaunchDarkly, tmp_path: Path
) -> None:
    fake.add_segment(PROJECT, ENV, "exp", unbounded=True, included=keys(20_000))
    export_id = await client.create_big_segment_export(PROJECT, ENV, "exp")
    export = await client.wait_for_big_segment_export(PROJECT, ENV, "exp", export_id, poll=FAST)
    fake.latency = 0.5
    task = asyncio.ensure_future(client.download_big_segment_export(export, tmp_path / "keys.csv"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


async def test_context_targets_and_membership(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    await client.update_big_segment_context_targets(
        PROJECT,
        ENV,
        big,
        SegmentUserState(
            included=SegmentUserList(add=["in1", "in2"]), excluded=SegmentUserList(add=["out"])
        ),
    )
    await client.update_big_segment_context_targets(
        PROJECT, ENV, big, {"included": {"remove": ["in2"]}}
    )

    member = await client.get_segment_membership_for_context(PROJECT, ENV, big, "in1")
    removed = await client.get_segment_membership_for_context(PROJECT, ENV, big, "in2")
    excluded = await client.get_segment_membership_for_context(PROJECT, ENV, big, "out")

    assert (member.user_key, member.included, member.excluded) == ("in1", True, False)
    assert (removed.included, removed.excluded) == (False, False)
    assert (excluded.included, excluded.excluded) == (False, True)


async def test_user_variants_warn_and_work(client: SegmentsClient, big: str) -> None:
    with pytest.warns(DeprecationWarning, match="update_big_segment_context_targets"):
        await client.update_big_segment_targets(
            PROJECT, ENV, big, SegmentUserState(included=SegmentUserList(add=["u1"]))
        )
    with pytest.warns(DeprecationWarning, match="get_segment_membership_for_context"):
        member = await client.get_segment_membership_for_user(PROJECT, ENV, big, "u1")
    assert member.included is True


async def test_targets_on_a_standard_segment_are_a_400(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "small")
    with pytest.raises(BadRequestError):
        await client.update_big_segment_context_targets(
            PROJECT, ENV, "small", {"included": {"add": ["x"]}}
        )


async def test_uploads_have_a_content_length(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    await client.create_big_segment_import(PROJECT, ENV, big, agen(keys(3000)))
    headers = next(e for e in fake.exchanges if e.route == IMPORTS).request_headers
    assert int(headers["Content-Length"]) > 3000 * 5
    assert "Transfer-Encoding" not in headers


async def test_an_export_with_a_file_link_is_done_whatever_its_status(tmp_path: Path) -> None:
    """Export statuses are undocumented beyond "complete": a file to fetch means done."""
    from aiohttp import web

    polls: list[int] = []

    async def create(request: web.Request) -> web.Response:
        return web.Response(status=200, headers={"Location": f"{request.path}/e-1"})

    async def status(request: web.Request) -> web.Response:
        polls.append(1)
        links: dict[str, object] = {"self": {"href": request.path, "type": "application/json"}}
        if len(polls) > 1:
            links["location"] = {"href": "/files/e-1.csv", "type": "text/csv"}
        return web.json_response(
            {
                "id": "e-1",
                "segmentKey": "s",
                "creationTime": 1,
                "status": "done" if len(polls) > 1 else "running",
                "sizeBytes": 4,
                "size": "4 B",
                "initiator": {},
                "_links": links,
            }
        )

    async def file(request: web.Request) -> web.Response:
        return web.Response(body=b"a\nb\n", content_type="text/csv")

    app = web.Application()
    app.router.add_post("/api/v2/segments/{p}/{e}/{s}/exports", create)
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}/exports/{id}", status)
    app.router.add_get("/files/e-1.csv", file)
    async with serving(app) as url, SegmentsClient(API_KEY, base_url=url, retry=FAST_RETRY) as ld:
        export_id = await ld.create_big_segment_export(PROJECT, ENV, "s")
        export = await ld.wait_for_big_segment_export(PROJECT, ENV, "s", export_id, poll=FAST)
        keys = [key async for key in ld.iter_big_segment_export_keys(export)]
    assert export_id == "e-1"
    assert export.status == "done"
    assert keys == ["a", "b"]


async def test_a_body_less_post_goes_without_a_content_type(
    client: SegmentsClient, fake: FakeLaunchDarkly, big: str
) -> None:
    await client.create_big_segment_export(PROJECT, ENV, big)
    await client.get_segment(PROJECT, ENV, big)
    await client.delete_segment(PROJECT, ENV, big)
    (post,) = [e for e in fake.exchanges if e.method == "POST"]
    assert post.request_content_type is None  # as the official client sends it
    assert post.request_body == b""
    assert [e.request_content_type for e in fake.exchanges if e.method != "POST"] == [None, None]
