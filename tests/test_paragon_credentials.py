"""Paragon credential selection and the live-write guard, over real HTTP: Paragon double → local sandbox.

The user connects two Stripe accounts in the double: a test one and a live one, each acting as a
distinct account id, so ``GET /v1/account`` and ``livemode`` show which one answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from paragon_magic import Paragon
from paragon_magic.client import ParagonProxyError
from paragon_magic.errors import UsageError
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from paragon_magic.session import LiveWriteRefused

LIVE_KEY = "sk_live_" + "ParagonSecondAccount000077"
TEST_ACCOUNT = "acct_1TestShopParagon01"
LIVE_ACCOUNT = "acct_1LiveShopParagon02"


@pytest.fixture
def two_accounts(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer, str, str]]:
    """user-1 with a test credential (first, Paragon's default) and a live one."""
    stripe_server.add_secret_key(LIVE_KEY)  # the sandbox accepts only its own key and keys registered with it
    double = ParagonDouble.with_new_key(stripe_server.url)
    test_credential = double.connect_user("user-1", stripe_server.key, account=TEST_ACCOUNT)
    live_credential = double.add_credential("user-1", LIVE_KEY, account=LIVE_ACCOUNT)
    with ParagonDoubleServer(double) as server:
        yield double, server, test_credential, live_credential


def paragon_for(server: ParagonDoubleServer) -> Paragon:
    return Paragon(base_url=server.url, api_base=server.api_url)


def posts(stripe_server: Any) -> list[dict[str, Any]]:
    return [r for r in stripe_server.requests() if r["method"] == "POST"]


def test_authenticate_with_a_selected_credential_talks_to_that_account(two_accounts: Any) -> None:
    double, server, _, live_credential = two_accounts
    paragon = paragon_for(server)
    session = paragon.authenticate(double.project_id, double.mint_token("user-1"),
                                   selected_credential_id=live_credential)
    assert session.account["id"] == LIVE_ACCOUNT and session.mode == "live"
    session.list_customers(limit=1)
    sent = double.requests()
    assert sent and all(r["headers"].get("X-Paragon-Credential") == live_credential for r in sent)
    assert {r["credential_id"] for r in sent} == {live_credential}
    assert paragon.selected_credential_id == live_credential


def test_without_a_selection_paragon_uses_the_default_credential(two_accounts: Any) -> None:
    double, server, test_credential, _ = two_accounts
    session = paragon_for(server).authenticate(double.project_id, double.mint_token("user-1"))
    assert session.account["id"] == TEST_ACCOUNT and session.mode == "test"
    assert all("X-Paragon-Credential" not in r["headers"] for r in double.requests())
    assert {r["credential_id"] for r in double.requests()} == {test_credential}


def test_use_credential_switches_every_later_call(two_accounts: Any, stripe_server: Any) -> None:
    double, server, test_credential, live_credential = two_accounts
    paragon = paragon_for(server)
    session = paragon.authenticate(double.project_id, double.mint_token("user-1"))
    paragon.use_credential(live_credential)
    assert session.account["id"] == LIVE_ACCOUNT and session.mode == "live"
    with pytest.raises(LiveWriteRefused, match="LIVE"):
        session.create_customer(name="not without --live")
    paragon.use_credential(test_credential)
    assert session.account["id"] == TEST_ACCOUNT and session.mode == "test"
    created = session.create_customer(name="on the test account")
    assert created.attrs["stripe"]["livemode"] is False
    assert posts(stripe_server)[-1]["headers"].get("Stripe-Account") == TEST_ACCOUNT
    assert double.requests()[-1]["headers"]["X-Paragon-Credential"] == test_credential


def test_an_unknown_credential_is_refused_and_the_selection_stays(two_accounts: Any) -> None:
    double, server, test_credential, _ = two_accounts
    paragon = paragon_for(server)
    paragon.authenticate(double.project_id, double.mint_token("user-1"), selected_credential_id=test_credential)
    with pytest.raises(ParagonProxyError) as info:
        paragon.use_credential("00000000-dead-4000-8000-000000000000")
    assert info.value.http_status == 404 and info.value.code == "CREDENTIAL_NOT_FOUND"
    assert paragon.selected_credential_id == test_credential
    with pytest.raises(UsageError, match="credential id"):
        paragon.use_credential("two words")


def test_a_per_call_credential_answers_from_that_account_only(two_accounts: Any, stripe_server: Any) -> None:
    double, server, test_credential, live_credential = two_accounts
    paragon = paragon_for(server)
    session = paragon.authenticate(double.project_id, double.mint_token("user-1"))
    live = paragon.request("stripe", "/v1/account", selected_credential_id=live_credential)
    assert live.id[0] == LIVE_ACCOUNT
    assert session.request("stripe", "/v1/account").id[0] == TEST_ACCOUNT  # the selection did not stick
    with pytest.raises(LiveWriteRefused, match="LIVE"):
        session.run("create_customer", {"name": "x"}, credential=live_credential)
    assert not posts(stripe_server)
    made = session.run("create_customer", {"name": "meant"}, credential=live_credential, live=True)
    assert made.attrs["stripe"]["livemode"] is True
    assert posts(stripe_server)[-1]["headers"].get("Stripe-Account") == LIVE_ACCOUNT
    assert session.create_customer(name="default again").attrs["stripe"]["livemode"] is False
    assert double.requests()[-1]["credential_id"] == test_credential


def test_a_direct_session_refuses_a_credential(session: Any) -> None:
    with pytest.raises(UsageError, match="not through Paragon"):
        session.run("list_customers", credential="abc")


# -- the live-write guard follows the account, not the first answer ---------------------------------

def test_reconnecting_a_live_account_in_paragon_stops_unconfirmed_writes(stripe_server: Any) -> None:
    stripe_server.add_secret_key(LIVE_KEY)
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        session = paragon_for(server).authenticate(double.project_id, double.mint_token("user-1"))
        assert session.mode == "test"
        assert session.create_customer(name="while test").attrs["stripe"]["livemode"] is False
        double.connect_user("user-1", LIVE_KEY)  # the user reconnects Stripe in Paragon, now a live account
        before = len(posts(stripe_server))
        with pytest.raises(LiveWriteRefused) as info:
            session.create_customer(name="must not reach live")
        message = str(info.value)
        assert "now answers in LIVE mode" in message and "it was a test account" in message
        assert "--live" in message and "\n" not in message
        assert len(posts(stripe_server)) == before
        assert session.mode == "live"
        with pytest.raises(LiveWriteRefused):  # still refused: nothing was confirmed
            session.request("stripe", "/v1/customers", method="POST", body={"name": "raw write"})
        assert len(posts(stripe_server)) == before
        confirmed = session.create_customer(name="confirmed", live=True)
        assert confirmed.attrs["stripe"]["livemode"] is True and len(posts(stripe_server)) == before + 1


def test_the_same_credential_switching_account_is_noticed(two_accounts: Any, stripe_server: Any) -> None:
    double, server, test_credential, _ = two_accounts
    session = paragon_for(server).authenticate(double.project_id, double.mint_token("user-1"),
                                               selected_credential_id=test_credential)
    double.set_credential_key(test_credential, LIVE_KEY, account=LIVE_ACCOUNT)
    with pytest.raises(LiveWriteRefused, match=f"credential {test_credential} now answers in LIVE mode"):
        session.create_customer(name="x")
    assert not posts(stripe_server)


def test_every_answer_teaches_the_mode(stripe_server: Any) -> None:
    stripe_server.add_secret_key(LIVE_KEY)
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        session = paragon_for(server).authenticate(double.project_id, double.mint_token("user-1"))
        session.create_customer(name="seen as test")
        double.connect_user("user-1", LIVE_KEY)
        session.list_customers(limit=1)  # a read: its livemode=true answer is enough to know
        assert session.mode == "live" and "live mode" in repr(session)
        double.connect_user("user-1", stripe_server.key)  # back to the test account
        assert session.create_customer(name="test again").attrs["stripe"]["livemode"] is False
        assert session.mode == "test"


def test_the_mode_is_asked_with_the_calls_stripe_account(two_accounts: Any) -> None:
    double, server, _, _ = two_accounts
    session = paragon_for(server).authenticate(double.project_id, double.mint_token("user-1"))
    session.run("create_customer", {"name": "on a connected account"}, account="acct_1ConnectedShop0003")
    check, write = double.requests()[-2:]
    assert (check["method"], check["upstream_path"]) == ("GET", "/v1/balance")
    assert check["headers"]["Stripe-Account"] == write["headers"]["Stripe-Account"] == "acct_1ConnectedShop0003"
