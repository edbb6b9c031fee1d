"""``Stripe-Version`` over real HTTP: echoed on every answer, the account default when absent, and a
version Stripe never had refused with a 400 that changes nothing."""

from __future__ import annotations

import httpx
import pytest

from paragon_magic.client import DEFAULT_STRIPE_VERSION
from paragon_magic.sandbox import LocalStripe


def _api(server: LocalStripe) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key}"}, trust_env=False)


def test_the_version_is_echoed_and_defaults_to_the_pinned_one(stripe_server: LocalStripe) -> None:
    with _api(stripe_server) as api:
        assert api.get("/v1/customers").headers["Stripe-Version"] == DEFAULT_STRIPE_VERSION
        basil = api.get("/v1/customers", headers={"Stripe-Version": "2025-03-31.basil"})
        assert basil.status_code == 200 and basil.headers["Stripe-Version"] == "2025-03-31.basil"


@pytest.mark.parametrize("version", ["2099-01-01", "yesterday", "2024-13-45.acacia", "2010-06-01"])
def test_an_unknown_version_is_a_400_with_no_side_effect(stripe_server: LocalStripe, version: str) -> None:
    with _api(stripe_server) as api:
        reply = api.post("/v1/customers", data={"email": "v@example.com"}, headers={"Stripe-Version": version})
        assert reply.status_code == 400
        error = reply.json()["error"]
        assert (error["type"], error["param"]) == ("invalid_request_error", "Stripe-Version")
        assert version in error["message"]
        assert api.get("/v1/customers").json()["data"] == []
