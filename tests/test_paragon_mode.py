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
from paragon_magic.errors import UsageError
from paragon_magic.session import LiveWriteRefused


@pytest.fixture
def proxy(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer]]:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        yield double, server


def client_of(server: ParagonDoubleServer) -> Paragon:
    """A Paragon pointed at both of the double's hosts (never Paragon's real ones)."""
    return Paragon(base_url=server.url, api_base=server.api_url)


def test_minted_token_routes_requests_through_the_proxy(proxy: Any, stripe_server: Any) -> None:
    double, server = proxy
    paragon = client_of(server)
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
    assert user["userId"] == "user-1" and user["authenticated"] is True
    stripe = user["integrations"]["stripe"]
    assert stripe["enabled"] is True and stripe["credentialStatus"] == "VALID"
    assert [c["id"] for c in stripe["allCredentials"]] == [stripe["credentialId"]] == double.credential_ids("user-1")
    assert token not in repr(paragon) and token not in repr(session)

    with pytest.raises(InvalidRequestError, match="No such customer"):
        session.get_customer("cus_missing")


def test_expired_token_is_refused_before_anything_is_sent(proxy: Any) -> None:
    double, server = proxy
    stale = mint_user_token(double.signing_key_pem, double.project_id, "user-1", now=time.time() - 7200)
    with pytest.raises(InvalidTokenError, match="expired"):
        client_of(server).authenticate(double.project_id, stale)
    assert double.requests() == []


def test_token_signed_by_another_key_is_rejected_when_authenticating(proxy: Any) -> None:
    double, server = proxy
    other_private, _ = generate_signing_key()
    forged = mint_user_token(other_private, double.project_id, "user-1")
    paragon = client_of(server)
    with pytest.raises(StripeError) as info:
        paragon.authenticate(double.project_id, forged)
    assert isinstance(info.value, (AuthenticationError, ParagonProxyError))
    assert info.value.http_status == 401 and forged not in str(info.value)
    assert paragon.user is None or paragon._session is None  # nothing half-authenticated to act with


def test_user_without_stripe_connected_is_told_when_authenticating(proxy: Any) -> None:
    double, server = proxy
    token = double.mint_token("user-2")  # signed correctly, but user-2 never connected Stripe
    with pytest.raises(ParagonProxyError) as info:
        client_of(server).authenticate(double.project_id, token)
    message = str(info.value)
    assert "Stripe is not connected for user user-2" in message and double.project_id in message
    assert "\n" not in message


def test_a_user_with_a_live_account_needs_live_for_writes(proxy: Any, stripe_server: Any) -> None:
    double, server = proxy
    stripe_server.add_secret_key("sk_live_" + "ParagonLiveUser00000042")
    double.connect_user("live-user", "sk_live_" + "ParagonLiveUser00000042")
    session = client_of(server).authenticate(double.project_id, double.mint_token("live-user"))
    assert session.mode == "live" and "live mode" in repr(session)
    with pytest.raises(LiveWriteRefused, match="LIVE"):
        session.create_customer(name="Careful")
    assert not [r for r in stripe_server.requests() if r["method"] == "POST"]
    assert session.create_customer(name="Meant it", live=True).name[0] == "Meant it"
    assert session.list_customers(limit=1).attrs["stripe"]["livemode"] is True


def test_unverified_mode_is_asked_before_the_first_write(proxy: Any) -> None:
    double, server = proxy
    session = client_of(server).authenticate(double.project_id, double.mint_token("user-1"), verify=False)
    assert session.mode == "unknown" and double.requests() == []
    assert session.create_customer(name="x").name[0] == "x"  # a test account: no --live needed
    assert [(r["method"], r["upstream_path"]) for r in double.requests()] == [
        ("GET", "/v1/balance"), ("POST", "/v1/customers")]
    assert session.mode == "test"


def test_a_key_that_cannot_read_the_balance_leaves_the_mode_unknown(proxy: Any, stripe_server: Any) -> None:
    double, server = proxy
    restricted = "rk_test_ParagonNoBalance00000001"
    stripe_server.add_restricted_key(restricted, ["rak_customer_write", "rak_customer_read", "rak_connected_account_read"])
    double.connect_user("restricted", restricted)
    session = client_of(server).authenticate(double.project_id, double.mint_token("restricted"))
    assert session.mode == "unknown"
    with pytest.raises(LiveWriteRefused, match="cannot be told") as info:
        session.create_customer(name="x")
    assert "\n" not in str(info.value) and "--live" in str(info.value)
    assert session.create_customer(name="confirmed", live=True).name[0] == "confirmed"


