"""The governor under the loads users put on it, on a virtual clock: thousands of calls
through a plain gather, several clients on one account, server clocks set differently
from ours, slow first answers. Each run simulates minutes of windows in milliseconds,
and the same run always gives the same schedule."""

from __future__ import annotations

import asyncio

import pytest
from rate_limit_sim import ROUTE, WindowServer, run_client
from virtual_time import VirtualClock, run

from ld_segments_async import RetryPolicy
from ld_segments_async._governor import Governor
from ld_segments_async._rate_headers import RateLimitNews, read_news


def shared(server: WindowServer, clients: int, calls: int, **options: object) -> float:
    """Run ``clients`` clients of ``calls`` calls each on ``server``; the slowest's wall
    time as a multiple of the least the budget allows. No call may fail."""

    async def main() -> list[float]:
        outcomes = await asyncio.gather(
            *(run_client(server, calls, **options) for _ in range(clients))  # type: ignore[arg-type]
        )
        assert [o.failed for o in outcomes] == [0] * clients
        return [o.wall for o in outcomes]

    walls = run(main())
    return max(walls) / (clients * calls / server.budget * server.window)


def test_thousands_of_waiters_never_overfill_a_window() -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01)
    ratio = shared(server, 1, 1500)
    assert server.most_in_a_window() <= 100
    assert server.answered[429] == 0
    assert ratio <= 1.05


def test_a_small_budget_is_never_exceeded_by_a_herd() -> None:
    server = WindowServer(budget=20, window=10.0, latency=0.1)
    shared(server, 1, 120, retry=RetryPolicy(total_timeout=None))
    assert server.most_in_a_window() <= 20
    assert server.answered[429] == 0


def test_after_a_rollover_one_request_learns_the_new_window() -> None:
    server = WindowServer(budget=20, window=2.0, latency=0.1)
    shared(server, 1, 100, retry=RetryPolicy(total_timeout=None))
    firsts: dict[int, list[float]] = {}
    for window, at in server.arrivals:
        firsts.setdefault(window, []).append(at)
    for window, arrivals in firsts.items():
        if len(arrivals) > 1:
            # The second request left only once the first one's answer was back.
            assert arrivals[1] - arrivals[0] >= server.latency * 0.99, window


@pytest.mark.parametrize("clients", [2, 4])
def test_clients_sharing_one_budget_converge_on_their_shares(clients: int) -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01)
    ratio = shared(server, clients, 1200 // clients)
    assert server.refused_share < 0.02
    assert ratio <= 1.10


def test_a_share_leaves_the_rest_of_each_window_to_others() -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01)
    shared(server, 1, 400, share=0.5)
    assert max(server.received.values()) <= 50
    assert server.answered[429] == 0


@pytest.mark.parametrize("skew", [-5.0, -0.5, 30.0])
def test_a_server_clock_set_differently_changes_nothing(skew: float) -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01, skew=skew)
    ratio = shared(server, 1, 1000)
    assert server.refused_share < 0.02
    assert ratio <= 1.15


def test_our_own_wrong_clock_changes_nothing() -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01)
    ratio = shared(server, 1, 1000, clock_skew=-40.0)
    assert server.refused_share < 0.02
    assert ratio <= 1.15


def test_a_slow_first_answer_holds_the_others_only_for_a_while() -> None:
    """The first request is the probe; while it is out, the rest wait for its news, but
    not for as long as it takes, and none of them runs out of time at once."""
    server = WindowServer(budget=100, window=1.0, latency=0.01, first_latency=8.0)

    async def main() -> list[float]:
        clock = VirtualClock()
        governor = Governor(clock=clock)
        finished: list[float] = []

        async def call() -> None:
            ticket = await governor.acquire(ROUTE, clock.monotonic() + 4.0)
            assert ticket is not None, "ran out of time waiting for news"
            status, headers = await server.handle()
            governor.release(ticket, read_news(headers), status)
            finished.append(clock.monotonic())

        await asyncio.gather(*(call() for _ in range(20)))
        governor.close()
        return finished

    finished = sorted(run(main()))
    assert len(finished) == 20
    assert finished[-2] <= 1.3  # all but the slow one: after a second probe, paced
    assert finished[-1] == pytest.approx(8.0)


def test_a_call_gives_up_at_once_when_its_deadline_falls_before_the_window() -> None:
    async def main() -> tuple[object, float]:
        clock = VirtualClock()
        governor = Governor(reserve=0, clock=clock)
        now = clock.time()
        first = await governor.acquire(ROUTE)
        assert first is not None
        governor.release(first, RateLimitNews(0, None, now + 10, now), 200)
        started = clock.monotonic()
        refused = await governor.acquire(ROUTE, deadline=started + 5)
        return refused, clock.monotonic() - started

    refused, waited = run(main())
    assert refused is None
    assert waited == 0


@pytest.mark.parametrize("status", [200, 429])
def test_a_far_reset_is_believed_no_further_than_one_window(status: int) -> None:
    async def main() -> float:
        clock = VirtualClock()
        governor = Governor(reserve=0, max_window=11.0, clock=clock)
        now = clock.time()
        ticket = await governor.acquire(ROUTE)
        assert ticket is not None
        governor.release(ticket, RateLimitNews(0, None, now + 86_400, now), status)
        started = clock.monotonic()
        again = await governor.acquire(ROUTE)
        assert again is not None
        return clock.monotonic() - started

    assert 10 <= run(main()) <= 11.1


def test_a_cancelled_wait_keeps_no_place_and_no_claim() -> None:
    async def main() -> None:
        clock = VirtualClock()
        governor = Governor(clock=clock)
        probe = await governor.acquire(ROUTE)  # the first request: the others wait for it
        assert probe is not None
        waiting = asyncio.ensure_future(governor.acquire(ROUTE))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        governor.release(probe, None, None)  # the probe failed: no news
        again = await asyncio.wait_for(governor.acquire(ROUTE), 0.001)
        assert again is not None, "a cancelled waiter or a failed probe blocks the queue"
        governor.close()

    run(main())
