"""Big-segment imports: multipart CSV uploads and their job statuses."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import pytest
from raw_api import SEGMENTS, Api

from ld_segments_async.testing import FakeLaunchDarkly

BIG = f"{SEGMENTS}/big"


def form(content: bytes | None, **fields: str) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    if content is not None:
        # A stream, as aiohttp asks for large bodies.
        data.add_field("file", io.BytesIO(content), filename="keys.csv", content_type="text/csv")
    return data


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> FakeLaunchDarkly:
    fake.add_segment("default", "production", "big", unbounded=True, included=["old"])
    return fake


async def start(api: Api, content: bytes | None, path: str = BIG, **fields: str) -> str:
    answer = await api.request("POST", f"{path}/imports", data=form(content, **fields))
    assert answer.status == 204, answer.body
    assert answer.body == b""
    location = answer.headers["Location"]
    assert location.startswith(f"{path}/imports/")
    return location


async def poll(api: Api, location: str) -> dict[str, Any]:
    answer = await api.get(location)
    assert answer.status == 200
    return answer.json  # type: ignore[no-any-return]


async def run_to_end(api: Api, location: str) -> list[str]:
    statuses = []
    for _ in range(10):
        job = await poll(api, location)
        statuses.append(job["status"])
        if job["status"] in ("complete", "stopped"):
            break
    return statuses


async def test_merge_import(big: FakeLaunchDarkly, api: Api) -> None:
    location = await start(api, b"k1\nk2\n")
    assert await run_to_end(api, location) == ["in_progress", "complete"]
    assert big.big_segment_members("default", "production", "big") == {"old", "k1", "k2"}
    assert big.side_effects["create_import"] == 1
    assert big.side_effects["apply_import"] == 1
    job = await poll(api, location)
    assert job["mode"] == "merge"
    assert job["segmentKey"] == "big"
    assert job["files"] == [{"filename": "keys.csv", "status": "complete"}]
    assert job["_links"]["self"]["href"] == location


async def test_replace_import(big: FakeLaunchDarkly, api: Api) -> None:
    location = await start(api, b"new1\nnew2", mode="replace")
    await run_to_end(api, location)
    assert big.big_segment_members("default", "production", "big") == {"new1", "new2"}


async def test_csv_dialect(big: FakeLaunchDarkly, api: Api) -> None:
    content = (
        b"\xef\xbb\xbfplain,extra column\r\n"
        b"\r\n"
        b'"with,comma",x\n'
        b'"with ""quotes"""\n'
        b'"multi\nline"\n'
        b"\n"
        b"caf\xc3\xa9\n"
    )
    location = await start(api, content, mode="replace")
    await run_to_end(api, location)
    assert big.big_segment_members("default", "production", "big") == {
        "plain",
        "with,comma",
        'with "quotes"',
        "multi\nline",
        "café",
    }


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (b"k\n", {"mode": "upsert"}),
        (b"k\n", {"waitOnApprovals": "maybe"}),
        (None, {"mode": "merge"}),
        (b'"never closed\n', {}),
        (b"\xff\xfe\n", {}),
        (b"k" * (64 * 1024 + 1), {}),
    ],
)
async def test_bad_uploads_are_400(
    big: FakeLaunchDarkly, api: Api, content: bytes | None, fields: dict[str, str]
) -> None:
    answer = await api.request("POST", f"{BIG}/imports", data=form(content, **fields))
    assert answer.status == 400
    assert not big.imports
    # The environment is free again for the next import.
    await start(api, b"ok\n")


async def test_json_body_is_not_an_import(big: FakeLaunchDarkly, api: Api) -> None:
    answer = await api.post(f"{BIG}/imports", {"file": "k"})
    assert answer.status == 400


async def test_only_big_list_segments_import(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "small")
    fake.add_segment("default", "production", "synced", unbounded=True, _external="amplitude")
    for key in ("small", "synced"):
        answer = await api.request("POST", f"{SEGMENTS}/{key}/imports", data=form(b"k\n"))
        assert answer.status == 400


async def test_second_import_in_environment_is_409(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "one", unbounded=True)
    fake.add_segment("default", "production", "two", unbounded=True)
    fake.add_segment("default", "test", "three", unbounded=True)
    first = await start(api, b"a\n", path=f"{SEGMENTS}/one")
    conflict = await api.request("POST", f"{SEGMENTS}/two/imports", data=form(b"b\n"))
    assert conflict.status == 409
    assert conflict.json["code"] == "conflict"
    # Another environment is not blocked.
    await start(api, b"c\n", path="/api/v2/segments/default/test/three")
    await run_to_end(api, first)
    await start(api, b"b\n", path=f"{SEGMENTS}/two")


