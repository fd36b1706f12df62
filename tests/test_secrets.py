"""The API key never shows up in a repr, an exception, a traceback or a log line.

(The autouse ``debug_logs`` fixture of conftest also checks every DEBUG line of every
test of the suite for the key.)
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import traceback
from collections.abc import Iterator, Mapping

import pytest
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import (
    LaunchDarklyError,
    RetryPolicy,
    SegmentBody,
    SegmentsClient,
    Timeout,
)
from ld_segments_async.testing import FakeLaunchDarkly, Fault


def formatted(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


@pytest.mark.malformed_responses
async def test_no_error_text_or_traceback_holds_the_key(
    fake: FakeLaunchDarkly, debug_logs: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_segment(PROJECT, ENV, "s")
    faults = [
        Fault.status(400),
        Fault.status(401),
        Fault.status(409),
        Fault.rate_limited(retry_after=None, ratelimit_headers=False),
        Fault.status(500),
        Fault.html(502),
        Fault.empty(503),
        Fault.truncate(),
        Fault.drop(),
        Fault.slow(0.5),
        Fault.status(200, body=b"not json"),
    ]
    errors: list[LaunchDarklyError] = []
    async with SegmentsClient(
        API_KEY,
        base_url=fake.url,
        retry=RetryPolicy(max_attempts=2, base_delay=0.001),
        timeout=Timeout(read=0.2),
    ) as ld:
        for fault in faults:
            fake.inject(fault, times=2)
            try:
                await ld.get_segment(PROJECT, ENV, "s")
            except LaunchDarklyError as error:
                errors.append(error)
            fake.reset_counters()
        try:
            await ld.post_segment(PROJECT, ENV, SegmentBody(key="s", name="dup"))
        except LaunchDarklyError as error:
            errors.append(error)

    assert len(errors) == len(faults) + 1
    for error in errors:
        for text in (str(error), repr(error), formatted(error), repr(vars(error))):
            assert API_KEY not in text
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    assert all(API_KEY not in line for line in debug_logs.lines)  # type: ignore[attr-defined]


async def test_connection_errors_do_not_leak_the_key() -> None:
    async with SegmentsClient(
        API_KEY, base_url="http://127.0.0.1:9", retry=RetryPolicy.disabled()
    ) as ld:
        with pytest.raises(LaunchDarklyError) as caught:
            await ld.get_segments(PROJECT, ENV)
    assert API_KEY not in formatted(caught.value)
    assert caught.value.__cause__ is None


def test_no_repr_holds_the_key() -> None:
    client = SegmentsClient(API_KEY)
    view = client.with_options(retry=RetryPolicy.disabled())
    for text in (repr(client), str(client), repr(view), repr(client.config), repr(vars(client))):
        assert API_KEY not in text


async def test_the_fake_never_records_the_key(
    client: SegmentsClient, fake: FakeLaunchDarkly
) -> None:
    await client.get_segments(PROJECT, ENV)
    assert fake.exchanges[-1].had_authorization
    assert API_KEY not in repr(fake.exchanges)


def _strings(value: object, depth: int, seen: set[int]) -> Iterator[str]:
    """Every string reachable from ``value`` through containers and attributes."""
    if depth < 0 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("utf-8", "replace")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key, depth - 1, seen)
            yield from _strings(item, depth - 1, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item, depth - 1, seen)
    else:
        if isinstance(value, BaseException):
            for linked in (value.args, value.__cause__, value.__context__):
                yield from _strings(linked, depth - 1, seen)
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict):
            yield from _strings(state, depth - 1, seen)
        for name in getattr(type(value), "__slots__", ()):
            yield from _strings(getattr(value, name, None), depth - 1, seen)


def _frame_values(error: BaseException) -> Iterator[str]:
    """What a reporter that captures frame variables could show: each local of each
    frame of the traceback, as a string, a container of strings, or its repr."""
    tb = error.__traceback__
    while tb is not None:
        for local in tb.tb_frame.f_locals.values():
            if isinstance(local, (str, bytes, Mapping, list, tuple, set)):
                yield from _strings(local, 4, set())
            else:
                yield repr(local)
        tb = tb.tb_next


async def _errors_of_each_kind() -> dict[str, LaunchDarklyError]:
    from aiohttp import web
    from servers import serving

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response()

    async def not_json(request: web.Request) -> web.Response:
        return web.Response(body=b"{not json")

    async def missing(request: web.Request) -> web.Response:
        return web.json_response({"code": "not_found", "message": "no"}, status=404)

    app = web.Application()
    app.router.add_get("/api/v2/segments/p/e/slow", slow)
    app.router.add_get("/api/v2/segments/p/e/garbled", not_json)
    app.router.add_get("/api/v2/segments/p/e/missing", missing)
    errors: dict[str, LaunchDarklyError] = {}
    async with serving(app) as url:
        calls = {
            "ApiError": ("missing", url),
            "DecodeError": ("garbled", url),
            "RequestTimeoutError": ("slow", url),
            "TransportError": ("s", "http://127.0.0.1:9"),
        }
        for kind, (segment, base) in calls.items():
            async with SegmentsClient(
                API_KEY, base_url=base, retry=RetryPolicy.disabled(), timeout=Timeout(read=0.05)
            ) as ld:
                try:
                    await ld.get_segment("p", "e", segment)
                except LaunchDarklyError as error:
                    errors[kind] = error
    return errors


async def test_the_key_is_unreachable_from_any_kind_of_error() -> None:
    errors = await _errors_of_each_kind()
    assert sorted(errors) == ["ApiError", "DecodeError", "RequestTimeoutError", "TransportError"]
    for kind, error in errors.items():
        rendered = "".join(
            traceback.TracebackException(
                type(error), error, error.__traceback__, capture_locals=True
            ).format()
        )
        assert API_KEY not in rendered, f"{kind}: in a traceback rendered with locals"
        assert not any(API_KEY in text for text in _frame_values(error)), f"{kind}: in a frame"
        reachable = list(_strings(error, 8, set()))
        assert not any(API_KEY in text for text in reachable), f"{kind}: in its chain"
        assert API_KEY.encode() not in pickle.dumps(error), f"{kind}: in its pickle"


def test_a_client_refuses_to_be_pickled() -> None:
    client = SegmentsClient(API_KEY)
    for thing in (client, client.with_options(retry=RetryPolicy.disabled()), client._transport):
        with pytest.raises(TypeError, match=r"pickle|API key"):
            pickle.dumps(thing)
    with pytest.raises(TypeError):
        pickle.dumps(client._transport._credential)
