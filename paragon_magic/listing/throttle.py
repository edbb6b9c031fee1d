"""Throttling for concurrent listings: an AIMD in-flight limit and async clients that report 429s."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import httpx

from ..client import AsyncStripeClient

__all__ = ["AdaptiveLimit", "twin_async_client"]


class AdaptiveLimit:
    """An in-flight request limit with additive increase and multiplicative decrease (AIMD).

    ``throttled()`` halves the limit (at most once per ``cooldown`` seconds, so one burst of 429s counts
    once); each ``succeeded()`` adds ``1/limit``. Use ``async with limit:`` around each request.
    """

    def __init__(self, start: int, maximum: int, *, cooldown: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = float(max(1, min(start, maximum)))
        self.maximum = maximum
        self.cooldown = cooldown
        self.in_flight = 0
        self.cuts = 0
        self._clock = clock
        self._last_cut = -math.inf
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def __aenter__(self) -> None:
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: self.in_flight < int(self.limit))
            self.in_flight += 1

    async def __aexit__(self, *exc: object) -> None:
        changed = self._condition()
        async with changed:
            self.in_flight -= 1
            changed.notify_all()

    def succeeded(self) -> None:
        self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)

    def throttled(self) -> None:
        now = self._clock()
        if now - self._last_cut >= self.cooldown:
            self._last_cut = now
            self.limit = max(1.0, self.limit / 2)
            self.cuts += 1


def twin_async_client(template: Any, on_429: Callable[[], None]) -> AsyncStripeClient:
    """A fresh async client for one listing's private event loop, like ``template`` (same backend,
    bucket and retries; environment proxies honoured), that reports every 429 it receives (the client
    still retries it)."""

    async def watch(response: httpx.Response) -> None:
        if response.status_code == 429:
            on_429()

    return AsyncStripeClient(template.backend, **template.settings(), event_hooks={"response": [watch]})
