"""The list-segments ``filter`` language, through the HTTP API."""

from __future__ import annotations

import pytest
from raw_api import SEGMENTS, Api, enc

from ld_segments_async.testing import FakeLaunchDarkly


@pytest.fixture
def seeded(fake: FakeLaunchDarkly) -> FakeLaunchDarkly:
    add = fake.add_segment
    add("default", "production", "alpha", name="Alpha Team", tags=["beta", "eu"])
    add("default", "production", "bravo", name="Bravo", description="Toggle testers", tags=["us"])
    add("default", "production", "charlie", name='Quote "C", pipe | and (paren)', tags=[])
    add("default", "production", "delta", name="Délta", unbounded=True, tags=["beta"])
    add("default", "production", "echo", name="Echo", unbounded=True, _external="amplitude")
    return fake


async def keys(api: Api, expression: str) -> list[str]:
    answer = await api.get(f"{SEGMENTS}?filter={enc(expression)}")
    assert answer.status == 200, answer.body
    return [item["key"] for item in answer.json["items"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('tags anyOf ["beta"]', ["alpha", "delta"]),
        ('tags anyOf ["us", "eu"]', ["alpha", "bravo"]),
        ('tags anyOf ["nope"]', []),
        ('query equals "TOGGLE"', ["bravo"]),
        ('query equals "team"', ["alpha"]),
        ('query equals "echo"', ["echo"]),
        ('query equals ["bravo", "charlie"]', ["bravo", "charlie"]),
        ('query equals "D\\u00e9lta"', ["delta"]),
        ('query equals "\\"C\\", pipe | and (paren)"', ["charlie"]),
        ("unbounded equals true", ["delta", "echo"]),
        ("unbounded equals false", ["alpha", "bravo", "charlie"]),
        ("external exists", ["echo"]),
        ("external exists true", ["echo"]),
        ("external exists false", ["alpha", "bravo", "charlie", "delta"]),
        ('includedKeys anyOf ["alpha", "echo", "zulu"]', ["alpha", "echo"]),
        ('excludedKeys anyOf ["alpha", "echo"]', ["bravo", "charlie", "delta"]),
        ('view anyOf ["some-view"]', ["alpha", "bravo", "charlie", "delta", "echo"]),
        ('view equals "some-view"', ["alpha", "bravo", "charlie", "delta", "echo"]),
    ],
)
async def test_single_clauses(
    seeded: FakeLaunchDarkly, api: Api, expression: str, expected: list[str]
) -> None:
    assert await keys(api, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('tags anyOf ["beta"],unbounded equals false', ["alpha"]),
        ('tags anyOf ["beta"] , unbounded equals true', ["delta"]),
        ('tags anyOf ["us"]|external exists', ["bravo", "echo"]),
        # AND binds tighter than OR: us | (beta AND big)
        ('tags anyOf ["us"]|tags anyOf ["beta"],unbounded equals true', ["bravo", "delta"]),
        ('(tags anyOf ["us"]|tags anyOf ["beta"]),unbounded equals true', ["delta"]),
        ('((includedKeys anyOf ["alpha"]))', ["alpha"]),
        ('unbounded equals true,(external exists|query equals "del")', ["delta", "echo"]),
    ],
)
async def test_combinations(
    seeded: FakeLaunchDarkly, api: Api, expression: str, expected: list[str]
) -> None:
    assert await keys(api, expression) == expected


async def test_filter_applies_before_paging(seeded: FakeLaunchDarkly, api: Api) -> None:
    expression = enc("unbounded equals false")
    page = (await api.get(f"{SEGMENTS}?limit=2&filter={expression}")).json
    assert [item["key"] for item in page["items"]] == ["alpha", "bravo"]
    assert page["totalCount"] == 3


@pytest.mark.parametrize(
    "expression",
    [
        "tags",
        "tags anyOf",
        'tags anyOf "beta"',
        "tags anyOf [1, 2]",
        'tags anyOf ["unterminated',
        'tags equals ["beta"]',
        "unbounded equals yes",
        'unbounded equals "true"',
        "external exists maybe",
        'name equals "x"',
        'query anyOf ["x"]',
        "query equals 5",
        '(tags anyOf ["beta"]',
        'tags anyOf ["beta"])',
        'tags anyOf ["beta"],',
        '|tags anyOf ["beta"]',
        'tags anyOf ["a"] extra',
        "!",
        'query equals "bad \\x escape"',
    ],
)
async def test_malformed_filters_are_400(
    seeded: FakeLaunchDarkly, api: Api, expression: str
) -> None:
    answer = await api.get(f"{SEGMENTS}?filter={enc(expression)}")
    assert answer.status == 400
    assert answer.json["code"] == "invalid_request"
    assert "filter" in answer.json["message"].lower()
