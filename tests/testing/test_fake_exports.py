"""Big-segment exports and the download of their CSV file, on one or two origins."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from raw_api import SEGMENTS, TOKEN, Api
from spec_contract import check_exchanges
from yarl import URL

from ld_segments_async.testing import FakeLaunchDarkly

BIG = f"{SEGMENTS}/big"
MEMBERS = ["a", "b,c", 'd"e', "ünï"]


async def finished_export(api: Api) -> dict[str, Any]:
    created = await api.post(f"{BIG}/exports")
    assert created.status == 200
    assert created.body == b""
    location = created.headers["Location"]
    assert location.startswith(f"{BIG}/exports/")
    for _ in range(5):
        job = (await api.get(location)).json
        if job["status"] == "complete":
            return job  # type: ignore[no-any-return]
    raise AssertionError(f"export never completed: {job}")


def file_link(job: dict[str, Any]) -> str:
    links = [link for name, link in job["_links"].items() if name != "self"]
    assert len(links) == 1
    assert links[0]["type"] == "text/csv"
    return links[0]["href"]  # type: ignore[no-any-return]


def parse_csv(body: bytes) -> set[str]:
    return {row[0] for row in csv.reader(io.StringIO(body.decode(), newline=""))}


@pytest.fixture
def big(fake: FakeLaunchDarkly) -> FakeLaunchDarkly:
    fake.add_segment("default", "production", "big", unbounded=True, included=MEMBERS)
    return fake


async def test_export_job_and_download(big: FakeLaunchDarkly, api: Api) -> None:
    job = await finished_export(api)
    assert job["segmentKey"] == "big"
    assert job["initiator"]["email"]
    href = file_link(job)
    assert href.startswith(big.url + "/")
    download = await api.get(href)
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert parse_csv(download.body) == set(MEMBERS)
    assert job["sizeBytes"] == len(download.body)
    assert job["size"] == f"{len(download.body)} B"
    assert big.side_effects["create_export"] == 1


async def test_status_steps(big: FakeLaunchDarkly, api: Api) -> None:
    big.job_polls_per_status = 2
    location = (await api.post(f"{BIG}/exports")).headers["Location"]
    statuses = [(await api.get(location)).json["status"] for _ in range(4)]
    assert statuses == ["preparing", "in_progress", "in_progress", "complete"]


async def test_stopped_export_has_no_file(big: FakeLaunchDarkly, api: Api) -> None:
    big.export_outcome = "stopped"
    location = (await api.post(f"{BIG}/exports")).headers["Location"]
    jobs = [(await api.get(location)).json for _ in range(3)]
    assert jobs[-1]["status"] == "stopped"
    assert list(jobs[-1]["_links"]) == ["self"]


async def test_download_on_api_host_needs_the_token(big: FakeLaunchDarkly, api: Api) -> None:
    href = file_link(await finished_export(api))
    async with aiohttp.ClientSession() as anonymous:
        answer = await Api(anonymous, big.url).get(href)
    assert answer.status == 401


async def test_only_big_segments_export(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "small")
    fake.add_segment("default", "production", "synced", unbounded=True, _external="amplitude")
    assert (await api.post(f"{SEGMENTS}/small/exports")).status == 400
    assert (await api.get(f"{SEGMENTS}/small/exports/nope")).status == 404
    assert (await api.post(f"{SEGMENTS}/synced/exports")).status == 200


async def test_unfinished_file_is_404(big: FakeLaunchDarkly, api: Api) -> None:
    location = (await api.post(f"{BIG}/exports")).headers["Location"]
    export_id = location.rsplit("/", 1)[-1]
    assert (await api.get(f"/downloads/exports/{export_id}.csv")).status == 404


@pytest.fixture
async def two_hosts() -> AsyncIterator[FakeLaunchDarkly]:
    async with FakeLaunchDarkly(api_key=TOKEN, separate_download_host=True) as fake:
        fake.add_segment("default", "production", "big", unbounded=True, included=MEMBERS)
        yield fake
        check_exchanges(fake.exchanges)


async def test_separate_download_host(
    two_hosts: FakeLaunchDarkly, session: aiohttp.ClientSession
) -> None:
    api = Api(session, two_hosts.url)
    href = file_link(await finished_export(api))
    assert two_hosts.download_url is not None
    assert href.startswith(two_hosts.download_url + "/")
    assert URL(href).origin() != URL(two_hosts.url).origin()
    with_token = await api.get(href)
    assert with_token.status == 400
    assert b"Only one auth mechanism" in with_token.body
    async with aiohttp.ClientSession() as anonymous:
        plain = Api(anonymous, two_hosts.url)
        download = await plain.get(href)
        forged = await plain.get(href.replace("signature=", "signature=x"))
    assert download.status == 200
    assert parse_csv(download.body) == set(MEMBERS)
    assert forged.status == 403
    assert two_hosts.exchanges[-1].route is None


async def test_redirected_downloads(
    two_hosts: FakeLaunchDarkly, session: aiohttp.ClientSession
) -> None:
    two_hosts.redirect_downloads = True
    api = Api(session, two_hosts.url)
    href = file_link(await finished_export(api))
    assert href.startswith(two_hosts.url + "/")
    async with session.get(href, allow_redirects=False) as redirect:
        assert redirect.status == 302
        target = redirect.headers["Location"]
    assert two_hosts.download_url is not None
    assert target.startswith(two_hosts.download_url + "/")
    async with aiohttp.ClientSession() as anonymous, anonymous.get(target) as download:
        assert download.status == 200
        assert parse_csv(await download.read()) == set(MEMBERS)


async def test_million_key_export_streams(fake: FakeLaunchDarkly, api: Api) -> None:
    keys = [f"member-{i:07d}" for i in range(1_000_000)]
    fake.add_segment("default", "production", "big", unbounded=True, included=keys)
    job = await finished_export(api)
    assert job["size"] == "15 MB"
    async with api.session.get(file_link(job)) as download:
        assert download.headers["Content-Length"] == str(job["sizeBytes"])
        chunks = [chunk async for chunk in download.content.iter_chunked(1 << 16)]
    body = b"".join(chunks)
    assert len(body) == job["sizeBytes"]
    assert set(body.decode().splitlines()) == set(keys)


async def test_an_export_lists_the_included_keys_as_they_are(
    big: FakeLaunchDarkly, api: Api
) -> None:
    """What a sync reads: the members after every targeted update, never the excluded."""
    state = {"included": {"add": ["new"], "remove": ["a"]}, "excluded": {"add": ["gone"]}}
    assert (await api.post(f"{BIG}/contexts", state)).status == 204
    download = await api.get(file_link(await finished_export(api)))
    assert parse_csv(download.body) == {*MEMBERS[1:], "new"}
    assert big.big_segment_members("default", "production", "big", "excluded") == {"gone"}
