"""Shared by the Ctrl-C tests: a gate in front of the session's pacer that lands a real SIGINT mid-walk.

Every request of a session (its listings' async twins and a sync's worker threads too) asks the one pacer
first. :class:`GatedPacer` lets the first ``allowed`` requests through; the next one to ask, from whichever
thread, sends SIGINT to the main thread (as Ctrl-C does) and it and every later one wait at the gate until
the test opens it — after the interrupt was handled. So exactly ``allowed`` requests may reach the server
before the interrupt, and any request that reaches it beyond those was sent after the interrupt was handled.
No timing is involved: the gate is a condition, and quiescence is waited for as one too.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from paragon_magic.client import StripeClient

__all__ = ["GatedPacer", "gate_session", "gated_client", "spread_customers", "wait_until_quiet"]

#: Threads that fetch for a listing or a sync (``listing.partitioned``, ``store.sync``).
WORKER_THREADS = ("paragon-magic-listing", "paragon-sync")


def ctrl_c() -> None:
    """A real Ctrl-C, delivered to the main thread (where Python raises ``KeyboardInterrupt``)."""
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


class GatedPacer:
    """A pacer that admits ``allowed`` requests, then calls ``interrupt`` (once) and holds the rest."""

    def __init__(self, pacer: Any, allowed: int, interrupt: Callable[[], None] = ctrl_c) -> None:
        self._pacer = pacer
        self.allowed = allowed
        self._interrupt = interrupt
        self.admitted = 0
        self.interrupted = threading.Event()
        self.opened = threading.Event()
        self._lock = threading.Lock()
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def __getattr__(self, name: str) -> Any:  # rate, sent, throttled, ...: the real pacer's
        return getattr(self._pacer, name)

    def _admit(self) -> bool:
        with self._lock:
            if self.opened.is_set():
                return True
            if self.admitted < self.allowed:
                self.admitted += 1
                return True
            first = not self.interrupted.is_set()
            self.interrupted.set()
        if first:
            self._interrupt()
        return False

    def acquire(self) -> Any:
        if not self._admit():
            self.opened.wait()
        return self._pacer.acquire()

    async def acquire_async(self) -> Any:
        if not self._admit():
            waiter = asyncio.Event()
            with self._lock:
                if self.opened.is_set():
                    waiter.set()
                else:
                    self._async_waiters.append((asyncio.get_running_loop(), waiter))
            await waiter.wait()  # cancellable: a stopped listing's walker never passes
        return await self._pacer.acquire_async()

    def open(self) -> None:
        """Let every waiting and later request through to the real pacer."""
        with self._lock:
            self.opened.set()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, waiter in waiters:
            try:
                loop.call_soon_threadsafe(waiter.set)
            except RuntimeError:  # that listing's loop has ended
                pass


def gated_client(client: Any, allowed: int, interrupt: Callable[[], None] = ctrl_c) -> tuple[StripeClient, GatedPacer]:
    """A client like ``client`` whose pacer is gated after ``allowed`` requests (``interrupt``: Ctrl-C)."""
    if interrupt is ctrl_c:
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # SIGINT raises KeyboardInterrupt
    gate = GatedPacer(client.rate_limiter, allowed, interrupt)
    return StripeClient(client.backend, **{**client.settings(), "rate_limiter": gate}), gate


def gate_session(session: Any, allowed: int) -> GatedPacer:
    """Give ``session`` a client like its own whose pacer lands Ctrl-C after ``allowed`` requests."""
    session.client, gate = gated_client(session.client, allowed)
    return gate


def wait_until_quiet(server: Any, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Wait until no listing or sync thread runs and the server has answered every request it got; then
    its request log. (Conditions, polled; ``timeout`` only turns a hang into a failure.)"""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.startswith(WORKER_THREADS):
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), f"{thread.name} still runs"
    while True:
        log = server.requests()
        if all(entry["status"] is not None for entry in log):
            return log
        assert time.monotonic() < deadline, "the server never answered every request"


def spread_customers(server: Any, count: int, seed: int) -> list[str]:
    """``count`` customers created concurrently and backdated over three years; ids newest first."""
    import random

    import httpx

    async def create() -> list[str]:
        async with httpx.AsyncClient(base_url=server.url, auth=(server.key, ""), timeout=60) as client:
            gate = asyncio.Semaphore(16)

            async def one(i: int) -> str:
                async with gate:
                    reply = await client.post("/v1/customers", data={"email": f"c{i}@example.com"})
                    reply.raise_for_status()
                    return reply.json()["id"]

            return list(await asyncio.gather(*(one(i) for i in range(count))))

    ids = asyncio.run(create())
    end = 1_767_225_600
    created = dict(zip(ids, random.Random(seed).sample(range(end - 3 * 365 * 86_400, end), count)))
    server.backdate(created)
    return sorted(ids, key=lambda i: created[i], reverse=True)
