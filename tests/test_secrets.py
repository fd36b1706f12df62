"""The API key never shows up in a repr, an exception, a traceback or a log line.

(The autouse ``debug_logs`` fixture of conftest also checks every DEBUG line of every
test of the suite for the key.)
"""

from __future__ import annotations

import logging
import traceback

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
