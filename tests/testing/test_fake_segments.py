"""Segments: create, get, list (paging, sorting), delete, and 404s on every route."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from raw_api import SEGMENTS, Api, enc

from ld_segments_async.testing import FakeLaunchDarkly

ALL_ROUTES = [
    ("GET", "/api/v2/projects/{p}/environments"),
    ("POST", "/api/v2/projects/{p}/environments/{e}/segments/evaluate"),
    ("GET", "/api/v2/segments/{p}/{e}"),
    ("POST", "/api/v2/segments/{p}/{e}"),
    ("GET", "/api/v2/segments/{p}/{e}/{s}"),
    ("PATCH", "/api/v2/segments/{p}/{e}/{s}"),
    ("DELETE", "/api/v2/segments/{p}/{e}/{s}"),
    ("POST", "/api/v2/segments/{p}/{e}/{s}/contexts"),
    ("GET", "/api/v2/segments/{p}/{e}/{s}/contexts/k"),
    ("POST", "/api/v2/segments/{p}/{e}/{s}/exports"),
    ("GET", "/api/v2/segments/{p}/{e}/{s}/exports/x"),
    ("POST", "/api/v2/segments/{p}/{e}/{s}/imports"),
    ("GET", "/api/v2/segments/{p}/{e}/{s}/imports/x"),
    ("POST", "/api/v2/segments/{p}/{e}/{s}/users"),
    ("GET", "/api/v2/segments/{p}/{e}/{s}/users/k"),
    ("GET", "/api/v2/segments/{p}/{s}/expiring-targets/{e}"),
    ("PATCH", "/api/v2/segments/{p}/{s}/expiring-targets/{e}"),
    ("GET", "/api/v2/segments/{p}/{s}/expiring-user-targets/{e}"),
    ("PATCH", "/api/v2/segments/{p}/{s}/expiring-user-targets/{e}"),
]


MISSING_RESOURCE_PATHS = [
    (method, template.format(p=project, e=environment, s="seg"))
    for method, template in ALL_ROUTES
    for project, environment in (("nope", "production"), ("default", "nope"))
    if "{e}" in template or environment == "production"
]


@pytest.mark.parametrize(("method", "path"), MISSING_RESOURCE_PATHS)
async def test_unknown_project_or_environment_is_404(api: Api, method: str, path: str) -> None:
    answer = await api.request(method, path, json_body={})
    assert answer.status == 404
    assert answer.json["code"] == "not_found"


async def test_create_returns_201_with_the_segment(fake: FakeLaunchDarkly, api: Api) -> None:
    body = {
        "key": "beta",
        "name": "Beta",
        "description": "Beta testers",
        "tags": ["t1"],
    }
    answer = await api.post(SEGMENTS, body)
    assert answer.status == 201
    segment = answer.json
    assert {k: segment[k] for k in body} == body
    assert segment["version"] == 1
    assert segment["unbounded"] is False
    assert segment["included"] == segment["excluded"] == []
    assert segment["creationDate"] == segment["lastModifiedDate"] > 1_600_000_000_000
    assert segment["_links"]["self"] == {"href": f"{SEGMENTS}/beta", "type": "application/json"}
    assert fake.side_effects["create_segment"] == 1


async def test_create_big_segment(api: Api) -> None:
    body = {"key": "big", "name": "Big", "unbounded": True, "unboundedContextKind": "device"}
    segment = (await api.post(SEGMENTS, body)).json
    assert segment["unbounded"] is True
    assert segment["unboundedContextKind"] == "device"
    assert "included" not in segment
    assert "excluded" not in segment
    assert segment["_importInProgress"] is False
    assert segment["_unboundedMetadata"]["includedCount"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "no key"},
        {"key": "no-name"},
        {"key": "", "name": "empty key"},
        {"key": 5, "name": "number key"},
        {"key": "k", "name": "N", "tags": "not-a-list"},
        {"key": "k", "name": "N", "tags": [1]},
        {"key": "k", "name": "N", "unbounded": "yes"},
        {"key": "k", "name": "N", "description": 3},
    ],
)
async def test_invalid_create_is_400(fake: FakeLaunchDarkly, api: Api, body: Any) -> None:
    answer = await api.post(SEGMENTS, body)
    assert answer.status == 400
    assert answer.json["code"] == "invalid_request"
    assert not fake.side_effects


async def test_duplicate_key_is_409_key_exists(api: Api) -> None:
    await api.post(SEGMENTS, {"key": "dup", "name": "Dup"})
    answer = await api.post(SEGMENTS, {"key": "dup", "name": "Dup again"})
    assert answer.status == 409
    assert answer.json["code"] == "key_exists"
    assert answer.json["message"] == "Duplicate segment key"


async def test_get_includes_flags_and_404s(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "one", description="d")
    answer = await api.get(f"{SEGMENTS}/one")
    assert answer.status == 200
    assert answer.json["_flags"] == []
    assert answer.json["description"] == "d"
    assert (await api.get(f"{SEGMENTS}/two")).status == 404


async def test_delete(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "doomed")
    answer = await api.delete(f"{SEGMENTS}/doomed")
    assert answer.status == 204
    assert answer.body == b""
    assert fake.segment("default", "production", "doomed") is None
    assert (await api.delete(f"{SEGMENTS}/doomed")).status == 404
    assert fake.side_effects["delete_segment"] == 1


def _seed(fake: FakeLaunchDarkly, count: int) -> None:
    for index in range(count):
        fake.add_segment("default", "production", f"seg-{index:03d}", name=f"Segment {index}")


async def test_list_defaults_to_20_with_links(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 45)
    page = (await api.get(SEGMENTS)).json
    assert len(page["items"]) == 20
    assert page["totalCount"] == 45
    links = page["_links"]
    assert links["self"]["href"] == f"{SEGMENTS}?limit=20&offset=0"
    assert links["first"]["href"] == f"{SEGMENTS}?limit=20&offset=0"
    assert links["next"]["href"] == f"{SEGMENTS}?limit=20&offset=20"
    assert links["last"]["href"] == f"{SEGMENTS}?limit=20&offset=40"
    assert "prev" not in links


async def test_following_next_visits_every_segment_once(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 23)
    seen: list[str] = []
    path: str | None = f"{SEGMENTS}?limit=5"
    while path:
        page = (await api.get(path)).json
        seen += [item["key"] for item in page["items"]]
        path = page["_links"].get("next", {}).get("href")
    assert seen == [f"seg-{i:03d}" for i in range(23)]


async def test_middle_page_has_prev_and_next(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 30)
    links = (await api.get(f"{SEGMENTS}?limit=10&offset=10")).json["_links"]
    assert links["prev"]["href"] == f"{SEGMENTS}?limit=10&offset=0"
    assert links["next"]["href"] == f"{SEGMENTS}?limit=10&offset=20"


async def test_last_page_has_no_next(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 30)
    page = (await api.get(f"{SEGMENTS}?limit=10&offset=20")).json
    assert len(page["items"]) == 10
    assert "next" not in page["_links"]
    empty = (await api.get(f"{SEGMENTS}?limit=10&offset=100")).json
    assert empty["items"] == []
    assert empty["totalCount"] == 30


async def test_links_keep_filter_and_sort_encoded(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 3)
    query = enc('query equals "seg"')
    answer = await api.get(f"{SEGMENTS}?limit=1&sort=-name&filter={query}")
    next_href = answer.json["_links"]["next"]["href"]
    assert next_href == (
        f"{SEGMENTS}?limit=1&offset=1&sort=-name&filter=query%20equals%20%22seg%22"
    )
    assert (await api.get(next_href)).json["items"][0]["key"] == "seg-001"


@pytest.mark.parametrize("query", ["limit=abc", "limit=-1", "offset=-5", "offset=1.5"])
async def test_bad_paging_is_400(api: Api, query: str) -> None:
    answer = await api.get(f"{SEGMENTS}?{query}")
    assert answer.status == 400


async def test_max_page_size_clamps_limit(fake: FakeLaunchDarkly, api: Api) -> None:
    _seed(fake, 12)
    fake.max_page_size = 5
    page = (await api.get(f"{SEGMENTS}?limit=50")).json
    assert len(page["items"]) == 5
    assert page["_links"]["next"]["href"] == f"{SEGMENTS}?limit=5&offset=5"


async def test_sort_by_several_fields(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "a", name="Same", creationDate=3, lastModifiedDate=5)
    fake.add_segment("default", "production", "b", name="Other", creationDate=2, lastModifiedDate=6)
    fake.add_segment("default", "production", "c", name="Same", creationDate=1, lastModifiedDate=4)

    async def keys(sort: str) -> list[str]:
        return [s["key"] for s in (await api.get(f"{SEGMENTS}?sort={sort}")).json["items"]]

    assert await keys("name,creationDate") == ["b", "c", "a"]
    assert await keys("-name,-creationDate") == ["a", "c", "b"]
    assert await keys("creationDate") == ["c", "b", "a"]
    assert await keys("-lastModified") == ["b", "a", "c"]


async def test_unknown_sort_field_is_400(api: Api) -> None:
    assert (await api.get(f"{SEGMENTS}?sort=key")).status == 400


async def test_list_shows_import_in_progress(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True)
    form = _csv_form(b"k1\n")
    assert (await api.request("POST", f"{SEGMENTS}/big/imports", data=form)).status == 204
    item = (await api.get(SEGMENTS)).json["items"][0]
    assert item["_importInProgress"] is True
    assert fake.segment("default", "production", "big")["_importInProgress"] is True  # type: ignore[index]


def _csv_form(content: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", content, filename="keys.csv", content_type="text/csv")
    return form


async def test_delete_during_import_is_409(fake: FakeLaunchDarkly, api: Api) -> None:
    fake.add_segment("default", "production", "big", unbounded=True)
    await api.request("POST", f"{SEGMENTS}/big/imports", data=_csv_form(b"k\n"))
    answer = await api.delete(f"{SEGMENTS}/big")
    assert answer.status == 409
    assert answer.json["code"] == "conflict"
    assert fake.segment("default", "production", "big") is not None


async def test_add_segment_validates(fake: FakeLaunchDarkly) -> None:
    with pytest.raises(ValueError, match="tags"):
        fake.add_segment("default", "production", "bad", tags="nope")
    with pytest.raises(ValueError, match="lists of strings"):
        fake.add_segment("default", "production", "big", unbounded=True, included="abc")
    with pytest.raises(ValueError, match="rules"):
        fake.add_segment("default", "production", "ruled", rules=None)
    with pytest.raises(KeyError):
        fake.add_segment("default", "nowhere", "x")
    fake.add_segment("default", "production", "ok")
    with pytest.raises(ValueError, match="already exists"):
        fake.add_segment("default", "production", "ok")


async def test_add_segment_gives_rules_ids(fake: FakeLaunchDarkly) -> None:
    rules = [{"clauses": [{"attribute": "email", "op": "endsWith", "values": ["@x"]}]}]
    segment = fake.add_segment("default", "production", "ruled", rules=rules)
    assert segment["rules"][0]["_id"]
    assert segment["rules"][0]["clauses"][0]["_id"]


async def test_big_segment_members_are_sets(fake: FakeLaunchDarkly) -> None:
    segment = fake.add_segment(
        "default", "production", "big", unbounded=True, included=["a", "b"], excluded=["c"]
    )
    assert "included" not in segment
    assert segment["_unboundedMetadata"]["includedCount"] == 2
    assert fake.big_segment_members("default", "production", "big") == {"a", "b"}
    assert fake.big_segment_members("default", "production", "big", "excluded") == {"c"}
