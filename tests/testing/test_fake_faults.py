"""Injected faults: queued with ``inject`` or drawn from a ``FaultPlan``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from raw_api import SEGMENTS, TOKEN, Api

from ld_segments_async.testing import FakeLaunchDarkly, Fault, FaultPlan

CREATE = "POST /api/v2/segments/{projectKey}/{environmentKey}"
LIST = "GET /api/v2/segments/{projectKey}/{environmentKey}"


def created(fake: FakeLaunchDarkly, key: str) -> bool:
    return fake.segment("default", "production", key) is not None


@pytest.fixture
async def fresh_connections(fake: FakeLaunchDarkly) -> AsyncIterator[Api]:
    """A client that opens a new connection per request (no silent retry on reuse)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": TOKEN}) as s:
        yield Api(s, fake.url)


async def test_status_fault_default_body(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.status(503), route=LIST)
    answer = await api.get(SEGMENTS)
    assert answer.status == 503
    assert answer.json["code"] == "internal_server_error"
    assert "X-Ratelimit-Reset" in answer.headers
    assert (await api.get(SEGMENTS)).status == 200
    assert fake.faults_injected == {"status": 1}


async def test_status_fault_custom_body_and_headers(fake: FakeLaunchDarkly, api: Api) -> None:
    body = {"code": "forbidden", "message": "no"}
    fake.inject(Fault.status(403, body=body, headers={"X-Extra": "1"}))
    answer = await api.get(SEGMENTS)
    assert (answer.status, answer.json, answer.headers["X-Extra"]) == (403, body, "1")


async def test_fault_before_side_effect(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.status(500), route=CREATE)
    answer = await api.post(SEGMENTS, {"key": "k", "name": "K"})
    assert answer.status == 500
    assert not created(fake, "k")
    assert not fake.side_effects


async def test_fault_after_side_effect(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.status(500, after=True), route=CREATE)
    answer = await api.post(SEGMENTS, {"key": "k", "name": "K"})
    assert answer.status == 500
    assert created(fake, "k")
    assert fake.side_effects["create_segment"] == 1
    retry = await api.post(SEGMENTS, {"key": "k", "name": "K"})
    assert retry.json["code"] == "key_exists"


async def test_times_and_route_matching(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.status(502), route=CREATE, times=2)
    assert (await api.get(SEGMENTS)).status == 200
    statuses = [(await api.post(SEGMENTS, {"key": f"k{i}", "name": "K"})).status for i in range(3)]
    assert statuses == [502, 502, 201]


async def test_unknown_route_name_is_refused(fake: FakeLaunchDarkly) -> None:
    with pytest.raises(ValueError, match="route"):
        fake.inject(Fault.drop(), route="GET /api/v2/flags")


@pytest.mark.parametrize(
    ("fault", "retry_after", "has_ratelimit_headers"),
    [
        (Fault.rate_limited(), "1", True),
        (Fault.rate_limited(retry_after=2.2), "3", True),
        (Fault.rate_limited(retry_after=None), None, True),
        (Fault.rate_limited(retry_after=None, ratelimit_headers=False), None, False),
    ],
)
async def test_rate_limited_fault(
    fake: FakeLaunchDarkly,
    api: Api,
    fault: Fault,
    retry_after: str | None,
    has_ratelimit_headers: bool,
) -> None:
    fake.inject(fault)
    answer = await api.get(SEGMENTS)
    assert answer.status == 429
    assert answer.json["code"] == "rate_limited"
    assert answer.headers.get("Retry-After") == retry_after
    assert ("X-Ratelimit-Reset" in answer.headers) is has_ratelimit_headers
    if has_ratelimit_headers:
        assert answer.headers["X-Ratelimit-Route-Remaining"] == "0"
    assert fake.rate_limited == 1


async def test_drop(fake: FakeLaunchDarkly, fresh_connections: Api) -> None:
    fake.inject(Fault.drop(), route=CREATE)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fresh_connections.post(SEGMENTS, {"key": "k", "name": "K"})
    assert not created(fake, "k")
    assert fake.statuses[0] == 1
    assert fake.exchanges[-1].status == 0


