"""``GET /api/v2/projects/{projectKey}/environments``."""

from __future__ import annotations

import pytest
from raw_api import Api, enc

from ld_segments_async.testing import FakeLaunchDarkly

ENVIRONMENTS = "/api/v2/projects/shop/environments"


@pytest.fixture
def shop(fake: FakeLaunchDarkly) -> FakeLaunchDarkly:
    fake.add_project("shop")
    fake.add_environment("shop", "prod", name="Production", tags=["live", "eu"], critical=True)
    fake.add_environment("shop", "staging", name="Staging", tags=["eu"])
    fake.add_environment("shop", "dev", name="Abc Dev", tags=["live"])
    return fake


async def keys(api: Api, query: str = "") -> list[str]:
    answer = await api.get(f"{ENVIRONMENTS}{query}")
    assert answer.status == 200
    return [item["key"] for item in answer.json["items"]]


async def test_items_are_full_environments(shop: FakeLaunchDarkly, api: Api) -> None:
    page = (await api.get(ENVIRONMENTS)).json
    assert page["totalCount"] == 3
    prod = page["items"][0]
    assert prod["key"] == "prod"
    assert prod["name"] == "Production"
    assert prod["critical"] is True
    assert prod["tags"] == ["live", "eu"]
    assert prod["apiKey"].startswith("sdk-")
    assert prod["mobileKey"].startswith("mob-")
    assert len(prod["_id"]) == 24
    assert prod["_links"]["self"]["href"] == f"{ENVIRONMENTS}/prod"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["prod", "staging", "dev"]),
        (f"?filter={enc('query:ABC')}", ["dev"]),
        (f"?filter={enc('query:stag')}", ["staging"]),
        (f"?filter={enc('tags:live+eu')}", ["prod"]),
        ("?filter=tags:eu", ["prod", "staging"]),
        (f"?filter={enc('query:d,tags:live')}", ["prod", "dev"]),
        ("?sort=name", ["dev", "prod", "staging"]),
        ("?sort=-name", ["staging", "prod", "dev"]),
        ("?sort=-critical,name", ["prod", "dev", "staging"]),
        ("?sort=createdOn&limit=2&offset=1", ["staging", "dev"]),
    ],
)
async def test_filter_sort_page(
    shop: FakeLaunchDarkly, api: Api, query: str, expected: list[str]
) -> None:
    assert await keys(api, query) == expected


async def test_paging_links(shop: FakeLaunchDarkly, api: Api) -> None:
    links = (await api.get(f"{ENVIRONMENTS}?limit=1&offset=1")).json["_links"]
    assert links["prev"]["href"] == f"{ENVIRONMENTS}?limit=1&offset=0"
    assert links["next"]["href"] == f"{ENVIRONMENTS}?limit=1&offset=2"


@pytest.mark.parametrize("query", ["?filter=color:red", "?sort=color", "?limit=x"])
async def test_bad_queries_are_400(shop: FakeLaunchDarkly, api: Api, query: str) -> None:
    assert (await api.get(f"{ENVIRONMENTS}{query}")).status == 400


async def test_unknown_project_is_404(api: Api) -> None:
    assert (await api.get("/api/v2/projects/nope/environments")).status == 404
