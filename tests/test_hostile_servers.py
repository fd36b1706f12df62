"""Servers that lie, over real sockets: bodies that inflate without end, downloads cut
short or endless, redirects where an answer belongs, links and files that are not what
they claim. Each must end in a typed error, bounded memory, and no file."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest
from aiohttp import web
from servers import segment_json, serving, serving_raw
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import (
    DecodeError,
    Export,
    LaunchDarklyError,
    RedirectError,
    RetryPolicy,
    SegmentsClient,
    TransportError,
)
from ld_segments_async.models import InitiatorRep, Link

MiB = 1024 * 1024


def bomb(size: int, wbits: int) -> bytes:
    """``size`` zero bytes, compressed (a few hundred bytes per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(MiB)
    return b"".join(packer.compress(block) for _ in range(size // MiB)) + packer.flush()


GZIP, ZLIB, RAW_DEFLATE = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS


def export_of(href: str, size: int) -> Export:
    return Export(
        id="exp-1",
        segment_key="s",
        creation_time=1,
        status="complete",
        size_bytes=size,
        size=f"{size} B",
        initiator=InitiatorRep(),
        links={"file": Link(href=href, type="text/csv")},
    )


def client(url: str, **options: object) -> SegmentsClient:
    return SegmentsClient(API_KEY, base_url=url, retry=RetryPolicy.disabled(), **options)  # type: ignore[arg-type]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- compressed bodies --------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "wbits"), [("gzip", GZIP), ("deflate", ZLIB), ("deflate", RAW_DEFLATE)]
)
async def test_a_body_that_inflates_past_the_limit_is_refused_at_the_limit(
    encoding: str, wbits: int
) -> None:
    body = bomb(64 * MiB, wbits)

    async def answer(request: web.Request) -> web.Response:
        return web.Response(
            body=body, headers={"Content-Encoding": encoding, "Content-Type": "application/json"}
        )

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    tracemalloc.start()
    try:
        async with serving(app) as url, client(url, max_body_size=MiB) as ld:
            with pytest.raises(DecodeError, match="max_body_size"):
                await ld.get_segment(PROJECT, ENV, "s")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body) < 100_000
    assert peak < 8 * MiB  # the limit plus a slice being inflated, not 64 MiB


async def test_compressed_answers_within_the_limit_decode() -> None:
    async def answer(request: web.Request) -> web.Response:
        assert request.headers["Accept-Encoding"] == "gzip, deflate"
        return web.Response(
            body=gzip.compress(web.json_response(segment_json("s")).body),  # type: ignore[arg-type]
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    async with serving(app) as url, client(url) as ld:
        assert (await ld.get_segment(PROJECT, ENV, "s")).key == "s"


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("br", b"\x1b\x00"), ("gzip", b"not gzip at all"), ("gzip", gzip.compress(b"{}")[:-8])],
    ids=["unknown", "not-gzip", "gzip-cut-short"],
)
async def test_unknown_or_corrupt_encodings_are_decode_errors(encoding: str, body: bytes) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": encoding})

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(DecodeError):
            await ld.get_segment(PROJECT, ENV, "s")


# -- downloads ------------------------------------------------------------------


