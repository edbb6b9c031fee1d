"""How many windows a concurrent listing runs at once, and the async clients they share one pacer through."""

from __future__ import annotations

import math
from typing import Any

from ..client import AsyncStripeClient
from .stop import Stop

__all__ = ["stream_target", "twin_async_client"]


def stream_target(limiter: Any, latency: float, tuning: Any) -> int:
    """Streams needed to keep ``limiter``'s rate busy when a request takes ``latency`` seconds.

    Each stream has one request in flight, so ``rate × latency`` streams saturate the rate; a fifth more
    (and two more) cover slower pages and the pacer's own waits. More would only queue at the
    pacer and cost a partly filled page each. ``tuning.concurrency`` overrides; never above
    ``tuning.max_concurrency``.
    """
    if tuning.concurrency is not None:
        return max(1, min(tuning.concurrency, tuning.max_concurrency))
    rate = float(getattr(limiter, "rate", math.inf))
    if math.isinf(rate):
        return tuning.max_concurrency
    return max(4, min(tuning.max_concurrency, math.ceil(1.2 * rate * max(latency, 0.05)) + 2))


def twin_async_client(template: Any, stop: Stop | None = None) -> AsyncStripeClient:
    """A fresh async client for one listing's private event loop, like ``template``: same backend, retries
    and rate limiter (so the windows and any other request share one pace, and a 429 seen by one slows
    them all); environment proxies honoured. With ``stop``: no request leaves once it is set."""
    hooks = stop.async_hooks() if stop is not None else None
    return AsyncStripeClient(template.backend, **template.settings(), event_hooks=hooks)
