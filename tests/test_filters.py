"""The filter builder: rendering, validation, and a round trip of arbitrary strings
through the fake's parser of LaunchDarkly's filter language."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from settings import API_KEY, ENV, PROJECT

from ld_segments_async import SegmentsClient
from ld_segments_async.filters import Filter, any_of, equals, exists, sort_by
from ld_segments_async.testing import FakeLaunchDarkly


def test_rendering_matches_launchdarkly_syntax() -> None:
    expression = any_of("tags", ["a", "b"]) & equals("query", "x")
    assert str(expression) == 'tags anyOf ["a","b"],query equals "x"'
    assert str(exists("external")) == "external exists"
    assert str(equals("unbounded", True)) == "unbounded equals true"


def test_mixed_operators_are_grouped_explicitly() -> None:
    a, b, c = any_of("tags", ["a"]), exists("external"), equals("unbounded", False)
    assert str((a | b) & c) == '(tags anyOf ["a"]|external exists),unbounded equals false'
    assert str(a | (b & c)) == 'tags anyOf ["a"]|(external exists,unbounded equals false)'
    assert str(a & b & c) == 'tags anyOf ["a"],external exists,unbounded equals false'


def test_values_are_quoted_as_json() -> None:
    tricky = 'q"u,o|t(e)[s] \\ é 🚀'
    assert str(any_of("tags", [tricky])) == 'tags anyOf ["q\\"u,o|t(e)[s] \\\\ é 🚀"]'


@pytest.mark.parametrize(
    "build",
    [
        lambda: equals("tags", "a"),
        lambda: any_of("query", ["a"]),
        lambda: any_of("tags", []),
        lambda: any_of("tags", "abc"),
        lambda: exists("tags"),
        lambda: any_of("bad field", ["a"]),
        lambda: sort_by("size"),
        lambda: sort_by(),
    ],
)
def test_invalid_expressions_fail_when_built(build: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        build()  # type: ignore[operator]


def test_combining_with_a_string_is_refused() -> None:
    with pytest.raises(TypeError):
        any_of("tags", ["a"]) & "query equals x"  # type: ignore[operator]


def test_sort() -> None:
    assert str(sort_by("-lastModified", "name")) == "-lastModified,name"


async def run_filter(tags: list[str], query: str, expression: Filter) -> list[str]:
    async with FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: [ENV]}) as fake:
        fake.add_segment(PROJECT, ENV, "match", name=query, tags=tags)
        fake.add_segment(PROJECT, ENV, "other", name="zzz-unrelated", tags=["zzz-other"])
        async with SegmentsClient(API_KEY, base_url=fake.url) as ld:
            return sorted([s.key async for s in ld.iter_segments(PROJECT, ENV, filter=expression)])


text = st.text(min_size=1, max_size=20).filter(lambda s: "zzz" not in s.lower())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag=text, query=text)
def test_any_string_survives_the_round_trip(tag: str, query: str) -> None:
    by_tag = any_of("tags", [tag])
    by_query = equals("query", query)
    assert asyncio.run(run_filter([tag], query, by_tag)) == ["match"]
    assert asyncio.run(run_filter([tag], query, by_tag & by_query)) == ["match"]
    assert asyncio.run(run_filter([tag], query, by_tag | exists("external"))) == ["match"]