def csv_of(size: int) -> bytes:
    line = b"user-0000000000\n"
    return (line * (size // len(line) + 1))[:size]


async def test_a_close_delimited_file_cut_short_leaves_no_file(tmp_path: Path) -> None:
    whole = csv_of(220_000)

    async def half(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\n\r\n")
        writer.write(whole[:110_000])

    async with serving_raw(half) as url, client(url) as ld:
        with pytest.raises(DecodeError, match="110,000 of 220,000"):
            await ld.download_big_segment_export(
                export_of(f"{url}/files/e.csv", len(whole)), tmp_path / "keys.csv"
            )
    assert leftovers(tmp_path) == []


async def test_a_file_cut_short_of_its_content_length_leaves_no_file(tmp_path: Path) -> None:
    async def short(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + csv_of(500))

    async with serving_raw(short) as url, client(url) as ld:
        with pytest.raises(TransportError, match="cut short"):
            await ld.download_big_segment_export(
                export_of(f"{url}/f.csv", 1000), tmp_path / "keys.csv"
            )
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("announced", [100, None])
async def test_an_endless_file_stops_at_its_cap_and_leaves_no_file(
    tmp_path: Path, announced: int | None
) -> None:
    sent = 0

    async def endless(head: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        chunk = csv_of(64 * 1024)
        while sent < 64 * MiB:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()

    options = {} if announced is not None else {"max_download_size": 4 * MiB}
    export = export_of("/files/e.csv", announced if announced is not None else -1)
    async with serving_raw(endless) as url, client(url, **options) as ld:
        with pytest.raises(DecodeError, match="exceeds"):
            await ld.download_big_segment_export(export, tmp_path / "keys.csv")
    assert sent < 32 * MiB  # stopped reading long before the server gave up
    assert leftovers(tmp_path) == []


async def test_a_compressed_file_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    body = bomb(256 * MiB, GZIP)

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/f.csv", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(DecodeError, match="exceeds"):
            await ld.download_big_segment_export(export_of("/f.csv", 1000), tmp_path / "k.csv")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("status", [206, 204, 300, 304, 404])
async def test_only_a_200_is_a_file(tmp_path: Path, status: int) -> None:
    async def answer(request: web.Request) -> web.Response:
        body = b"" if status in (204, 304) else b"user-1\n"
        return web.Response(status=status, body=body)

    app = web.Application()
    app.router.add_get("/f.csv", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(LaunchDarklyError):
            await ld.download_big_segment_export(export_of("/f.csv", 7), tmp_path / "k.csv")
    assert leftovers(tmp_path) == []


async def test_a_whole_file_is_written(tmp_path: Path) -> None:
    data = csv_of(300_000)

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(data), headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/f.csv", answer)
    async with serving(app) as url, client(url) as ld:
        path = await ld.download_big_segment_export(
            export_of("/f.csv", len(data)), tmp_path / "k.csv"
        )
    assert path.read_bytes() == data
    assert leftovers(tmp_path) == ["k.csv"]


@pytest.mark.parametrize(
    "href", ["http://user:secret@127.0.0.1:9/f.csv", "ftp://127.0.0.1/f.csv", "http://[::1/f"]
)
async def test_links_that_are_not_plain_http_are_refused_before_sending(
    tmp_path: Path, href: str
) -> None:
    async with client("http://127.0.0.1:9") as ld:
        with pytest.raises(DecodeError):
            await ld.download_big_segment_export(export_of(href, 10), tmp_path / "k.csv")
    assert leftovers(tmp_path) == []


async def test_a_redirect_to_a_link_with_credentials_is_refused(tmp_path: Path) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://u:p@127.0.0.1:9/x.csv"})

    app = web.Application()
    app.router.add_get("/f.csv", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(DecodeError, match="credentials"):
            await ld.download_big_segment_export(export_of("/f.csv", 10), tmp_path / "k.csv")


@pytest.mark.parametrize(
    "body", [b"\xff\xfe not utf-8\n", b'"' + b"x" * 200_000 + b'"\n'], ids=["utf8", "csv"]
)
async def test_an_export_file_that_is_not_utf8_csv_is_a_decode_error(body: bytes) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/f.csv", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(DecodeError, match="UTF-8 CSV"):
            async for _ in ld.iter_big_segment_export_keys(export_of("/f.csv", len(body))):
                pass


# -- redirects on API calls -----------------------------------------------------------


async def test_redirects_on_api_calls_are_errors_never_success_nor_ids() -> None:
    async def redirect(request: web.Request) -> web.Response:
        return web.Response(
            status=307 if request.method == "POST" else 302,
            headers={"Location": f"{request.path}/imp123"},
            body=b"<html>log in</html>",
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(RedirectError) as deleted:
            await ld.delete_segment(PROJECT, ENV, "s")
        with pytest.raises(RedirectError):
            await ld.update_big_segment_context_targets(PROJECT, ENV, "s", {"included": {}})
        with pytest.raises(RedirectError) as exported:
            await ld.create_big_segment_export(PROJECT, ENV, "s")
    assert deleted.value.status == 302
    assert deleted.value.location == "/api/v2/segments/proj/production/s/imp123"
    assert exported.value.status == 307


# -- server text ------------------------------------------------------------------


async def test_server_text_is_cut_to_a_sane_length() -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response(
            {"code": "c" * 10_000, "message": "m" * 5_000_000, "id": "i" * 10_000}, status=400
        )

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(LaunchDarklyError) as caught:
            await ld.get_segment(PROJECT, ENV, "s")
    assert len(str(caught.value)) < 1_500
    assert "5,000,000 characters" in str(caught.value)


# -- aiohttp's own resend -------------------------------------------------------------


async def test_a_get_is_sent_once_when_retries_are_off() -> None:
    """aiohttp would resend a GET by itself when the connection drops before an answer."""
    requests = 0

    async def drop(head: bytes, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        requests += 1

    async with serving_raw(drop) as url, client(url) as ld:
        with pytest.raises(TransportError):
            await ld.get_segment(PROJECT, ENV, "s")
    assert requests == 1


@pytest.mark.parametrize("location", ["http://[::1/x", "", "/", "/api/v2/.."])
async def test_a_location_that_names_no_job_is_a_decode_error(location: str) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=200, headers={"Location": location} if location else {})

    app = web.Application()
    app.router.add_post("/api/v2/segments/{p}/{e}/{s}/exports", answer)
    async with serving(app) as url, client(url) as ld:
        with pytest.raises(DecodeError, match="Location"):
            await ld.create_big_segment_export(PROJECT, ENV, "s")
