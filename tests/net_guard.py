"""A socket-layer guard for tests: loopback traffic passes, any other address is recorded and refused.

Tests that check where a key *would* go use it so nothing is ever sent beyond this machine.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from paragon_magic.client import is_loopback_host


class NetworkGuard:
    """Records every name lookup / connection attempt to a non-loopback host and refuses it."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        guard = self

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if not is_loopback_host(name):
                guard.attempts.append(name)
                raise OSError(f"test guard: no traffic to {name}")
            return real_getaddrinfo(host, *args, **kwargs)

        def connect(sock: socket.socket, address: Any) -> Any:
            host = address[0] if isinstance(address, tuple) else ""
            if isinstance(address, tuple) and not is_loopback_host(str(host)):
                guard.attempts.append(str(host))
                raise OSError(f"test guard: no traffic to {host}")
            return real_connect(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)
        return self