async def test_drop_after_applies(fake: FakeLaunchDarkly, fresh_connections: Api) -> None:
    fake.inject(Fault.drop(after=True), route=CREATE)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await fresh_connections.post(SEGMENTS, {"key": "k", "name": "K"})
    assert created(fake, "k")


async def test_truncate_cuts_the_real_body(fake: FakeLaunchDarkly, fresh_connections: Api) -> None:
    for index in range(10):
        fake.add_segment("default", "production", f"s{index}")
    fake.inject(Fault.truncate(), route=LIST)
    with pytest.raises(aiohttp.ClientPayloadError):
        await fresh_connections.get(SEGMENTS)
    exchange = fake.exchanges[-1]
    assert exchange.status == 200
    assert exchange.response_body is None
    promised = int(exchange.response_headers["Content-Length"])
    assert promised > 100


@pytest.mark.parametrize("after", [False, True])
async def test_truncate_write(fake: FakeLaunchDarkly, fresh_connections: Api, after: bool) -> None:
    fake.inject(Fault.truncate(after=after), route=CREATE)
    with pytest.raises(aiohttp.ClientPayloadError):
        await fresh_connections.post(SEGMENTS, {"key": "k", "name": "K"})
    assert created(fake, "k") is after


async def test_slow(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.slow(0.2))
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await api.get(SEGMENTS)
    assert answer.status == 200
    assert loop.time() - started >= 0.2


async def test_slow_write_abandoned_by_client_is_not_applied(
    fake: FakeLaunchDarkly, fresh_connections: Api
) -> None:
    fake.inject(Fault.slow(0.3), route=CREATE)
    session = fresh_connections.session
    with pytest.raises(asyncio.TimeoutError):
        await session.post(
            f"{fake.url}{SEGMENTS}",
            json={"key": "k", "name": "K"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    # Closing waits for the handler still sleeping on the server side.
    await fake.close()
    assert not created(fake, "k")
    assert fake.exchanges[-1].status == 0


async def test_slow_after_applies_then_delays(
    fake: FakeLaunchDarkly, fresh_connections: Api
) -> None:
    fake.inject(Fault.slow(0.3, after=True), route=CREATE)
    with pytest.raises(asyncio.TimeoutError):
        await fresh_connections.session.post(
            f"{fake.url}{SEGMENTS}",
            json={"key": "k", "name": "K"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        )
    await fake.close()
    assert created(fake, "k")


async def test_html_page(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.html())
    answer = await api.get(SEGMENTS)
    assert answer.status == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.body.startswith(b"<html>")
    assert "X-Ratelimit-Reset" not in answer.headers
    assert fake.exchanges[-1].response_body is None


async def test_empty(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.inject(Fault.empty(503))
    answer = await api.get(SEGMENTS)
    assert (answer.status, answer.body) == (503, b"")
    assert "Content-Type" not in answer.headers


async def test_fault_plan(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.faults = FaultPlan(rate=1.0, kinds=[Fault.status(500), Fault.status(503)], routes=[LIST])
    statuses = {(await api.get(SEGMENTS)).status for _ in range(20)}
    other = await api.get("/api/v2/projects/default/environments")
    assert statuses == {500, 503}
    assert other.status == 200
    assert fake.faults_injected["status"] == 20


async def test_fault_plan_is_reproducible() -> None:
    plans = [FaultPlan(rate=0.3, kinds=[Fault.drop(), Fault.html()], seed=7) for _ in range(2)]
    draws = [[plan.draw(LIST) for _ in range(50)] for plan in plans]
    assert draws[0] == draws[1]
    hits = [fault for fault in draws[0] if fault is not None]
    assert 5 < len(hits) < 30


async def test_queued_faults_come_before_the_plan(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.faults = FaultPlan(rate=1.0, kinds=[Fault.status(500)])
    fake.inject(Fault.status(418))
    assert [(await api.get(SEGMENTS)).status for _ in range(2)] == [418, 500]


async def test_download_faults(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True, included=["a", "b"])
    location = (await api.post(f"{SEGMENTS}/big/exports")).headers["Location"]
    job = [(await api.get(location)).json for _ in range(2)][-1]
    href = job["_links"]["download"]["href"]
    fake.inject(Fault.status(500), route=FakeLaunchDarkly.DOWNLOAD_ROUTE)
    assert (await api.get(href)).status == 500
    assert (await api.get(href)).status == 200