async def test_polls_per_status(big: FakeLaunchDarkly, api: Api) -> None:
    big.job_polls_per_status = 3
    location = await start(api, b"k\n")
    statuses = await run_to_end(api, location)
    assert statuses == ["preparing"] * 2 + ["in_progress"] * 3 + ["complete"]


async def test_import_outcome_stopped_applies_nothing(big: FakeLaunchDarkly, api: Api) -> None:
    big.import_outcome = "stopped"
    location = await start(api, b"k\n", mode="replace")
    assert (await run_to_end(api, location))[-1] == "stopped"
    assert big.big_segment_members("default", "production", "big") == {"old"}
    assert "apply_import" not in big.side_effects


async def test_approval_flow(big: FakeLaunchDarkly, api: Api) -> None:
    location = await start(api, b"approved\n", waitOnApprovals="true")
    import_id = location.rsplit("/", 1)[-1]
    statuses = [(await poll(api, location))["status"] for _ in range(3)]
    assert statuses == ["pending_approval"] * 3
    assert big.segment("default", "production", "big")["_importInProgress"] is True  # type: ignore[index]
    big.approve_import(import_id)
    assert (await poll(api, location))["status"] == "ready"
    with pytest.raises(ValueError, match="not waiting"):
        big.approve_import(import_id)
    process = {
        "environmentKey": "production",
        "instructions": [{"kind": "processBigSegmentImport", "importId": import_id}],
    }
    answer = await api.semantic(BIG, process)
    assert answer.status == 200, answer.body
    assert big.imports[import_id].status == "in_progress"
    assert (await run_to_end(api, location))[-1] == "complete"
    assert "approved" in big.big_segment_members("default", "production", "big")
    again = await api.semantic(BIG, process)
    assert again.status == 400


async def test_unknown_import_is_404(big: FakeLaunchDarkly, api: Api) -> None:
    location = await start(api, b"k\n")
    assert (await api.get(f"{BIG}/imports/not-an-id")).status == 404
    other = location.replace("/big/", "/other/")
    assert (await api.get(other)).status == 404


async def test_upload_limits(big: FakeLaunchDarkly, api: Api) -> None:
    too_many = b"".join(b"%d\n" % i for i in range(1_000_001))
    answer = await api.request("POST", f"{BIG}/imports", data=form(too_many))
    assert answer.status == 400
    assert "1,000,000" in answer.json["message"]
    too_big = (b"x" * 99 + b"\n") * 420_000
    answer = await api.request("POST", f"{BIG}/imports", data=form(too_big))
    assert answer.status == 400
    assert "40 MB" in answer.json["message"]


async def test_million_keys_stream_in(big: FakeLaunchDarkly, api: Api) -> None:
    keys = [f"context-key-{i:07d}" for i in range(1_000_000)]
    location = await start(api, "\n".join(keys).encode(), mode="replace")
    await run_to_end(api, location)
    members = big.big_segment_members("default", "production", "big")
    assert len(members) == 1_000_000
    assert "context-key-0999999" in members


async def test_concurrent_uploads_conflict(big: FakeLaunchDarkly, api: Api) -> None:
    payload = b"".join(b"key-%d\n" % i for i in range(200_000))
    answers = await asyncio.gather(
        *(api.request("POST", f"{BIG}/imports", data=form(payload)) for _ in range(2))
    )
    assert sorted(answer.status for answer in answers) == [204, 409]


async def test_upload_head_is_recorded(big: FakeLaunchDarkly, api: Api) -> None:
    await start(api, b"k1\nk2\n", mode="replace")
    small = big.exchanges[-1].request_body
    assert b'name="mode"' in small
    assert b"k1\nk2\n" in small
    assert small.endswith(b"--\r\n")
    await run_to_end(api, big.exchanges[-1].response_headers["Location"])
    await start(api, b"".join(b"key-%06d\n" % i for i in range(50_000)))
    large = big.exchanges[-1].request_body
    assert len(large) == 64 * 1024
    assert b"key-000000\nkey-000001\n" in large
