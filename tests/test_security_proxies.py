"""Proxy variables never carry loopback traffic: keys, sandbox secrets and Paragon tokens stay on this machine.

Every ``*_PROXY`` variable points at a trap: a loopback listener that records each connection it gets
(and answers 502). Traffic to a loopback base must never reach it; a remote https base still goes through
it (corporate proxies are honoured), and the network guard makes sure nothing ever leaves the machine.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
import pytest

import paragon_magic
from paragon_magic.client import APIConnectionError, AsyncStripeClient, DirectBackend, RetryPolicy, StripeClient, uses_environment_proxies
from paragon_magic.paragon import Paragon
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from paragon_magic.sandbox.seed import seed
from tests.net_guard import NetworkGuard

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class ProxyTrap:
    """A loopback listener standing in for a proxy: records the first line of every connection."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                first = conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
                self.connections.append(first)
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self._sock.close()
        self._thread.join(5)


@pytest.fixture
def trap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyTrap]:
    trap = ProxyTrap()
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, trap.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    NetworkGuard().install(monkeypatch)  # and nothing at all beyond this machine
    yield trap
    trap.close()


def test_only_another_machine_follows_the_proxy_variables() -> None:
    assert not uses_environment_proxies("http://127.0.0.1:4242")
    assert not uses_environment_proxies("http://localhost:4242")
    assert not uses_environment_proxies("https://[::1]:4242")
    assert uses_environment_proxies("https://api.stripe.com")
    assert uses_environment_proxies("https://proxy.useparagon.com")


def test_a_loopback_base_never_goes_through_the_proxy(stripe_server: LocalStripe, trap: ProxyTrap) -> None:
    session = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url)
    session.client.request("POST", "/v1/customers", {"email": "proxy@example.com"})
    assert len(session.client.request("GET", "/v1/customers").data["data"]) == 1
    assert trap.connections == []


def test_the_async_client_skips_the_proxy_for_loopback(stripe_server: LocalStripe, trap: ProxyTrap) -> None:
    async def balance() -> int:
        async with AsyncStripeClient(DirectBackend(stripe_server.key, base_url=stripe_server.url)) as client:
            return (await client.request("GET", "/v1/balance")).status

    assert asyncio.run(balance()) == 200
    assert trap.connections == []


def test_the_sandbox_starts_seeds_and_is_controlled_without_the_proxy(trap: ProxyTrap) -> None:
    with LocalStripe() as server:
        seed(server.url, server.key, customers=2, control_headers=server.control_headers)
        server.reset()
        assert server.stats() is not None
    assert trap.connections == []


def test_paragon_tokens_to_loopback_hosts_skip_the_proxy(stripe_server: LocalStripe, trap: ProxyTrap) -> None:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        paragon = Paragon(base_url=server.url, api_base=server.api_url)
        paragon.authenticate(double.project_id, double.mint_token("user-1"))  # proxy host
        assert paragon.get_user()["userId"] == "user-1"  # Users API host
    assert trap.connections == []


def test_a_remote_https_base_still_uses_the_proxy(trap: ProxyTrap) -> None:
    client = StripeClient(DirectBackend("sk_test_" + "ProxiedKey00000000000001"), retry=RetryPolicy(max_retries=0))
    with client, pytest.raises(APIConnectionError):
        client.request("GET", "/v1/balance")
    assert trap.connections == ["CONNECT api.stripe.com:443 HTTP/1.1"]  # the key itself went only in TLS


def test_the_sandbox_children_never_see_the_proxy_variables(trap: ProxyTrap) -> None:
    from paragon_magic.sandbox._child import minimal_environment

    assert not set(PROXY_VARIABLES) & set(minimal_environment())
