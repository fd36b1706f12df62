"""Every route and every kind of status, checked against the OpenAPI document.

The first test drives the fake through raw aiohttp and validates every recorded exchange
with ``spec_contract``; the others show that the checker itself catches what it should.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from raw_api import SEMANTIC, TOKEN, Api
from spec_contract import check_exchange, check_exchanges

from ld_segments_async.testing import Exchange, FakeLaunchDarkly, Fault, RateLimit

P, E = "proj", "prod"
SEGMENTS = f"/api/v2/segments/{P}/{E}"
SEGMENT_ROUTE = "/api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}"


@pytest.fixture
async def contract_fake() -> AsyncIterator[FakeLaunchDarkly]:
    async with FakeLaunchDarkly(
        api_key=TOKEN, projects={P: [E, "other"]}, separate_download_host=True
    ) as fake:
        yield fake


def csv_form(content: bytes, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", io.BytesIO(content), filename="keys.csv")
    return form


async def drive_every_route(fake: FakeLaunchDarkly, api: Api) -> None:
    """Successes on all 19 operations, then each error status LaunchDarkly uses."""
    seg = f"{SEGMENTS}/seg"
    big = f"{SEGMENTS}/big"
    semantic = {"Content-Type": SEMANTIC}
    await api.get(f"/api/v2/projects/{P}/environments?limit=1")
    await api.post(SEGMENTS, {"key": "seg", "name": "Seg", "description": "d", "tags": ["t"]})
    await api.post(SEGMENTS, {"key": "big", "name": "Big", "unbounded": True})
    await api.get(f"{SEGMENTS}?limit=1&sort=name&filter=tags%20anyOf%20%5B%22t%22%5D")
    await api.get(seg)
    await api.patch(seg, [{"op": "add", "path": "/included/-", "value": "u1"}])
    await api.patch(seg, {"merge": {"description": "merged"}})
    rule = {"kind": "addRule", "clauses": [{"attribute": "a", "op": "in", "values": [1]}]}
    add_org = {"kind": "addIncludedTargets", "contextKind": "org", "values": ["o1"]}
    await api.semantic(seg, {"environmentKey": E, "instructions": [rule, add_org]})
    evaluate = f"/api/v2/projects/{P}/environments/{E}/segments/evaluate"
    await api.post(evaluate, {"kind": "multi", "user": {"key": "u1", "a": 1}, "org": {"key": "o1"}})
    for route in ("contexts", "users"):
        await api.post(f"{big}/{route}", {"included": {"add": ["k1"]}, "excluded": {"add": ["k2"]}})
        await api.get(f"{big}/{route}/k1")
    location = (await api.request("POST", f"{big}/imports", data=csv_form(b"a\nb\n"))).headers[
        "Location"
    ]
    for _ in range(2):
        await api.get(location)
    export = (await api.post(f"{big}/exports")).headers["Location"]
    for _ in range(2):
        job = (await api.get(export)).json
    async with aiohttp.ClientSession() as anonymous:
        await Api(anonymous, fake.url).get(job["_links"]["download"]["href"])
    expiring = f"/api/v2/segments/{P}/seg/expiring-targets/{E}"
    user_expiring = f"/api/v2/segments/{P}/seg/expiring-user-targets/{E}"
    instruction = {
        "kind": "addExpiringTarget",
        "targetType": "included",
        "contextKey": "o1",
        "contextKind": "org",
        "value": 1_900_000_000_000,
    }
    await api.semantic(expiring, {"instructions": [instruction, instruction]})
    await api.get(expiring)
    user_instruction = {
        "kind": "addExpireUserTargetDate",
        "targetType": "included",
        "userKey": "u1",
        "value": 1_900_000_000_000,
    }
    await api.semantic(user_expiring, {"instructions": [user_instruction]})
    await api.get(user_expiring)

    # 400, 404, 405, 409, 422
    await api.post(SEGMENTS, {"name": "no key"})
    await api.get(f"{SEGMENTS}?filter=tags%20anyOf")
    await api.get(f"{SEGMENTS}/missing")
    await api.get("/api/v2/unknown")
    await api.request("PUT", seg)
    await api.post(SEGMENTS, {"key": "seg", "name": "again"})
    await api.patch(seg, [{"op": "test", "path": "/version", "value": 42}])
    await api.request("POST", f"{big}/imports", data=csv_form(b"c\n"))
    await api.delete(big)
    await api.patch(seg, [{"op": "replace", "path": "/name", "value": 7}])
    await api.request("PATCH", expiring, json_body={"instructions": []}, headers=semantic)
    await api.get(f"{big}/imports/unknown")
    # 401
    async with aiohttp.ClientSession() as anonymous:
        await Api(anonymous, fake.url).get(SEGMENTS)
    # Faults and the rate limiter: 429, 5xx, HTML, empty, truncated, dropped
    for fault in (
        Fault.rate_limited(),
        Fault.status(500),
        Fault.status(503, after=True),
        Fault.html(),
        Fault.empty(),
    ):
        fake.inject(fault)
        await api.get(seg)
    fake.inject(Fault.truncate())
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.get(seg)
    fake.rate_limit = RateLimit(requests=0)
    await api.get(seg)
    fake.rate_limit = None
    await api.delete(seg)


async def test_every_route_and_status_keeps_to_the_spec(contract_fake: FakeLaunchDarkly) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as session:
        await drive_every_route(contract_fake, Api(session, contract_fake.url))
    exchanges = contract_fake.exchanges
    check_exchanges(exchanges)
    routes = {(e.method, e.route) for e in exchanges if e.route is not None and e.status < 300}
    assert len(routes) == 19
    statuses = {e.status for e in exchanges}
    assert {200, 201, 204, 400, 401, 404, 405, 409, 422, 429, 500, 502, 503} <= statuses


def exchange(**changes: object) -> Exchange:
    base = Exchange(
        method="GET",
        route=SEGMENT_ROUTE,
        path=f"{SEGMENTS}/seg",
        query={},
        request_headers={},
        had_authorization=True,
        request_content_type=None,
        request_body=b"",
        status=200,
        response_headers={"Content-Type": "application/json"},
        response_body=json.dumps({"key": "seg"}).encode(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_checker_rejects_a_body_missing_required_fields() -> None:
    with pytest.raises(AssertionError, match="UserSegment"):
        check_exchange(exchange())


def test_checker_rejects_a_wrongly_typed_field() -> None:
    body = {"items": [], "_links": {}, "totalCount": "many"}
    bad = exchange(
        route="/api/v2/segments/{projectKey}/{environmentKey}",
        response_body=json.dumps(body).encode(),
    )
    with pytest.raises(AssertionError, match="totalCount"):
        check_exchange(bad)


def test_checker_rejects_a_body_on_a_no_body_status() -> None:
    with pytest.raises(AssertionError, match="no body"):
        check_exchange(exchange(method="DELETE", status=204, response_body=b"{}"))
    check_exchange(exchange(method="DELETE", status=204, response_body=b""))


def test_checker_wants_the_error_shape_on_undeclared_statuses() -> None:
    with pytest.raises(AssertionError, match="generic error"):
        check_exchange(exchange(status=503, response_body=b'{"oops": true}'))
    check_exchange(exchange(status=503, response_body=b'{"code": "x", "message": "y"}'))


def test_checker_wants_json_on_success() -> None:
    with pytest.raises(AssertionError, match="expected JSON"):
        check_exchange(exchange(response_headers={"Content-Type": "text/html"}, response_body=None))


def test_checker_rejects_routes_outside_the_spec() -> None:
    with pytest.raises(AssertionError, match="not in the spec"):
        check_exchange(exchange(method="PUT"))


def test_check_exchanges_lists_every_failure() -> None:
    with pytest.raises(AssertionError, match="2 exchange"):
        check_exchanges([exchange(), exchange(method="PUT"), exchange(status=0)])
