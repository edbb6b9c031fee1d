"""Rate limiter arithmetic (fake clock: the window pacer and the token bucket) and thread/async sharing."""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time

import pytest
from rate_helpers import most_in_any_window

from paragon_magic.client import TokenBucket, WindowPacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_steady_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(10, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    waits = [bucket.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    clock.now += 0.5  # the queue drains exactly
    assert bucket.reserve() == pytest.approx(0.1)


def test_refill_is_capped_at_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(5, burst=2, clock=clock)
    clock.now += 60
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.2])


def test_defaults_and_validation() -> None:
    assert TokenBucket.for_mode("test").rate == 25 and TokenBucket.for_mode("live").rate == 100
    assert TokenBucket(25).burst == 5 and TokenBucket(2).burst == 1
    assert TokenBucket(math.inf).reserve() == 0.0
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(10, burst=0.5)


def test_threads_share_one_bucket_at_its_rate() -> None:
    bucket = TokenBucket(100, burst=1)
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            bucket.acquire()
            with lock:
                times.append(time.monotonic())

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert len(times) == 80
    assert elapsed >= 79 / 100 * 0.95  # cannot beat the rate
    assert elapsed < 10  # generous: noisy machine


# --- WindowPacer: the default limiter --------------------------------------------------------------------


class FakeTime(Clock):
    """A clock whose ``sleep`` just moves it on (so acquisitions "wait" instantly and deterministically)."""

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def _grants(pacer: WindowPacer, clock: FakeTime, count: int) -> list[float]:
    """When each of ``count`` acquisitions, all wanted from ``clock.now`` on, is granted."""
    times = []
    for _ in range(count):
        pacer.acquire()
        times.append(clock.now)
    return times


def _pacer(rate: float, clock: FakeTime, **options: float) -> WindowPacer:
    return WindowPacer(rate, clock=clock, sleep=clock.sleep, **options)


def test_pacer_keeps_every_one_second_window_within_the_rate() -> None:
    clock = FakeTime()
    start = clock.now
    grants = _grants(_pacer(25, clock), clock, 200)  # everyone wants to go at once
    assert most_in_any_window(grants) == 25
    assert grants[0] == start and grants[24] - start < 0.3  # a window's worth comes quickly...
    assert grants[25] - start >= 1.0  # ...and the next only once the first has left the window
    assert grants[-1] - start == pytest.approx(7 * 1.02 + 24 * 1.02 / 100, abs=1e-6)  # 8 windows, no slack

    # the bucket it replaces lets its burst of 5 and then 24 more into one second
    bucket_clock = Clock()
    bucket = TokenBucket(25, clock=bucket_clock)
    bucket_starts = [bucket_clock.now + bucket.reserve() for _ in range(200)]
    assert most_in_any_window(bucket_starts) == 29


def test_pacer_window_holds_for_arrivals_at_random_times() -> None:
    rng = random.Random(11)
    clock = FakeTime()
    pacer = _pacer(25, clock)
    grants: list[float] = []
    arrival = clock.now
    for _ in range(3000):
        arrival += rng.expovariate(40)  # demand above the rate, in bursts and lulls
        clock.now = max(clock.now, arrival)
        late = rng.random() < 0.1  # some callers wake late: counted when they go, not when due
        if late:
            clock.now += rng.uniform(0, 0.2)
        grants.extend(_grants(pacer, clock, rng.choice([1, 1, 1, 5, 20])))
    assert most_in_any_window(grants) <= 25
    assert len(grants) / (max(grants) - min(grants)) > 25 / 1.02 * 0.95  # and it does not idle


def test_pacer_slows_down_after_a_429_and_recovers_slowly() -> None:
    clock = FakeTime()
    pacer = _pacer(100, clock, backoff=0.5, recovery=10.0)
    assert most_in_any_window(_grants(pacer, clock, 300)) == 100
    clock.now += 5
    pacer.throttled()
    pacer.throttled()  # the same burst of 429s counts once
    assert pacer.cuts == 1 and pacer.current_rate() == 50
    cut_at = clock.now
    first_second = [t for t in _grants(pacer, clock, 60) if t < cut_at + 1.0]
    assert 40 <= len(first_second) <= 55  # about half the rate, climbing 10/s per second
    clock.now = cut_at + 0.5
    pacer.throttled()  # still within the window of the first cut
    assert pacer.cuts == 1 and pacer.current_rate() == pytest.approx(55)
    clock.now = cut_at + 2.5
    pacer.throttled()  # a later burst cuts again, from the partly recovered rate
    assert pacer.cuts == 2 and pacer.current_rate() == pytest.approx(75 / 2)
    clock.now += 6.25
    assert pacer.current_rate() == pytest.approx(100)  # 37.5 + 10/s × 6.25 s: fully recovered
    clock.now += 100
    assert pacer.current_rate() == 100


def test_pacer_defaults_and_validation() -> None:
    assert WindowPacer.for_mode("test").rate == 25 and WindowPacer.for_mode("live").rate == 100
    assert WindowPacer.for_mode("unknown").rate == 25
    assert WindowPacer(math.inf).try_acquire() == 0.0
    clock = FakeTime()
    slow = _pacer(0.5, clock)  # below one per window: one per 2 s (+ margin)
    assert _grants(slow, clock, 3) == pytest.approx([100.0, 102.04, 104.08])
    for bad in ({"rate": 0}, {"rate": 5, "backoff": 0}, {"rate": 5, "margin": -1}, {"rate": 5, "window": 0}):
        with pytest.raises(ValueError):
            WindowPacer(**bad)


def test_threads_and_event_loops_share_one_pacer() -> None:
    pacer = WindowPacer(40)
    times: list[float] = []
    lock = threading.Lock()

    def record() -> None:
        with lock:
            times.append(time.monotonic())

    def worker() -> None:
        for _ in range(10):
            pacer.acquire()
            record()

    async def tasks() -> None:
        async def one() -> None:
            for _ in range(10):
                await pacer.acquire_async()
                record()

        await asyncio.gather(*(one() for _ in range(4)))

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(4)] + [threading.Thread(target=asyncio.run, args=(tasks(),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(times) == 80
    assert max(times) - start >= 1.0  # 80 acquisitions at 40 per window need a second window
    assert most_in_any_window(times, window=0.9) <= 40  # generous: wake-ups may come late, never early
