"""A client-side token bucket, shareable by threads and event loops alike."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket", "DEFAULT_RATES"]

#: Stripe's documented global limits, requests per second.
DEFAULT_RATES = {"test": 25.0, "live": 100.0}


class TokenBucket:
    """Allow ``rate`` acquisitions per second with bursts of up to ``burst`` (default ``max(1, rate/5)``).

    Each acquisition reserves a token under a lock (the balance may go negative, which queues callers
    fairly in arrival order) and then waits outside the lock, so one bucket can pace sync threads and
    async tasks at once. ``rate=math.inf`` never waits.
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
        """The default bucket for a key mode: 25/s for ``"test"``, 100/s for ``"live"``; an unknown
        mode gets test mode's (lower, safe) rate."""
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

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst:g})"