def test_get_user_when_the_users_api_is_gone_is_one_clear_error(proxy: Any) -> None:
    double, server = proxy
    token = double.mint_token("user-1")
    paragon = client_of(server)
    paragon.authenticate(double.project_id, token)
    server.stop_api()
    with pytest.raises(APIConnectionError) as info:
        paragon.get_user()
    message = str(info.value)
    assert "Could not reach the Paragon Users API" in message and token not in message and "\n" not in message


def test_get_user_asks_the_users_api_host_not_the_proxy(proxy: Any) -> None:
    double, server = proxy
    wrong = Paragon(base_url=server.url, api_base=server.url)  # the Users API is not on the proxy's host
    wrong.authenticate(double.project_id, double.mint_token("user-1"))
    with pytest.raises(ParagonProxyError) as info:
        wrong.get_user()
    assert info.value.http_status == 404 and info.value.code == "NOT_FOUND"
    assert not [r for r in double.requests() if r["path"].endswith("/sdk/me")]


def test_api_base_comes_from_the_environment_unless_given(proxy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    double, server = proxy
    monkeypatch.setenv("PARAGON_API_BASE", server.api_url + "/")
    monkeypatch.setenv("PARAGON_PROXY_BASE", server.url)
    paragon = Paragon()
    assert (paragon.base_url, paragon.api_base) == (server.url, server.api_url)
    paragon.authenticate(double.project_id, double.mint_token("user-1"))
    assert paragon.get_user()["userId"] == "user-1"
    assert Paragon(api_base="http://127.0.0.1:1").api_base == "http://127.0.0.1:1"
    monkeypatch.delenv("PARAGON_API_BASE")
    monkeypatch.delenv("PARAGON_PROXY_BASE")
    assert Paragon().api_base == "https://api.useparagon.com"  # nothing is sent: only the default is read
    assert Paragon().base_url == "https://proxy.useparagon.com"


def test_user_metadata_is_stored_on_the_users_api(proxy: Any) -> None:
    double, server = proxy
    paragon = client_of(server)
    paragon.authenticate(double.project_id, double.mint_token("user-1"))
    assert paragon.set_user_metadata({"plan": "pro", "seats": 3}) == {"plan": "pro", "seats": 3}
    assert paragon.set_user_metadata({"plan": "team"}) == {"plan": "team", "seats": 3}
    assert paragon.get_user()["meta"] == {"plan": "team", "seats": 3} == double.user_meta("user-1")
    assert not [r for r in double.requests() if "sdk/me" in r["path"]]  # never through the proxy
    with pytest.raises(UsageError, match="non-empty mapping"):
        paragon.set_user_metadata({})


@pytest.mark.parametrize("style", ["meta", "meta.response", "output", "passthrough"])
def test_a_stripe_error_anywhere_paragon_puts_it_is_the_typed_stripe_error(proxy: Any, style: str) -> None:
    double, server = proxy
    double.stripe_error_style = style
    session = client_of(server).authenticate(double.project_id, double.mint_token("user-1"))
    with pytest.raises(InvalidRequestError) as info:
        session.get_customer("cus_missingEverywhere")
    error = info.value
    assert not isinstance(error, ParagonProxyError)
    assert error.code == "resource_missing" and error.http_status == 404 and "No such customer" in str(error)
    assert error.request_id


def test_an_integration_error_without_a_stripe_body_is_a_proxy_error(stripe_server: Any) -> None:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        session = client_of(server).authenticate(double.project_id, double.mint_token("user-1"))
        double.upstream_url = "http://127.0.0.1:1"  # Stripe is now unreachable from the proxy
        with pytest.raises(ParagonProxyError) as info:
            session.list_customers(limit=1)
    error = info.value
    assert error.http_status == 502 and error.code == "INTEGRATION_REQUEST_FAILED"
    assert error.meta["isIntegrationError"] is True
    assert str(error).startswith("Paragon reports an integration error (HTTP 502): ")
    assert "(INTEGRATION_REQUEST_FAILED" in str(error)
