"""A small business built through the sandbox's API, for list and search tests.

Every object of the listed collections gets a distinct backdated ``created`` (oldest first in
creation order), so newest-first order and ``created`` windows are exact.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe

BASE = 1_700_000_000
STEP = 1_000


@dataclass
class World:
    ids: dict[str, list[str]] = field(default_factory=dict)  # list path -> ids, oldest first
    named: dict[str, str] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    def newest_first(self, path: str) -> list[str]:
        return sorted(self.ids[path], key=lambda i: self.created[i], reverse=True)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _all(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    return _ok(api.get(path, params={"limit": 100, **params}))["data"]


def build_world(server: LocalStripe, api: httpx.Client) -> World:
    world = World()
    n = world.named
    post = lambda path, **data: _ok(api.post(path, data=data))  # noqa: E731
    # The world is made ten days ago on the sandbox clock; a payout then has arrived by now.
    server.set_clock(int(time.time()) - 10 * 86_400)
    for who, email in (("ann", "ann@example.com"), ("bob", "bob@example.org")):
        n[who] = post("/v1/customers", email=email, name=who.title() + " Lovelace" * (who == "ann"),
                      **{"payment_method": "pm_card_visa", "metadata[tier]": who[0] * 3})["id"]  # fmt: skip
    for key, who, amount, currency in (("pi1", "ann", 1000, "usd"), ("pi2", "ann", 2500, "eur"), ("pi3", "bob", 700, "usd")):
        pi = post("/v1/payment_intents", amount=amount, currency=currency, customer=n[who],
                  payment_method="pm_card_visa", confirm="true", **{"metadata[order]": key})  # fmt: skip
        n[key] = pi["id"]
        n["ch_" + key] = pi["latest_charge"]["id"] if isinstance(pi["latest_charge"], dict) else pi["latest_charge"]
    n["re1"] = post("/v1/refunds", charge=n["ch_pi1"], amount=100)["id"]
    n["re2"] = post("/v1/refunds", payment_intent=n["pi3"], amount=200)["id"]
    product = post("/v1/products", name="Gold", description="Gold plan", **{"metadata[tier]": "top"})["id"]
    plan = post("/v1/plans", amount=900, currency="usd", interval="month", product=product)["id"]
    post("/v1/plans", amount=9000, currency="usd", interval="year", product=post("/v1/products", name="Silver")["id"])
    n["sub"] = post("/v1/subscriptions", customer=n["ann"], **{"items[0][plan]": plan})["id"]
    n["ii_invoiced"] = post("/v1/invoiceitems", customer=n["ann"], amount=300, currency="usd")["id"]
    n["draft"] = post("/v1/invoices", customer=n["ann"], pending_invoice_items_behavior="include")["id"]
    n["ii_pending"] = post("/v1/invoiceitems", customer=n["bob"], amount=400, currency="usd")["id"]
    # A payout takes available funds (Stripe refuses more): the charges have settled three days later.
    server.set_clock(int(time.time()) - 7 * 86_400)
    n["po_paid"] = post("/v1/payouts", amount=200, currency="usd")["id"]  # arrives before today
    server.set_clock(None)  # back to real time: the first payout's arrival has come
    n["po_pending"] = post("/v1/payouts", amount=100, currency="usd")["id"]  # made today: still on its way
    card = {"card[token]": "tok_visa"}  # Stripe refuses raw card numbers without special access
    for key, who in (("pm1", "ann"), ("pm2", "ann"), ("pm3", "bob")):
        n[key] = post("/v1/payment_methods", type="card", **card)["id"]
        post(f"/v1/payment_methods/{n[key]}/attach", customer=n[who])
    for who in ("ann", "bob"):  # the card each signed up with
        n[f"{who}_card"] = _ok(api.get(f"/v1/customers/{n[who]}"))["invoice_settings"]["default_payment_method"]
    for pct in (10, 20):
        post("/v1/coupons", id=f"off{pct}", duration="once", percent_off=pct)
    n["vat"] = post("/v1/tax_rates", display_name="VAT", inclusive="true", percentage=20)["id"]
    n["gst"] = post("/v1/tax_rates", display_name="GST", inclusive="false", percentage=5, active="false")["id"]
    invoices = _all(api, "/v1/invoices")
    n["paid"] = next(i["id"] for i in invoices if i["id"] != n["draft"])
    for path in ("/v1/charges", "/v1/refunds", "/v1/invoices", "/v1/invoiceitems", "/v1/payouts",
                 "/v1/events", "/v1/payment_intents", "/v1/payment_methods", "/v1/coupons",
                 "/v1/tax_rates", "/v1/customers", "/v1/balance_transactions", "/v1/subscriptions",
                 "/v1/products", "/v1/plans"):  # fmt: skip
        world.ids[path] = [o["id"] for o in _all(api, path, **({"status": "all"} if "subscr" in path else {}))][::-1]
    # Distinct creation times, in creation order per collection (events keep their own order).
    backdates: dict[str, int] = {}
    for path, ids in world.ids.items():
        for index, obj_id in enumerate(ids):
            backdates.setdefault(obj_id, BASE + index * STEP + len(backdates))
    backdates[n["po_pending"]] = int(time.time())  # still pending: paid out today, not yet arrived
    server.backdate(backdates)
    world.created = backdates
    return world


# Module-scoped fixtures for read-only test modules (import both names into the module).
@pytest.fixture(scope="module")
def api(local_stripe: LocalStripe) -> Iterator[httpx.Client]:
    """A client of the session's sandbox, emptied once for the module (events kept however old)."""
    local_stripe.reset()
    local_stripe.settings(event_retention_days=None, automatic_payouts=False)  # its payouts are manual
    headers = {"Authorization": f"Bearer {local_stripe.key}"}
    with httpx.Client(base_url=local_stripe.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def world(local_stripe: LocalStripe, api: httpx.Client) -> World:
    """The business of :func:`build_world`, built once for the module."""
    return build_world(local_stripe, api)
