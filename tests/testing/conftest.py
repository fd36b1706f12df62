"""Fixtures for the fake's own tests: a running fake and a raw HTTP helper on it.

Every exchange of the ``fake`` fixture is checked against the OpenAPI document at
teardown, so each test here also proves its answers keep to the spec.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from raw_api import TOKEN, Api
from spec_contract import check_exchanges

from ld_segments_async.testing import FakeLaunchDarkly


@pytest.fixture
async def fake() -> AsyncIterator[FakeLaunchDarkly]:
    async with FakeLaunchDarkly(api_key=TOKEN) as server:
        yield server
        check_exchanges(server.exchanges)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as client:
        yield client


@pytest.fixture
def api(fake: FakeLaunchDarkly, session: aiohttp.ClientSession) -> Api:
    return Api(session, fake.url)
