"""A caller's headers cannot replace the connection's own: the live-write guard checks what is really sent.

Over real HTTP: the Paragon double in front of the local sandbox, a user with a test credential (the
default) and a live one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import paragon_magic
from paragon_magic import Paragon
from paragon_magic.client import DirectBackend, StripeClient, check_caller_headers
from paragon_magic.errors import UsageError
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer

LIVE_KEY = "sk_live_" + "HeaderGuardLiveAccount0001"
RESERVED = ("Authorization", "X-Paragon-Credential", "Stripe-Account", "Stripe-Version")


@pytest.fixture
def accounts(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer, str]]:
    """user-1: a test credential (Paragon's default) and a live one; returns the live credential's id."""
    stripe_server.add_secret_key(LIVE_KEY)
    double = ParagonDouble.with_new_key(stripe_server.url)
    double.connect_user("user-1", stripe_server.key, account="acct_1HeaderTestShop01")
    live = double.add_credential("user-1", LIVE_KEY, account="acct_1HeaderLiveShop02")
    with ParagonDoubleServer(double) as server:
        yield double, server, live


@pytest.mark.parametrize("name", [*RESERVED, "authorization", " stripe-account "])
def test_each_reserved_header_is_refused_naming_the_option(name: str) -> None:
    with pytest.raises(UsageError, match="cannot be set per request") as refused:
        check_caller_headers({name: "x"})
    assert "x" not in str(refused.value).split(":")[0]
    assert check_caller_headers({"Idempotency-Key": "k"}) == {"Idempotency-Key": "k"}


def test_a_credential_header_cannot_bypass_the_live_write_guard(accounts: Any, stripe_server: Any) -> None:
    double, server, live = accounts
    paragon = Paragon(base_url=server.url, api_base=server.api_url)
    paragon.authenticate(double.project_id, double.mint_token("user-1"))  # the test account
    before = len(double.requests())
    with pytest.raises(UsageError, match="selected_credential_id"):
        paragon.request("stripe", "/v1/customers", method="POST", body={"name": "via the live account"},
                        headers={"X-Paragon-Credential": live})
    assert len(double.requests()) == before  # refused before anything was sent
    assert not [r for r in stripe_server.requests() if r["method"] == "POST"]


@pytest.mark.parametrize("name", RESERVED)
def test_session_request_refuses_reserved_headers_before_sending(stripe_server: Any, name: str) -> None:
    session = paragon_magic.connect(stripe_server.key, base_url=stripe_server.url)
    start = len(stripe_server.requests())
    with pytest.raises(UsageError, match="cannot be set per request"):
        session.request("stripe", "/v1/customers", method="POST", body={"name": "x"}, headers={name: "value"})
    assert stripe_server.requests()[start:] == []


def test_the_client_refuses_them_too(stripe_server: Any) -> None:
    client = StripeClient(DirectBackend(stripe_server.key, base_url=stripe_server.url))
    with client, pytest.raises(UsageError, match="account="):
        client.request("GET", "/v1/customers", headers={"Stripe-Account": "acct_1Someone"})
    assert client.build_request("GET", "/v1/x", headers={"X-Custom": "1"}).headers["X-Custom"] == "1"
