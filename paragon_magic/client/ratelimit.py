"""Client-side rate limiters, shareable by threads and event loops alike.

:class:`WindowPacer` (the default) keeps every sliding one-second window within the rate and slows
down when the server answers 429 anyway; :class:`TokenBucket` only bounds the long-run average.
Both reserve a slot under a lock and then wait outside it, so one limiter paces sync threads and
async tasks at once, in arrival order.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

__all__ = ["RateLimiter", "WindowPacer", "TokenBucket", "DEFAULT_RATES"]

#: Stripe's documented global limits, requests per second.
DEFAULT_RATES = {"test": 25.0, "live": 100.0}


class RateLimiter(Protocol):
    """What the clients need from a limiter: one acquisition per HTTP attempt, and news of 429s."""

    rate: float

    def reserve(self) -> float: ...

    def acquire(self) -> None: ...

    async def acquire_async(self) -> None: ...

    def throttled(self) -> None: ...


class _Waits:
    """``acquire``/``acquire_async`` on top of ``reserve()``."""

    def reserve(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def acquire(self) -> None:
        """Block the calling thread until its slot comes."""
        wait = self.reserve()
        if wait:
            time.sleep(wait)

    async def acquire_async(self) -> None:
        """Wait (without blocking the event loop) until its slot comes."""
        wait = self.reserve()
        if wait:
            await asyncio.sleep(wait)


class WindowPacer(_Waits):
    """At most ``rate`` acquisitions in any sliding ``window`` (1 s), adapting to 429s.

    Slots are handed out in order: the k-th slot from now starts no sooner than ``window·(1+margin)``
    after the slot ``rate`` places before it (the margin absorbs the jitter between leaving here and
    reaching the server) and ``min_gap`` after the previous one (a full window is never one burst).
    ``throttled()`` (the server said 429 anyway) multiplies the rate by ``backoff`` — once per
    window, so one burst of 429s counts once — and the rate then climbs back linearly to ``rate``
    over ``recovery`` seconds. ``rate=math.inf`` never waits.
    """

    def __init__(
        self,
        rate: float,
        *,
        window: float = 1.0,
        margin: float = 0.03,
        backoff: float = 0.75,
        recovery: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if window <= 0 or margin < 0 or not 0 < backoff <= 1 or recovery <= 0:
            raise ValueError("window and recovery must be positive, margin ≥ 0, 0 < backoff ≤ 1")
        self.rate = float(rate)
        self.window = float(window)
        self.margin = float(margin)
        self.backoff = float(backoff)
        self.recovery = float(recovery)
        #: How many times a 429 lowered the rate.
        self.cuts = 0
        self._clock = clock
        self._lock = threading.Lock()
        capacity = 1 if math.isinf(self.rate) else max(1, math.floor(self.rate * self.window))
        self._slots: deque[float] = deque(maxlen=capacity)
        self._cut_rate = self.rate
        self._cut_at = -math.inf

    @classmethod
    def for_mode(cls, mode: str) -> WindowPacer:
        """The default pacer for a key mode: 25/s for ``"test"``, 100/s for ``"live"``; an unknown
        mode gets test mode's (lower, safe) rate."""
        return cls(DEFAULT_RATES.get(mode, DEFAULT_RATES["test"]))

    def current_rate(self) -> float:
        """The rate in force now (``rate`` unless a recent 429 lowered it)."""
        return self._rate_at(self._clock())

    def _rate_at(self, now: float) -> float:
        return min(self.rate, self._cut_rate + (now - self._cut_at) * self.rate / self.recovery)

    def reserve(self) -> float:
        """Take the next slot; return how many seconds the caller must wait before using it."""
        if math.isinf(self.rate):
            return 0.0
        with self._lock:
            now = self._clock()
            rate = self._rate_at(now)
            per_window = max(1, min(self._slots.maxlen or 1, math.floor(rate * self.window)))
            span = (1 + self.margin) * per_window / rate  # ``per_window`` slots per (window + margin)
            start = now
            if len(self._slots) >= per_window:
                start = max(start, self._slots[-per_window] + span)
            if self._slots:
                start = max(start, self._slots[-1] + span / (4 * per_window))
            self._slots.append(start)
            return start - now

    def throttled(self) -> None:
        """The server answered 429: slow down (at most once per window)."""
        if math.isinf(self.rate):
            return
        with self._lock:
            now = self._clock()
            if now - self._cut_at < self.window * (1 + self.margin):
                return
            floor = min(self.rate, 1.0 / self.window)
            self._cut_rate = max(floor, self._rate_at(now) * self.backoff)
            self._cut_at = now
            self.cuts += 1

    def __repr__(self) -> str:
        return f"WindowPacer(rate={self.rate:g}, window={self.window:g}s)"


class TokenBucket(_Waits):
    """Allow ``rate`` acquisitions per second with bursts of up to ``burst`` (default ``max(1, rate/5)``).

    Only the average is bounded: a full bucket plus a second's refill lets ``burst + rate`` requests
    into one second. Each acquisition reserves a token under a lock (the balance may go negative,
    which queues callers fairly in arrival order) and then waits outside the lock. 429s change
    nothing. ``rate=math.inf`` never waits.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate / 5)
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()

    @classmethod
    def for_mode(cls, mode: str) -> TokenBucket:
        """A bucket at a key mode's rate: 25/s for ``"test"``, 100/s for ``"live"`` (unknown: test)."""
        return cls(DEFAULT_RATES.get(mode, DEFAULT_RATES["test"]))

    def reserve(self) -> float:
        """Take one token now; return how many seconds the caller must wait before using it."""
        if math.isinf(self.rate):
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            return max(0.0, -self._tokens / self.rate)

    def throttled(self) -> None:
        """A bucket does not adapt."""

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst:g})"
