"""The pinned Stripe-Version: stripe-python 16.1's by default, chosen per connection, sent over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from IPython.core.interactiveshell import InteractiveShell

from paragon_magic import Paragon
from paragon_magic.auth import mint_user_token
from paragon_magic.client import DEFAULT_STRIPE_VERSION
from paragon_magic.connection import connect
from paragon_magic.errors import UsageError
from paragon_magic.sandbox.paragon_double import ParagonDouble, ParagonDoubleServer
from paragon_magic.session import Session

from shell_helpers import ok, requests_since, run


def versions_sent(server: Any, start: int) -> list[str | None]:
    return [r["headers"].get("Stripe-Version") for r in requests_since(server, start)]


def test_default_is_stripe_python_16_1s_version(stripe_server: Any) -> None:
    assert DEFAULT_STRIPE_VERSION == stripe.api_version == "2026-10-28.endive"
    start = len(stripe_server.requests())
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False)
    session.list_customers(limit=1)
    assert set(versions_sent(stripe_server, start)) == {"2026-10-28.endive"}


def test_connect_takes_a_stripe_version(stripe_server: Any) -> None:
    start = len(stripe_server.requests())
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False, stripe_version="2025-03-31.basil")
    session.request("stripe", "/v1/balance")
    assert set(versions_sent(stripe_server, start)) == {"2025-03-31.basil"}
    start = len(stripe_server.requests())
    connect(stripe_server.key, base_url=stripe_server.url, save=False, stripe_version=None).list_customers(limit=1)
    assert set(versions_sent(stripe_server, start)) == {None}  # None: the account's default version
    with pytest.raises(UsageError, match="stripe_version must look like 2026-10-28.endive"):
        connect(stripe_server.key, base_url=stripe_server.url, save=False, stripe_version="latest")


def test_config_stripe_version_applies_to_the_current_connection(ip: InteractiveShell, session: Session,
                                                                 stripe_server: Any, caplog: Any) -> None:
    start = len(stripe_server.requests())
    ok(ip, "%stripe list_customers --limit 1")
    ok(ip, "%config StripeMagic.stripe_version = '2025-03-31.basil'")
    ok(ip, "%stripe list_customers --limit 1")
    assert versions_sent(stripe_server, start) == ["2026-10-28.endive", "2025-03-31.basil"]
    run(ip, "%config StripeMagic.stripe_version = 'newest'")  # %config logs the refusal
    assert "stripe_version must look like" in caplog.text and session.client.stripe_version == "2025-03-31.basil"
    start = len(stripe_server.requests())
    ok(ip, "%config StripeMagic.stripe_version = '2026-10-28.endive'")
    ok(ip, "%stripe list_customers --limit 1")
    assert versions_sent(stripe_server, start) == ["2026-10-28.endive"]


def test_paragon_authenticate_takes_a_stripe_version(stripe_server: Any) -> None:
    double = ParagonDouble.with_new_key(stripe_server.url, users={"user-1": stripe_server.key})
    with ParagonDoubleServer(double) as server:
        token = mint_user_token(double.signing_key_pem, double.project_id, "user-1")
        start = len(stripe_server.requests())
        session = Paragon(base_url=server.url).authenticate(double.project_id, token, stripe_version="2025-03-31.basil")
        session.list_customers(limit=1)
        assert set(versions_sent(stripe_server, start)) == {"2025-03-31.basil"}
