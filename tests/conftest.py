"""Shared fixtures: a FakeLaunchDarkly per test, a client on it, and suite-wide checks.

Every test that uses ``fake`` also gets, at teardown:
* every JSON response the fake sent validated against LaunchDarkly's OpenAPI schemas;
* every 2xx body decoded by a *strict* twin of our converter (unknown keys are errors),
  so the models cannot silently drift from what the server sends;
* every log line at DEBUG and every exception text scanned for the API key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from settings import API_KEY, ENV, FAST_RETRY, PROJECT
from spec_contract import check_exchanges
from strict_decoding import check_strict_decoding

from ld_segments_async import SegmentsClient, Timeout
from ld_segments_async.converter import make_converter
from ld_segments_async.testing import FakeLaunchDarkly

strict_converter = make_converter(strict=True)

# The same examples on every run, so a red run is one anyone can reproduce; set
# HYPOTHESIS_PROFILE=explore to search afresh.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def debug_logs() -> Iterator[_Capture]:
    """Capture every DEBUG line of the library and aiohttp; none may hold the key."""
    capture = _Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("ld_segments_async", "aiohttp", "backoff")]
    previous = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(capture)
    yield capture
    for lg, (level, _) in zip(loggers, previous, strict=True):
        lg.removeHandler(capture)
        lg.setLevel(level)
    leaked = [line for line in capture.lines if API_KEY in line]
    assert not leaked, f"API key in log lines: {leaked[:3]}"


@pytest.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeLaunchDarkly]:
    async with FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: [ENV, "staging"]}) as server:
        yield server
        if request.node.get_closest_marker("malformed_responses") is None:
            check_exchanges(server.exchanges)
            check_strict_decoding(server.exchanges, strict_converter)


@pytest.fixture
async def client(fake: FakeLaunchDarkly) -> AsyncIterator[SegmentsClient]:
    async with SegmentsClient(
        api_key=API_KEY,
        base_url=fake.url,
        retry=FAST_RETRY,
        timeout=Timeout(connect=5, read=5),
    ) as ld:
        yield ld
