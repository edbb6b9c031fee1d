"""Client-side rate limiters, shareable by threads and event loops alike.

:class:`WindowPacer` (the default) keeps every sliding one-second window within the rate and slows
down when the server answers 429 anyway; :class:`TokenBucket` only bounds the long-run average.
Both decide under a lock and wait outside it, so one limiter paces sync threads and async tasks at once.
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
    """What the clients need from a limiter: one acquisition per HTTP attempt, and news of 429s.

    ``acquire`` may return a grant handle; if the limiter has ``sent(handle)``, the clients call it
    when the attempt's request really leaves (after connection setup), so the grant counts from then.
    """

    rate: float

    def acquire(self) -> float | None: ...

    async def acquire_async(self) -> float | None: ...

    def throttled(self) -> None: ...


class WindowPacer:
    """At most ``rate`` acquisitions in any sliding ``window`` (1 s), adapting to 429s.

    An acquisition is granted when it actually proceeds (a caller that wakes late is counted when it
    goes, never when it was due; ``sent()`` moves it later still, to when its request left after
    connection setup), no sooner than ``window·(1+margin)`` after the grant ``rate`` places
    before it and a quarter of an even spacing after the previous one (a window's worth takes a quarter
    of a window: a quick start and a quick last window, never one burst). The margin (2%: 20 ms of a
    second) absorbs the jitter between leaving here and reaching the server; a 429 it misses anyway is
    retried and slows the pacer down. ``throttled()`` (the server said 429 anyway) multiplies the rate
    by ``backoff`` — once per window, so one burst of 429s counts once — and the rate then climbs back
    linearly to ``rate`` over ``recovery`` seconds. ``rate=math.inf`` never waits. ``clock``/``sleep``
    are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        window: float = 1.0,
        margin: float = 0.02,
        backoff: float = 0.9,
        recovery: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
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
        self._sleep = sleep
        self._lock = threading.Lock()
        capacity = 1 if math.isinf(self.rate) else max(1, math.floor(self.rate * self.window))
        self._grants: deque[float] = deque(maxlen=capacity)
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

    def try_acquire(self) -> float:
        """Take a grant now if one is free and return 0.0; else return how long until one may be."""
        return self._take()[0]

    def _take(self) -> tuple[float, float | None]:
        """``(0.0, grant)`` if granted now, else ``(seconds to wait, None)``."""
        if math.isinf(self.rate):
            return 0.0, None
        with self._lock:
            now = self._clock()
            rate = self._rate_at(now)
            per_window = max(1, min(self._grants.maxlen or 1, math.floor(rate * self.window)))
            span = (1 + self.margin) * per_window / rate  # ``per_window`` grants per (window + margin)
            ready = now
            latest = sorted(self._grants)[-per_window:]  # ``sent()`` may have moved some later
            if len(latest) >= per_window:
                ready = max(ready, latest[0] + span)
            if latest:
                ready = max(ready, latest[-1] + span / (4 * per_window))
            if ready > now:
                return ready - now, None
            self._grants.append(now)
            return 0.0, now

    def acquire(self) -> float | None:
        """Block the calling thread until it may send; returns the grant (for ``sent``)."""
        while True:
            wait, granted = self._take()
            if wait <= 0:
                return granted
            self._sleep(wait)

    async def acquire_async(self) -> float | None:
        """Wait (without blocking the event loop) until it may send; returns the grant (for ``sent``)."""
        while True:
            wait, granted = self._take()
            if wait <= 0:
                return granted
            await asyncio.sleep(wait)

    def sent(self, granted: float) -> None:
        """The request granted at ``granted`` left only now: count it from now (if still tracked)."""
        with self._lock:
            now = self._clock()
            for i in range(len(self._grants) - 1, -1, -1):
                if self._grants[i] == granted:
                    self._grants[i] = max(granted, now)
                    return

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


class TokenBucket:
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

    def acquire(self) -> None:
        """Block the calling thread until a token is available."""
        wait = self.reserve()
        if wait:
            time.sleep(wait)

    async def acquire_async(self) -> None:
        """Wait (without blocking the event loop) until a token is available."""
        wait = self.reserve()
        if wait:
            await asyncio.sleep(wait)

    def throttled(self) -> None:
        """A bucket does not adapt."""

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst:g})"
