"""Stopping every walker of a listing (or a sync) at once, from the thread that got Ctrl-C.

``KeyboardInterrupt`` lands only in the caller's (main) thread; the walkers run on other threads (a
listing's event loop, a sync's worker threads). The caller sets a :class:`Stop` when it handles the
interrupt: running listings are cancelled at once (their callbacks), their async clients (built with
:meth:`Stop.async_hooks`) refuse to send another request — the check is the client's last step before a
request leaves (an httpx request hook), so a walker waking from the pacer or a retry back-off sends
nothing — and a blocking client seen through :meth:`Stop.guard` starts no new request. A request already under way (sent,
or waiting for its turn at the pacer) finishes or is cancelled; nothing after it is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Stop", "Stopped"]


class Stopped(Exception):
    """A request was refused because its listing or sync was stopped (Ctrl-C in the caller)."""


class Stop:
    """A one-way, thread-safe stop signal with callbacks run when it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        """Stop: later requests are refused and every registered callback runs (once)."""
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Stopped` once set."""
        if self._event.is_set():
            raise Stopped("stopped (Ctrl-C)")

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when this is set (at once if it already is); returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return lambda: self._forget(callback)
        callback()
        return lambda: None

    def _forget(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    def async_hooks(self) -> dict[str, list[Any]]:
        """httpx ``event_hooks`` for an async client: it refuses to send once this is set."""

        async def guard(request: Any) -> None:
            self.check()

        return {"request": [guard]}

    def guard(self, client: Any) -> Any:
        """``client`` (a blocking one, its own transport and all) starting no request once this is set."""
        return _Guarded(client, self)


class _Guarded:
    """A client whose ``request`` raises :class:`Stopped` once its stop is set; everything else is the client's
    (so a listing's async twin is built from it as from the client)."""

    def __init__(self, client: Any, stop: Stop) -> None:
        self._client, self._stop = client, stop

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._stop.check()
        return self._client.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
