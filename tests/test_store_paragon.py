"""Paragon mode: each connected Stripe account (credential) of a user syncs into a store of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paragon_magic import Paragon
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer

LIVE_KEY = "sk_live_" + "ParagonSecondAccount000077"
TEST_ACCOUNT = "acct_1TestShopParagon01"
LIVE_ACCOUNT = "acct_1LiveShopParagon02"


@pytest.fixture
def two_accounts(stripe_server: Any) -> Iterator[tuple[ParagonDouble, ParagonDoubleServer, str, str]]:
    api = httpx.Client(base_url=stripe_server.url, auth=(stripe_server.key, ""))
    for name in ("Ada", "Grace"):
        assert api.post("/v1/customers", data={"name": name}).status_code == 200
    stripe_server.add_secret_key(LIVE_KEY)  # the sandbox accepts only its own key and keys registered with it
    double = ParagonDouble.with_new_key(stripe_server.url)
    test_credential = double.connect_user("user-1", stripe_server.key, account=TEST_ACCOUNT)
    live_credential = double.add_credential("user-1", LIVE_KEY, account=LIVE_ACCOUNT)
    with ParagonDoubleServer(double) as server:
        yield double, server, test_credential, live_credential


def test_each_credential_syncs_into_its_own_store(two_accounts: Any, tmp_path: Path) -> None:
    double, server, test_credential, live_credential = two_accounts
    session = Paragon(base_url=server.url, api_base=server.api_url).authenticate(
        double.project_id, double.mint_token("user-1"))
    session.config.progress = False
    session.store_location = tmp_path
    test = session.sync("customers", credential=test_credential, echo=None)
    live = session.sync("customers", credential=live_credential, echo=None)
    assert test.store.path.name == f"{TEST_ACCOUNT}-test.duckdb"
    assert live.store.path.name == f"{LIVE_ACCOUNT}-live.duckdb"
    assert test["customers"].added == live["customers"].added == 2
    sent = [r for r in double.requests() if "/v1/customers" in r.get("path", "")]
    assert {r["headers"].get("X-Paragon-Credential") for r in sent} == {test_credential, live_credential}
    assert session.sql("SELECT count(*) AS n FROM customers", credential=live_credential)["n"][0] == 2
    assert list(session.tables(credential=test_credential)["table"]) == ["customers"]
    default = session.sync("customers", echo=None)  # Paragon's default credential: the test account's store
    assert default.store.path == test.store.path and default["customers"].added == 0


def test_sync_credential_all_walks_every_connected_account(two_accounts: Any, ip: Any, tmp_path: Path) -> None:
    from shell_helpers import ok

    from paragon_magic.magics.extension import context_of

    double, server, _, _ = two_accounts
    ctx = context_of(ip)
    ctx.authenticate_paragon(double.project_id, double.mint_token("user-1"), base_url=server.url,
                             api_base=server.api_url)
    ok(ip, f"%config StripeMagic.store = {str(tmp_path)!r}")
    _, text = ok(ip, "%stripe sync customers --credential all --no-progress")
    assert text.count("customers: 2 added") == 2
    assert sorted(p.name for p in tmp_path.glob("*.duckdb")) == [f"{LIVE_ACCOUNT}-live.duckdb",
                                                                  f"{TEST_ACCOUNT}-test.duckdb"]
