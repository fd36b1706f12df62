"""``with_raw_response``: every operation, with the answer's status, headers and
rate-limit budget; the same result and the same errors as the plain call. Views that
never close the client they came from."""

from __future__ import annotations

import datetime as dt
import typing
import warnings

import pytest
from multidict import CIMultiDict
from operation_calls import CALLS, DEPRECATED, official_operations, seed
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import (
    DecodeError,
    NotFoundError,
    PartialPatchError,
    RateLimitInfo,
    RawResponse,
    RetryPolicy,
    SegmentsClient,
    UserSegment,
)
from ld_segments_async import instructions as ins
from ld_segments_async._raw import RawResponses
from ld_segments_async.testing import FakeLaunchDarkly, Fault

GET_SEGMENT = "GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


def test_every_operation_has_a_raw_twin() -> None:
    raw = {name for name in vars(RawResponses) if not name.startswith("_")}
    assert raw == official_operations() == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_each_raw_call_returns_the_answer_and_what_the_plain_call_returns(
    client: SegmentsClient, fake: FakeLaunchDarkly, name: str
) -> None:
    ids = await seed(fake, client)
    seen = len(fake.exchanges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if name in DEPRECATED else "error", DeprecationWarning)
        raw = await CALLS[name](client.with_raw_response, ids)

    assert isinstance(raw, RawResponse)
    (exchange,) = fake.exchanges[seen:]  # one request, as the plain call makes
    assert raw.status == exchange.status
    assert raw.method == exchange.method and raw.path == exchange.path
    sent = CIMultiDict(exchange.response_headers)
    assert raw.headers == sent
    assert raw.headers["x-ratelimit-reset"] == raw.headers["X-RateLimit-Reset"]
    assert raw.rate_limit == RateLimitInfo(
        int(sent["X-Ratelimit-Global-Remaining"]),
        int(sent["X-Ratelimit-Route-Remaining"]),
        dt.datetime.fromtimestamp(int(sent["X-Ratelimit-Reset"]) / 1000, tz=dt.timezone.utc),
    )
    assert raw.rate_limit.reset is not None and raw.rate_limit.reset.tzinfo is not None
    value = raw.parse()
    if name in (
        "delete_segment",
        "update_big_segment_context_targets",
        "update_big_segment_targets",
    ):
        assert exchange.status == 204 and value is None
    if exchange.method == "GET":  # the plain call returns the same thing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            plain = await CALLS[name](client, ids)
        if name in ("get_big_segment_import", "get_big_segment_export"):
            assert (type(value), value.id) == (type(plain), plain.id)  # polls move the job on
        else:
            assert value == plain
    returns = typing.get_type_hints(getattr(SegmentsClient, name))["return"]
    assert isinstance(value, type(None) if returns is None else returns)  # as the plain call


async def test_the_ids_of_jobs_and_204s_parse_as_the_plain_calls(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "big", unbounded=True)
    fake.add_segment(PROJECT, ENV, "gone")
    raw = await client.with_raw_response.create_big_segment_export(PROJECT, ENV, "big")
    assert isinstance(raw.parse(), str) and raw.headers["Location"].endswith(raw.parse())
    deleted = await client.with_raw_response.delete_segment(PROJECT, ENV, "gone")
    assert (deleted.status, deleted.parse()) == (204, None)


async def test_a_budget_the_answer_does_not_tell_is_none() -> None:
    from aiohttp import web
    from servers import segment_json, serving

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(segment_json("s"), headers={"X-Ratelimit-Reset": "garbage"})

    app = web.Application()
    app.router.add_get("/api/v2/segments/{p}/{e}/{s}", handler)
    async with serving(app) as url, SegmentsClient(api_key=API_KEY, base_url=url) as ld:
        raw = await ld.with_raw_response.get_segment(PROJECT, ENV, "s")
    assert raw.rate_limit == RateLimitInfo(None, None, None)
    assert isinstance(raw.parse(), UserSegment)


async def test_raw_calls_raise_what_the_plain_calls_raise(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    once = client.with_options(retry=RetryPolicy.disabled())
    with pytest.raises(NotFoundError):
        await once.with_raw_response.get_segment(PROJECT, ENV, "missing")
    with pytest.raises(ValueError, match="segment_key must not be empty"):
        await once.with_raw_response.get_segment(PROJECT, ENV, "")
    fake.add_segment(PROJECT, ENV, "s", included=["u1"])
    partial = [
        ins.add_expiring_target(target_type="included", context_key="u1", value=10**13),
        ins.add_expiring_target(target_type="included", context_key="nobody", value=10**13),
    ]
    with pytest.raises(PartialPatchError):
        await once.with_raw_response.patch_expiring_targets_for_segment(
            PROJECT, ENV, "s", partial, raise_on_partial=True
        )


@pytest.mark.malformed_responses
async def test_a_raw_call_of_a_body_that_is_no_model_is_a_decode_error(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    once = client.with_options(retry=RetryPolicy.disabled())
    fake.inject(Fault.status(200, body=b"{not json"), route=GET_SEGMENT)
    with pytest.raises(DecodeError) as caught:
        await once.with_raw_response.get_segment(PROJECT, ENV, "s")
    assert (caught.value.status, caught.value.method) == (200, "GET")


async def test_a_raw_call_reports_the_answer_of_its_last_attempt(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(503), times=2, route=GET_SEGMENT)
    raw = await client.with_raw_response.get_segment(PROJECT, ENV, "s")
    assert raw.status == 200 and raw.parse().key == "s"
    assert fake.requests[GET_SEGMENT] == 3


async def test_raw_calls_of_a_view_keep_its_options(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    fake.inject(Fault.status(503), route=GET_SEGMENT)
    once = client.with_options(retry=RetryPolicy.disabled())
    with pytest.raises(Exception, match="503"):
        await once.with_raw_response.get_segment(PROJECT, ENV, "s")
    assert fake.requests[GET_SEGMENT] == 1


# -- views ---------------------------------------------------------------------------


async def test_a_view_used_as_a_context_manager_leaves_its_client_open(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    fake.add_segment(PROJECT, ENV, "s")
    async with client.with_options(timeout=5) as view:
        assert (await view.get_segment(PROJECT, ENV, "s")).key == "s"
    assert not client.closed
    assert (await client.get_segment(PROJECT, ENV, "s")).key == "s"
    await client.with_options(retry=RetryPolicy.disabled()).close()
    assert (await client.get_segment(PROJECT, ENV, "s")).key == "s"
    assert (await view.get_segment(PROJECT, ENV, "s")).key == "s"  # the pool is still there


async def test_closing_the_client_closes_its_views(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    view = client.with_options(timeout=5)
    await client.close()
    assert view.closed
    with pytest.raises(RuntimeError, match="closed"):
        await view.get_segment(PROJECT, ENV, "s")


def test_with_options_checks_its_arguments() -> None:
    ld = SegmentsClient(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(TypeError, match="RetryPolicy"):
        ld.with_options(retry=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timeout"):
        ld.with_options(timeout="fast")  # type: ignore[arg-type]
    assert "RawResponses" in repr(ld.with_raw_response)
