"""Token bucket arithmetic (fake clock) and thread/async sharing."""

from __future__ import annotations

import math
import threading
import time

import pytest

from paragon_magic.client import TokenBucket


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
