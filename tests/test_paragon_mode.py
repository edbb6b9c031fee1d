"""Paragon mode from Python: authenticate as a project's user, then Stripe through the Proxy API double."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from paragon_magic import Paragon
from paragon_magic.auth import InvalidTokenError, generate_signing_key, mint_user_token
from paragon_magic.client import AuthenticationError, InvalidRequestError, ParagonProxyError, StripeError
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer


@pytest.fixture
def proxy(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer]]:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        yield double, server


def test_minted_token_routes_requests_through_the_proxy(proxy: Any, stripe_server: Any) -> None:
    double, server = proxy
    paragon = Paragon(base_url=server.url)
    token = mint_user_token(double.signing_key_pem, double.project_id, "user-1")
    session = paragon.authenticate(double.project_id, token)
    assert paragon.user.user_id == "user-1" and session.label == "Paragon"

    created = paragon.request("stripe", "/v1/customers", method="POST", body={"email": "p@example.com",
                                                                               "metadata": {"via": "paragon"}})
    assert created.email[0] == "p@example.com" and created["metadata.via"][0] == "paragon"
    listed = session.list_customers(email="p@example.com")
    assert list(listed.id) == [created.id[0]]
    assert [r["upstream_path"] for r in double.requests()][-2:] == ["/v1/customers", "/v1/customers"]
    assert stripe_server.requests()[-1]["query"]["email"] == "p@example.com"

    user = paragon.get_user()
    assert user["id"] == "user-1" and user["integrations"]["stripe"]["enabled"] is True
    assert token not in repr(paragon) and token not in repr(session)

    with pytest.raises(InvalidRequestError, match="No such customer"):
        session.get_customer("cus_missing")


def test_expired_token_is_refused_before_anything_is_sent(proxy: Any) -> None:
    double, server = proxy
    stale = mint_user_token(double.signing_key_pem, double.project_id, "user-1", now=time.time() - 7200)
    with pytest.raises(InvalidTokenError, match="expired"):
        Paragon(base_url=server.url).authenticate(double.project_id, stale)
    assert double.requests() == []


def test_token_signed_by_another_key_is_rejected_by_the_proxy(proxy: Any) -> None:
    double, server = proxy
    other_private, _ = generate_signing_key()
    forged = mint_user_token(other_private, double.project_id, "user-1")
    session = Paragon(base_url=server.url).authenticate(double.project_id, forged)
    with pytest.raises(StripeError) as info:
        session.list_customers()
    assert isinstance(info.value, (AuthenticationError, ParagonProxyError))
    assert info.value.http_status == 401 and forged not in str(info.value)


def test_user_without_stripe_connected_gets_a_clear_error(proxy: Any) -> None:
    double, server = proxy
    token = double.mint_token("user-2")  # signed correctly, but user-2 never connected Stripe
    session = Paragon(base_url=server.url).authenticate(double.project_id, token)
    with pytest.raises(ParagonProxyError) as info:
        session.list_customers()
    message = str(info.value)
    assert "Stripe is not connected for user user-2" in message and double.project_id in message
    assert "\n" not in message
