"""When to retry a failed request and how long to wait first."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import APIConnectionError, StripeError

__all__ = ["RetryPolicy"]

_RETRYABLE_STATUSES = frozenset({409, 429})


@dataclass
class RetryPolicy:
    """Retry connection errors, timeouts, 409, 429 and 5xx with jittered exponential backoff.

    ``Stripe-Should-Retry: true|false`` on a response wins over its status. At most ``max_retries``
    retries, and none that would end later than ``max_elapsed`` seconds after the first attempt.
    ``sleep``/``async_sleep``/``clock`` are injectable so unit tests need not wait.
    """

    max_retries: int = 4
    max_elapsed: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 5.0
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def is_retryable(self, error: StripeError) -> bool:
        """Whether ``error`` is worth another attempt, ignoring the attempt and time budgets."""
        if error.stripe_should_retry is not None:
            return error.stripe_should_retry
        if isinstance(error, APIConnectionError):
            return True
        status = error.http_status or 0
        return status in _RETRYABLE_STATUSES or status >= 500

    def backoff(self, retry_number: int) -> float:
        """Delay before retry ``retry_number`` (1-based): ``min(base·2^(n−1), max)`` jittered to 50–100%."""
        ceiling = min(self.base_delay * 2 ** (retry_number - 1), self.max_delay)
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def next_delay(self, error: StripeError, attempts_made: int, elapsed: float) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up and raise ``error``."""
        if attempts_made > self.max_retries or not self.is_retryable(error):
            return None
        delay = self.backoff(attempts_made)
        if elapsed + delay > self.max_elapsed:
            return None
        return delay
