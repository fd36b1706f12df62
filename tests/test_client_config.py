"""Configuration, headers and lifecycle of SegmentsClient."""

from __future__ import annotations

import asyncio
import threading

import aiohttp
import pytest
from settings import API_KEY, ENV, PROJECT

import ld_segments_async
from ld_segments_async import RetryPolicy, SegmentsClient, Timeout
from ld_segments_async.testing import FakeLaunchDarkly


def test_api_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_API_KEY", API_KEY)
    monkeypatch.setenv("LD_BASE_URL", "https://app.eu.launchdarkly.com/")
    client = SegmentsClient()
    assert client.config.base_url == "https://app.eu.launchdarkly.com"
    assert client._transport._credential.authorization == API_KEY


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_API_KEY", "api-from-env")
    monkeypatch.setenv("LD_BASE_URL", "https://app.eu.launchdarkly.com")
    client = SegmentsClient(API_KEY, base_url="https://app.launchdarkly.us")
    assert client.config.base_url == "https://app.launchdarkly.us"
    assert client._transport._credential.authorization == API_KEY


def test_default_host_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LD_BASE_URL", raising=False)
    client = SegmentsClient(API_KEY)
    assert client.config.base_url == "https://app.launchdarkly.com"
    assert client.config.api_version == "20240415"


def test_missing_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LD_API_KEY", raising=False)
    with pytest.raises(ValueError, match="LD_API_KEY"):
        SegmentsClient()


@pytest.mark.parametrize("key", ["sdk-1234", "mob-1234"])
def test_sdk_and_mobile_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="access token") as caught:
        SegmentsClient(key)
    assert key not in str(caught.value)


def test_a_key_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="single-line") as caught:
        SegmentsClient("api-x\r\nX-Injected: 1")
    assert "Injected" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["http://app.launchdarkly.com", "http://10.0.0.5:8080", "ftp://x", "https://", "https://h?x=1"],
)
def test_bad_or_insecure_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"base_url|plain http"):
        SegmentsClient(API_KEY, base_url=url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080", "http://a.localhost"],
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert SegmentsClient(API_KEY, base_url=url).config.base_url == url


def test_plain_http_to_a_remote_host_needs_an_opt_in() -> None:
    client = SegmentsClient(API_KEY, base_url="http://ld-proxy.internal", allow_insecure_http=True)
    assert client.config.base_url == "http://ld-proxy.internal"


def test_timeout_and_retry_options() -> None:
    client = SegmentsClient(API_KEY, timeout=3, retry=RetryPolicy(max_attempts=2))
    assert client.config.timeout == Timeout(connect=3, read=3, total=3)
    assert client.config.retry.max_attempts == 2
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="read"):
        Timeout(read=-1)


@pytest.mark.parametrize("share", [0, -0.5, 1.01, float("nan"), True, "0.5"])
def test_a_share_outside_zero_to_one_is_refused(share: object) -> None:
    with pytest.raises(ValueError, match="rate_limit_share"):
        SegmentsClient(API_KEY, rate_limit_share=share)  # type: ignore[arg-type]


def test_a_share_within_zero_to_one_is_kept() -> None:
    assert SegmentsClient(API_KEY, rate_limit_share=0.25).config.rate_limit_share == 0.25


def test_repr_and_str_hide_the_key() -> None:
    client = SegmentsClient(API_KEY)
    for text in (repr(client), str(client), repr(client.config), repr(client._transport)):
        assert API_KEY not in text
    assert "app.launchdarkly.com" in repr(client)


async def test_headers_sent(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    await client.get_segments(PROJECT, ENV)
    headers = fake.exchanges[-1].request_headers
    assert fake.exchanges[-1].had_authorization
    assert headers["LD-API-Version"] == "20240415"
    assert headers["User-Agent"].startswith(f"ld-segments-async/{ld_segments_async.__version__} ")
    assert headers["Accept"] == "application/json"


async def test_custom_api_version_and_user_agent(fake: FakeLaunchDarkly) -> None:
    async with SegmentsClient(
        API_KEY, base_url=fake.url, api_version="beta", user_agent="my-tool/2"
    ) as ld:
        await ld.get_segments(PROJECT, ENV)
    headers = fake.exchanges[-1].request_headers
    assert headers["LD-API-Version"] == "beta"
    assert headers["User-Agent"].startswith("my-tool/2 ")


async def test_one_session_created_lazily_and_closed(fake: FakeLaunchDarkly) -> None:
    client = SegmentsClient(API_KEY, base_url=fake.url, max_connections=3)
    assert client._transport._session is None
    async with client:
        await client.get_segments(PROJECT, ENV)
        session = client._transport._session
        await client.get_segments(PROJECT, ENV)
        assert client._transport._session is session
        assert session is not None
        assert session.connector is not None
        assert session.connector.limit == 3
    assert session.closed
    assert client.closed


async def test_calls_after_close_fail_clearly(fake: FakeLaunchDarkly) -> None:
    client = SegmentsClient(API_KEY, base_url=fake.url)
    await client.close()
    await client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await client.get_segments(PROJECT, ENV)


async def test_a_caller_owned_session_is_used_and_not_closed(fake: FakeLaunchDarkly) -> None:
    async with aiohttp.ClientSession() as session:
        async with SegmentsClient(API_KEY, base_url=fake.url, session=session) as ld:
            await ld.get_segments(PROJECT, ENV)
        assert not session.closed
        assert fake.exchanges[-1].had_authorization


async def test_one_client_cannot_serve_two_event_loops(fake: FakeLaunchDarkly) -> None:
    client = SegmentsClient(API_KEY, base_url=fake.url)
    await client.get_segments(PROJECT, ENV)
    failures: list[BaseException] = []

    def other_loop() -> None:
        try:
            asyncio.run(client.get_segments(PROJECT, ENV))
        except RuntimeError as error:
            failures.append(error)

    thread = threading.Thread(target=other_loop)
    thread.start()
    thread.join()
    await client.close()
    assert len(failures) == 1
    assert "another event loop" in str(failures[0])


async def test_forgetting_to_close_warns_without_scheduling_anything(
    fake: FakeLaunchDarkly,
) -> None:
    client = SegmentsClient(API_KEY, base_url=fake.url)
    await client.get_segments(PROJECT, ENV)
    session = client._transport._session
    tasks = asyncio.all_tasks()
    with pytest.warns(ResourceWarning, match="not closed"):
        del client  # no cycles: CPython finalises it right here
    assert asyncio.all_tasks() == tasks  # the finaliser scheduled nothing
    assert session is not None
    await session.close()


async def test_with_options_shares_the_pool(client: SegmentsClient, fake: FakeLaunchDarkly) -> None:
    view = client.with_options(retry=RetryPolicy.disabled(), timeout=2)
    await view.get_segments(PROJECT, ENV)
    await client.get_segments(PROJECT, ENV)
    assert view._transport is client._transport
    assert view._timeout == Timeout(connect=2, read=2, total=2)
    assert view._retry.max_attempts == 1
