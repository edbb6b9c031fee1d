"""Serving the Paragon double: each host on 127.0.0.1 (a free port) from a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any, Callable

from aiohttp import web

from .state import ParagonDouble

__all__ = ["LOOPBACK", "ParagonDoubleServer", "ThreadedAppServer"]

LOOPBACK = "127.0.0.1"


class ThreadedAppServer:
    """Serves an aiohttp app (made by ``make_app``) on 127.0.0.1 from a background thread.

    ``start()`` returns once the socket is listening (``url`` is then set); ``stop()`` closes it and
    joins the thread. Also a context manager.
    """

    def __init__(self, make_app: Callable[[], web.Application], *, port: int = 0) -> None:
        self._make_app = make_app
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.url: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> Any:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError(f"{type(self).__name__} did not start within {timeout} s")
        if failure:
            self._thread = self._loop = None
            raise RuntimeError(f"{type(self).__name__} failed to start: {failure[0]!r}") from failure[0]
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self._make_app(), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, self._port))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"

    def stop(self, timeout: float = 30.0) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = self._runner = None
        self.url = None


class ParagonDoubleServer:
    """Serves a :class:`ParagonDouble`'s two hosts, each on its own loopback port: the Proxy API at
    ``url`` and the Users API at ``api_url`` (as ``proxy.useparagon.com`` and ``api.useparagon.com``)."""

    def __init__(self, double: ParagonDouble, *, port: int = 0, api_port: int = 0) -> None:
        self.double = double
        self._proxy = ThreadedAppServer(double.make_app, port=port)
        self._api = ThreadedAppServer(double.make_api_app, port=api_port)

    @property
    def url(self) -> str | None:
        return self._proxy.url

    @property
    def api_url(self) -> str | None:
        return self._api.url

    def __repr__(self) -> str:
        return f"ParagonDoubleServer(url={self.url!r}, api_url={self.api_url!r}, double={self.double!r})"

    def start(self, timeout: float = 30.0) -> ParagonDoubleServer:
        self._proxy.start(timeout)
        try:
            self._api.start(timeout)
        except BaseException:
            self._proxy.stop(timeout)
            raise
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._api.stop(timeout)
        self._proxy.stop(timeout)

    def stop_api(self, timeout: float = 30.0) -> None:
        """Stop only the Users API host (to test an unreachable API base)."""
        self._api.stop(timeout)

    def __enter__(self) -> ParagonDoubleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
