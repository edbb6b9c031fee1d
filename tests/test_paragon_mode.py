"""Paragon mode from Python: authenticate as a project's user, then Stripe through the Proxy API double."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from paragon_magic import Paragon
from paragon_magic.auth import InvalidTokenError, generate_signing_key, mint_user_token
from paragon_magic.client import (
    APIConnectionError, AuthenticationError, InvalidRequestError, ParagonProxyError, StripeError,
)
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from paragon_magic.session import LiveWriteRefused


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


def test_token_signed_by_another_key_is_rejected_when_authenticating(proxy: Any) -> None:
    double, server = proxy
    other_private, _ = generate_signing_key()
    forged = mint_user_token(other_private, double.project_id, "user-1")
    paragon = Paragon(base_url=server.url)
    with pytest.raises(StripeError) as info:
        paragon.authenticate(double.project_id, forged)
    assert isinstance(info.value, (AuthenticationError, ParagonProxyError))
    assert info.value.http_status == 401 and forged not in str(info.value)
    assert paragon.user is None or paragon._session is None  # nothing half-authenticated to act with


def test_user_without_stripe_connected_is_told_when_authenticating(proxy: Any) -> None:
    double, server = proxy
    token = double.mint_token("user-2")  # signed correctly, but user-2 never connected Stripe
    with pytest.raises(ParagonProxyError) as info:
        Paragon(base_url=server.url).authenticate(double.project_id, token)
    message = str(info.value)
    assert "Stripe is not connected for user user-2" in message and double.project_id in message
    assert "\n" not in message


def test_a_user_with_a_live_account_needs_live_for_writes(proxy: Any, stripe_server: Any) -> None:
    double, server = proxy
    double.connect_user("live-user", "sk_live_" + "ParagonLiveUser00000042")
    session = Paragon(base_url=server.url).authenticate(double.project_id, double.mint_token("live-user"))
    assert session.mode == "live" and "live mode" in repr(session)
    before = len(stripe_server.requests())
    with pytest.raises(LiveWriteRefused, match="LIVE"):
        session.create_customer(name="Careful")
    assert len(stripe_server.requests()) == before
    assert session.create_customer(name="Meant it", live=True).name[0] == "Meant it"
    assert session.list_customers(limit=1).attrs["stripe"]["livemode"] is True


def test_unverified_mode_counts_as_live(proxy: Any) -> None:
    double, server = proxy
    session = Paragon(base_url=server.url).authenticate(double.project_id, double.mint_token("user-1"), verify=False)
    assert session.mode == "unknown"
    with pytest.raises(LiveWriteRefused, match="may be live"):
        session.create_customer(name="x")


def test_get_user_when_the_proxy_is_gone_is_one_clear_error(proxy: Any) -> None:
    double, server = proxy
    token = double.mint_token("user-1")
    paragon = Paragon(base_url=server.url)
    paragon.authenticate(double.project_id, token)
    server.stop()
    with pytest.raises(APIConnectionError) as info:
        paragon.get_user()
    assert "Could not reach" in str(info.value) and token not in str(info.value) and "\n" not in str(info.value)
