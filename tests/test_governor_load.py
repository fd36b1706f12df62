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
def test_a_far_reset_names_no_window_and_the_spent_count_is_tried_again(status: int) -> None:
    """A reset a day away is bogus (LaunchDarkly's windows last ten seconds): the spent
    count is tried again after a second, not after the day, and not at once."""

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

    assert run(main()) == pytest.approx(1.0, abs=0.01)


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


# -- what a red team threw at it ---------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        {"X-Ratelimit-Reset": "99999999999999"},
        {"X-Ratelimit-Global-Remaining": "999999999"},
        {"Date": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"X-Ratelimit-Global-Remaining": "0"},
    ],
    ids=["far-reset", "count-too-long", "date-1970", "count-zero"],
)
def test_one_bogus_answer_does_not_poison_the_client(garbage: dict[str, str]) -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01, garbage_first=garbage)
    ratio = shared(server, 1, 800)
    assert server.refused_share < 0.02
    assert server.most_in_a_window() <= 102
    assert ratio <= 1.15


@pytest.mark.parametrize(("count", "slowest"), [("9999999", 1.05), ("0", 1.1)])
def test_a_bogus_count_opening_a_later_window_releases_no_queue(count: str, slowest: float) -> None:
    """A count far above what recent windows granted is doubted until the window's next
    answer; a window first seen spent (believed: one window lost of fifteen) says
    nothing of what the next grants."""
    server = WindowServer(
        budget=100,
        window=1.0,
        latency=0.01,
        garbage_first={"X-Ratelimit-Global-Remaining": count},
        garbage_window=4,
    )
    ratio = shared(server, 1, 1500)
    assert server.most_in_a_window() <= 102
    assert server.refused_share < 0.01
    assert ratio <= slowest


def test_a_grown_budget_is_taken_up_within_the_window() -> None:
    """A count that many times larger, borne out by the next answer, is trusted at once."""
    server = WindowServer(budget=100, window=1.0, latency=0.01)

    async def main() -> None:
        await run_client(server, 300)  # three windows of 100
        server.budget = 2000
        grown = await run_client(server, 2000)
        assert grown.failed == 0
        assert grown.wall <= 1.5  # one window of 2,000, not four of growth

    run(main())
    assert server.refused_share < 0.01


def test_a_lying_first_count_costs_one_window_at_most() -> None:
    """A count no window grants, on the very first answer, cannot be told from the truth
    yet: the burst stays small, the next answers correct it, and the share holds from
    the next window on."""
    server = WindowServer(
        budget=100, window=1.0, latency=0.01, garbage_first={"X-Ratelimit-Global-Remaining": "9999"}
    )
    shared(server, 1, 400, share=0.5)
    first, *later = (count for _, count in sorted(server.received.items()))
    assert first <= 250
    assert max(later) <= 50


@pytest.mark.parametrize("by", [-30.0, -5.0, 30.0])
def test_a_server_clock_set_mid_run_changes_nothing_for_long(by: float) -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01, jump=(3.3, by))
    ratio = shared(server, 1, 800)
    assert server.refused_share < 0.03
    assert ratio <= 1.25


@pytest.mark.parametrize("reset", ["s", "none"])
def test_without_a_usable_reset_a_spent_count_is_tried_again_not_flooded(reset: str) -> None:
    server = WindowServer(budget=100, window=1.0, latency=0.01, reset=reset)
    ratio = shared(server, 1, 500)
    assert server.refused_share < 0.05  # about one try a second into a spent window
    assert ratio <= 1.3


def test_eight_clients_starting_together_on_ten_second_windows() -> None:
    server = WindowServer(budget=200, window=10.0, latency=0.1)
    ratio = shared(server, 8, 100)
    assert server.refused_share < 0.05
    assert server.most_in_a_window() <= 215
    assert ratio <= 1.15


def test_a_retried_call_keeps_its_place_in_line() -> None:
    async def main() -> list[str]:
        clock = VirtualClock()
        governor = Governor(reserve=0, clock=clock)
        now = clock.time()
        first = await governor.acquire(ROUTE)
        assert first is not None
        governor.release(first, RateLimitNews(0, None, now + 1, now), 200)  # spent till +1 s
        finished: list[str] = []
        early = governor.next_order()  # a call that came first and was refused

        async def call(name: str, order: int | None) -> None:
            ticket = await governor.acquire(ROUTE, None, order)
            assert ticket is not None
            finished.append(name)
            governor.release(ticket, RateLimitNews(5, None, now + 1, now), 200)

        later = [asyncio.ensure_future(call(f"later-{n}", None)) for n in range(3)]
        await asyncio.sleep(0.5)
        retry = asyncio.ensure_future(call("retry", early))
        await asyncio.gather(*later, retry)
        governor.close()
        return finished

    assert run(main())[0] == "retry"


def test_a_livelock_free_probe_on_virtual_time() -> None:
    """A probe's next turn computed exactly at ``now`` must not re-arm a 0 s timer."""
    server = WindowServer(budget=5, window=1.0, latency=0.01, reset="none")
    shared(server, 1, 40, retry=RetryPolicy(total_timeout=None))
    assert server.answered[200] == 40


def test_deadlines_of_calls_long_let_through_are_not_kept() -> None:
    async def main() -> int:
        clock = VirtualClock()
        governor = Governor(clock=clock)
        probe = await governor.acquire(ROUTE)
        assert probe is not None
        waiting = [asyncio.ensure_future(governor.acquire(ROUTE, 120.0)) for _ in range(2000)]
        await asyncio.sleep(0)
        governor.release(probe, None, 200)  # no rate limits: everyone goes
        tickets = await asyncio.gather(*waiting)
        for ticket in tickets:
            assert ticket is not None
            governor.release(ticket, None, 200)
        more = [asyncio.ensure_future(governor.acquire(ROUTE, 120.0)) for _ in range(5)]
        await asyncio.gather(*more)
        governor.close()
        return len(governor._deadlines)

    assert run(main()) < 100
