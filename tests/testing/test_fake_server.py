"""The fake's plumbing: lifecycle, auth, routing on raw paths, counters, recording."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from raw_api import SEGMENTS, TOKEN, Api, enc

from ld_segments_async.testing import FakeLaunchDarkly

WEIRD_KEYS = [
    "a/b",
    "100%",
    "what?",
    "#hash",
    "with space",
    "..",
    ".",
    "plus+sign",
    "ünïcødé-☃",
    "a%2Fb",
    "semi;colon,comma",
    "expiring-targets",
]


async def test_start_and_close_are_idempotent() -> None:
    fake = FakeLaunchDarkly()
    with pytest.raises(RuntimeError):
        _ = fake.url
    await fake.start()
    url = fake.url
    await fake.start()
    assert fake.url == url
    assert url.startswith("http://127.0.0.1:")
    await fake.close()
    await fake.close()


async def test_closed_fake_refuses_connections() -> None:
    async with FakeLaunchDarkly() as fake:
        url = fake.url
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "/api/v2/projects/default/environments")


async def test_repr_hides_the_api_key() -> None:
    fake = FakeLaunchDarkly(api_key="super-secret-key")
    assert "super-secret-key" not in repr(fake)


async def test_default_projects(api: Api) -> None:
    answer = await api.get("/api/v2/projects/default/environments")
    assert answer.status == 200
    assert [env["key"] for env in answer.json["items"]] == ["production", "test"]


async def test_missing_authorization_is_401(fake: FakeLaunchDarkly) -> None:
    async with aiohttp.ClientSession() as session:
        api = Api(session, fake.url)
        answer = await api.get(SEGMENTS)
    assert answer.status == 401
    assert answer.json["code"] == "unauthorized"
    assert fake.exchanges[-1].had_authorization is False


async def test_wrong_token_is_401_and_never_echoed(fake: FakeLaunchDarkly) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": "wrong-token-xyz"}) as session:
        answer = await Api(session, fake.url).get(SEGMENTS)
    assert answer.status == 401
    assert b"wrong-token-xyz" not in answer.body
    exchange = fake.exchanges[-1]
    assert exchange.had_authorization is True
    assert exchange.request_headers["Authorization"] == "<redacted>"
    assert "wrong-token-xyz" not in repr(exchange)


async def test_any_token_works_without_api_key() -> None:
    async with FakeLaunchDarkly() as fake, aiohttp.ClientSession() as session:
        answer = await Api(session, fake.url).get(SEGMENTS, headers={"Authorization": "anything"})
    assert answer.status == 200


async def test_bearer_prefix_is_not_the_token(fake: FakeLaunchDarkly) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        answer = await Api(session, fake.url).get(SEGMENTS)
    assert answer.status == 401


async def test_unknown_path_is_404(api: Api) -> None:
    answer = await api.get("/api/v2/flags/default")
    assert answer.status == 404
    assert answer.json["code"] == "not_found"
    assert set(answer.json) == {"code", "message", "id"}


async def test_wrong_method_is_405_with_allow(api: Api) -> None:
    answer = await api.delete(SEGMENTS)
    assert answer.status == 405
    assert answer.json["code"] == "method_not_allowed"
    assert answer.headers["Allow"] == "GET, POST"


async def test_error_ids_are_fresh_uuids(api: Api) -> None:
    first = await api.get("/nope")
    second = await api.get("/nope")
    assert first.json["id"] != second.json["id"]
    assert len(first.json["id"]) == 36


@pytest.mark.parametrize("key", WEIRD_KEYS)
async def test_weird_keys_round_trip(fake: FakeLaunchDarkly, api: Api, key: str) -> None:
    created = await api.post(SEGMENTS, {"key": key, "name": "Weird"})
    assert created.status == 201
    assert created.json["key"] == key
    fetched = await api.get(f"{SEGMENTS}/{enc(key)}")
    assert fetched.status == 200
    assert fetched.json["key"] == key
    assert fetched.json["_links"]["self"]["href"] == f"{SEGMENTS}/{enc(key)}"
    assert fake.segment("default", "production", key) is not None


async def test_encoded_dots_decode_to_the_key(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "..")
    answer = await api.get(f"{SEGMENTS}/%2E%2E")
    assert answer.status == 200
    assert answer.json["key"] == ".."


async def test_empty_key_segment_is_not_a_segment(api: Api) -> None:
    answer = await api.get(f"{SEGMENTS}/")
    assert answer.status == 404


async def test_method_override_tunnels_delete(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "gone")
    answer = await api.request(
        "POST", f"{SEGMENTS}/gone", headers={"X-HTTP-Method-Override": "DELETE"}
    )
    assert answer.status == 204
    assert fake.segment("default", "production", "gone") is None


async def test_counters(fake: FakeLaunchDarkly, api: Api) -> None:
    await api.post(SEGMENTS, {"key": "s1", "name": "S1"})
    await api.post(SEGMENTS, {"key": "s1", "name": "S1"})
    await api.get(SEGMENTS)
    assert fake.requests[f"POST {SEGMENTS_TEMPLATE}"] == 2
    assert fake.requests[f"GET {SEGMENTS_TEMPLATE}"] == 1
    assert fake.statuses == {201: 1, 409: 1, 200: 1}
    assert fake.side_effects == {"create_segment": 1}
    fake.reset_counters()
    assert not fake.requests
    assert not fake.statuses
    assert not fake.side_effects
    assert fake.exchanges == []


SEGMENTS_TEMPLATE = "/api/v2/segments/{projectKey}/{environmentKey}"


async def test_exchange_record(fake: FakeLaunchDarkly, api: Api) -> None:
    await api.post(f"{SEGMENTS}?x=1&y=a%20b", {"key": "rec", "name": "Rec"})
    exchange = fake.exchanges[-1]
    assert exchange.method == "POST"
    assert exchange.route == SEGMENTS_TEMPLATE
    assert exchange.path == SEGMENTS
    assert exchange.query == {"x": "1", "y": "a b"}
    assert exchange.request_content_type == "application/json"
    assert b'"key": "rec"' in exchange.request_body
    assert exchange.status == 201
    assert exchange.response_headers["Content-Type"] == "application/json"
    assert exchange.response_body is not None
    assert b'"key":"rec"' in exchange.response_body


async def test_recorded_request_bodies_are_capped(fake: FakeLaunchDarkly, api: Api) -> None:
    await api.post(SEGMENTS, {"key": "big-body", "name": "x" * 100_000})
    assert len(fake.exchanges[-1].request_body) == 64 * 1024


async def test_record_false_keeps_counters_only() -> None:
    async with FakeLaunchDarkly(record=False) as fake, aiohttp.ClientSession() as session:
        await Api(session, fake.url).get(SEGMENTS, headers={"Authorization": "t"})
    assert fake.exchanges == []
    assert fake.statuses[200] == 1


async def test_in_flight_and_latency(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.latency = 0.05
    loop = asyncio.get_running_loop()
    started = loop.time()
    answers = await asyncio.gather(*(api.get(SEGMENTS) for _ in range(5)))
    assert loop.time() - started >= 0.05
    assert {answer.status for answer in answers} == {200}
    assert fake.max_in_flight == 5
    assert fake.in_flight == 0


async def test_non_json_body_is_400(api: Api) -> None:
    answer = await api.request(
        "POST", SEGMENTS, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert answer.json["code"] == "invalid_request"
