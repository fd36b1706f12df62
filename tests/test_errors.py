"""Every status maps to its error class, with LaunchDarkly's code, message and id;
bodies that are empty, HTML, truncated or not what the spec says still give typed errors."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from servers import serving_raw
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import (
    ApiError,
    BadRequestError,
    ConflictError,
    DecodeError,
    ForbiddenError,
    LaunchDarklyError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    SegmentsClient,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
)
from ld_segments_async.testing import FakeLaunchDarkly, Fault

GET_SEGMENT = "GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


@pytest.fixture
def once(client: SegmentsClient) -> SegmentsClient:
    return client.with_options(retry=RetryPolicy.disabled())


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, BadRequestError, "invalid_request"),
        (401, UnauthorizedError, "unauthorized"),
        (403, ForbiddenError, "forbidden"),
        (404, NotFoundError, "not_found"),
        (405, MethodNotAllowedError, "method_not_allowed"),
        (409, ConflictError, None),
        (422, UnprocessableEntityError, None),
        (429, RateLimitedError, "rate_limited"),
        (500, ServerError, None),
        (502, ServerError, None),
        (503, ServerError, None),
        (504, ServerError, None),
        (418, ApiError, None),
    ],
)
async def test_each_status_has_its_error_class(
    once: SegmentsClient,
    fake: FakeLaunchDarkly,
    status: int,
    error: type[ApiError],
    code: str | None,
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(status), route=GET_SEGMENT)

    with pytest.raises(error) as caught:
        await once.get_segment(PROJECT, ENV, "s")

    exc = caught.value
    assert type(exc) is error
    assert isinstance(exc, LaunchDarklyError)
    assert exc.status == status
    if code is not None:
        assert exc.code == code
    assert exc.code and exc.message and exc.request_id
    assert exc.headers["Content-Type"].startswith("application/json")
    assert exc.method == "GET" and exc.path == f"/api/v2/segments/{PROJECT}/{ENV}/s"
    assert str(status) in str(exc) and exc.request_id in str(exc)


async def test_real_statuses_from_the_fake(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    async with SegmentsClient(api_key="api-wrong", base_url=fake.url) as wrong:
        with pytest.raises(UnauthorizedError) as caught:
            await wrong.get_segment(PROJECT, ENV, "s")
    assert caught.value.code == "unauthorized"
    with pytest.raises(UnprocessableEntityError):
        await client.patch_segment(PROJECT, ENV, "s", {"name": 42})


async def test_rate_limited_error_carries_retry_after(
    once: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.inject(Fault.rate_limited(retry_after=7))
    with pytest.raises(RateLimitedError) as caught:
        await once.get_segments(PROJECT, ENV)
    assert caught.value.retry_after == 7
    assert "retry after 7.0s" in str(caught.value)


@pytest.mark.malformed_responses
@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        (Fault.empty(500), ServerError, "empty response body"),
        (Fault.empty(404), NotFoundError, "empty response body"),
        (Fault.html(502), ServerError, "text/html"),
        (Fault.status(503, body=b"upstream connect error"), ServerError, "upstream connect error"),
        (Fault.status(400, body={"unexpected": "shape"}), BadRequestError, "unexpected"),
    ],
    ids=["empty-500", "empty-404", "html-502", "text-503", "odd-json-400"],
)
async def test_odd_error_bodies_still_give_typed_errors(
    once: SegmentsClient, fake: FakeLaunchDarkly, fault: Fault, error: type[ApiError], text: str
) -> None:
    fake.inject(fault)
    with pytest.raises(error) as caught:
        await once.get_segments(PROJECT, ENV)
    assert text in str(caught.value)
    assert caught.value.code is None


async def test_truncated_body_is_a_transport_error(
    once: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.truncate(), route=GET_SEGMENT)
    with pytest.raises(TransportError) as caught:
        await once.get_segment(PROJECT, ENV, "s")
    assert caught.value.request_sent is True
    assert "GET /api/v2/segments/proj/production/s" in str(caught.value)


@pytest.mark.malformed_responses
@pytest.mark.parametrize(
    "body",
    [b"<html>oops</html>", b"", b'{"key": "s"', b"[1, 2]", b'{"key": 5, "name": "n"}', b"\xff\xfe"],
    ids=["html", "empty", "truncated-json", "array", "wrong-types", "not-utf8"],
)
async def test_success_with_a_body_that_is_not_a_segment_is_a_decode_error(
    once: SegmentsClient, fake: FakeLaunchDarkly, body: bytes
) -> None:
    fake.inject(Fault.status(200, body=body), route=GET_SEGMENT)
    with pytest.raises(DecodeError) as caught:
        await once.get_segment(PROJECT, ENV, "s")
    assert caught.value.status == 200
    assert caught.value.body_excerpt == body[:200]


@pytest.mark.malformed_responses
async def test_decode_error_names_the_bad_fields(
    once: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.inject(Fault.status(200, body={"key": 5, "name": "n"}), route=GET_SEGMENT)
    with pytest.raises(DecodeError) as caught:
        await once.get_segment(PROJECT, ENV, "s")
    assert "not a valid UserSegment" in str(caught.value)
    assert "$.key" in str(caught.value)


async def test_connection_refused_is_a_transport_error_before_sending() -> None:
    async with SegmentsClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", retry=RetryPolicy.disabled()
    ) as ld:
        with pytest.raises(TransportError) as caught:
            await ld.get_segments(PROJECT, ENV)
    assert caught.value.request_sent is False
    assert API_KEY not in str(caught.value)


def test_errors_pickle() -> None:
    error = RateLimitedError(
        429,
        "rate_limited",
        "slow down",
        "id-1",
        {"Retry-After": "3"},
        method="GET",
        path="/p",
        retry_after=3.0,
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is RateLimitedError
    assert (copy.status, copy.code, copy.request_id, copy.retry_after, str(copy)) == (
        429,
        "rate_limited",
        "id-1",
        3.0,
        str(error),
    )
    transport = pickle.loads(
        pickle.dumps(TransportError("boom", method="GET", path="/p", request_sent=False))
    )
    assert (transport.reason, transport.request_sent) == ("boom", False)


# -- error text: what happened, in words, never aiohttp's internals --------------------


async def test_a_connection_failure_names_the_host_not_aiohttp() -> None:
    async with SegmentsClient(
        api_key=API_KEY, base_url="http://127.0.0.1:9", retry=RetryPolicy.disabled()
    ) as ld:
        with pytest.raises(TransportError) as caught:
            await ld.get_segment(PROJECT, ENV, "s")
    text = str(caught.value)
    assert text.startswith("cannot connect to 127.0.0.1:9: ")
    assert "GET /api/v2/segments/proj/production/s" in text
    for internal in ("ssl:default", "ClientConnectorError", "aiohttp", "<"):
        assert internal not in text


async def test_an_error_answer_cut_short_says_so_not_content_length_error() -> None:
    async def cut(head: bytes, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"code": "invalid_request", "mess'
        )

    async with (
        serving_raw(cut) as url,
        SegmentsClient(api_key=API_KEY, base_url=url, retry=RetryPolicy.disabled()) as ld,
    ):
        with pytest.raises(TransportError) as caught:
            await ld.get_segment(PROJECT, ENV, "s")
    text = str(caught.value)
    assert text.startswith("the answer was cut short")
    assert "ContentLengthError" not in text and "<" not in text
    assert caught.value.request_sent is True


@pytest.mark.malformed_responses
async def test_a_decode_error_names_method_path_and_status(
    once: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.inject(Fault.status(200, body=b"\x00 not json"), route=GET_SEGMENT)
    with pytest.raises(DecodeError) as caught:
        await once.get_segment(PROJECT, ENV, "s")
    error = caught.value
    assert (error.method, error.path, error.status) == (
        "GET",
        "/api/v2/segments/proj/production/s",
        200,
    )
    assert "GET /api/v2/segments/proj/production/s" in str(error)
    assert "not valid JSON" in str(error)
