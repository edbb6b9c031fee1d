"""One TLS context for every client of a process (building one loads the CA bundle: ~50 ms)."""

from __future__ import annotations

import asyncio

import certifi
import pytest

from paragon_magic.client import AsyncStripeClient, DirectBackend, StripeClient
from paragon_magic.client.tls import shared_tls_context


def _context_of(client: object) -> object:
    pool = client._http._transport._pool  # type: ignore[attr-defined]
    return pool._ssl_context


def test_every_client_shares_one_verifying_context() -> None:
    backend = DirectBackend("sk_test_tls0000000000000000")
    sync, other = StripeClient(backend), StripeClient(backend)
    twin = AsyncStripeClient(backend)
    try:
        context = shared_tls_context()
        assert _context_of(sync) is context and _context_of(other) is context and _context_of(twin) is context
        assert context.check_hostname and context.verify_mode.name == "CERT_REQUIRED"
    finally:
        sync.close()
        other.close()
        asyncio.run(twin.aclose())


def test_a_changed_ca_file_gets_its_own_context(monkeypatch: pytest.MonkeyPatch) -> None:
    before = shared_tls_context()
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    assert shared_tls_context() is not before and shared_tls_context() is shared_tls_context()
