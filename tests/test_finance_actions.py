"""The finance rows (charges, refunds, payouts, invoices, lines, events, prices, search) against the sandbox.

Each row runs through the Session against the embedded sandbox; its typed columns are checked and its
rows compared with the raw API answer (httpx, no paragon_magic code in between). Search paging over many
pages also runs over real HTTP in ``test_request_paging.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema
import pandas as pd
import pytest

from paragon_magic.catalog import ACTIONS, actions_schema, describe
from paragon_magic.connection import connect
from paragon_magic.magics.completion import complete
from paragon_magic.session import Session, SessionConfig

NEW_ROWS = ("list_charges", "get_charge", "list_refunds", "list_invoices", "get_invoice", "list_invoice_line_items",
            "list_payouts", "list_prices", "get_price", "create_price", "list_events", "search_customers",
            "search_charges", "search_invoices", "search_subscriptions", "search_products", "search_prices",
            "search_payment_intents")


@dataclass
class Business:
    session: Session
    server: Any
    customer: str
    charges: list[str]
    refund: str
    payout: str
    invoice: str
    product: str

    def raw(self, path: str, **params: Any) -> Any:
        """The API's own answer, straight over httpx."""
        response = httpx.get(self.server.url + path, params=params, auth=(self.server.key, ""),
                             headers={"Stripe-Version": "2026-10-28.endive"})
        response.raise_for_status()
        return response.json()


@pytest.fixture
def business(stripe_server: Any) -> Business:
    session = connect(stripe_server.key, base_url=stripe_server.url, save=False, rate_limit=1000,
                      config=SessionConfig(progress=False))
    post = lambda path, params: session.client.request("POST", path, params).data  # noqa: E731
    customer = post("/v1/customers", {"name": "Jenny Rosen", "email": "jenny@example.com",
                                      "payment_method": "pm_card_visa",
                                      "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
    other = post("/v1/customers", {"email": "other@example.com", "payment_method": "pm_card_visa"})["id"]
    for who, amount in ((customer, 2000), (customer, 3500), (other, 990)):
        post("/v1/payment_intents", {"amount": amount, "currency": "usd", "customer": who,
                                     "payment_method": "pm_card_visa", "confirm": True})
    refunded = session.client.request("GET", "/v1/charges", {"customer": customer}).data["data"][0]["id"]
    refund = post("/v1/refunds", {"charge": refunded, "amount": 500})["id"]
    settled = int(time.time()) - 3 * 86_400  # a payout takes settled funds (Stripe refuses more)
    txns = session.client.request("GET", "/v1/balance_transactions", {"limit": 100}).data["data"]
    stripe_server.backdate({t["id"]: settled for t in txns})
    payout = post("/v1/payouts", {"amount": 1200, "currency": "usd"})["id"]
    product = post("/v1/products", {"name": "Pro"})["id"]
    plan = post("/v1/plans", {"product": product, "amount": 2900, "currency": "usd", "interval": "month"})["id"]
    subscription = post("/v1/subscriptions", {"customer": customer, "items": [{"plan": plan}]})["id"]
    invoices = session.client.request("GET", "/v1/invoices", {"subscription": subscription}).data["data"]
    charges = [c["id"] for c in session.client.request("GET", "/v1/charges", {"customer": customer}).data["data"]]
    assert refunded in charges
    return Business(session, stripe_server, customer, [refunded, *(c for c in charges if c != refunded)], refund,
                    payout, invoices[0]["id"], product)


def utc(frame: pd.DataFrame, column: str) -> bool:
    return isinstance(frame[column].dtype, pd.DatetimeTZDtype) and str(frame[column].dt.tz) == "UTC"


def test_charges(business: Business) -> None:
    frame = business.session.list_charges(customer=business.customer)
    assert sorted(frame.id) == sorted(business.charges)
    assert sorted(frame.id) == sorted(c["id"] for c in business.raw("/v1/charges", customer=business.customer)["data"])
    assert str(frame["amount"].dtype) == "Int64" and sorted(frame["amount"]) == [2000, 2900, 3500]
    assert utc(frame, "created") and frame.attrs["stripe"]["object_type"] == "charge"
    assert str(frame["paid"].dtype) in ("bool", "boolean")
    assert len(business.session.list_charges()) == 4
    assert len(business.session.list_charges(limit=2)) == 2
    assert len(business.session.list_charges(created_after="2026-01-01")) == 4
    assert business.session.list_charges(created_after="2099-01-01").empty
    one = business.session.get_charge(business.charges[0])
    assert list(one.id) == [business.charges[0]] and str(one["amount_refunded"].dtype) == "Int64"


def test_refunds(business: Business) -> None:
    frame = business.session.list_refunds(charge=business.charges[0])
    assert list(frame.id) == [business.refund] and str(frame["amount"].dtype) == "Int64"
    assert frame["amount"][0] == 500 and utc(frame, "created")
    assert list(business.session.list_refunds().id) == [r["id"] for r in business.raw("/v1/refunds")["data"]]


def test_payouts(business: Business) -> None:
    frame = business.session.list_payouts()
    assert list(frame.id) == [business.payout] and str(frame["amount"].dtype) == "Int64"
    assert utc(frame, "created") and utc(frame, "arrival_date")
    assert list(frame.id) == [p["id"] for p in business.raw("/v1/payouts")["data"]]


def test_invoices_and_their_lines(business: Business) -> None:
    frame = business.session.list_invoices(customer=business.customer)
    assert business.invoice in set(frame.id)
    assert sorted(frame.id) == sorted(i["id"] for i in business.raw("/v1/invoices", customer=business.customer)["data"])
    assert str(frame["total"].dtype) == "Int64" and utc(frame, "created")
    one = business.session.get_invoice(business.invoice)
    assert list(one.id) == [business.invoice] and one["total"][0] == 2900
    lines = business.session.list_invoice_line_items(business.invoice)
    raw_lines = business.raw(f"/v1/invoices/{business.invoice}/lines")["data"]
    assert list(lines.id) == [line["id"] for line in raw_lines] and len(lines) >= 1
    assert str(lines["amount"].dtype) == "Int64" and lines.attrs["stripe"]["object_type"] == "line_item"


def test_events(business: Business) -> None:
    frame = business.session.list_events()
    assert len(frame) == len(business.raw("/v1/events", limit=100)["data"]) and utc(frame, "created")
    created = business.session.list_events(type="customer.created")
    assert len(created) >= 2 and set(created["type"]) == {"customer.created"}


def test_prices(business: Business) -> None:
    session = business.session
    created = session.create_price(product=business.product, currency="usd", unit_amount=2000,
                                   recurring={"interval": "month"}, lookup_key="pro_monthly")
    price = created["id"].iloc[0]
    assert price.startswith("price_") and str(created["unit_amount"].dtype) == "Int64"
    assert created["recurring.interval"].iloc[0] == "month" and utc(created, "created")
    assert list(session.get_price(price).id) == [price]
    listed = session.list_prices(product=business.product, type="recurring")
    raw = business.raw("/v1/prices", product=business.product, type="recurring")["data"]
    assert price in set(listed.id) and list(listed.id) == [p["id"] for p in raw]
    assert set(listed["product"]) == {business.product} and str(listed["unit_amount"].dtype) == "Int64"
    assert session.list_prices(product=business.product, type="one_time").empty


def test_search(business: Business) -> None:
    session = business.session
    found = session.search_customers("email:'jenny@example.com'")
    assert list(found.id) == [business.customer] and found.attrs["stripe"]["object_type"] == "customer"
    big = session.search_charges("amount>1000")
    raw = business.raw("/v1/charges/search", query="amount>1000")["data"]
    assert sorted(big.id) == sorted(c["id"] for c in raw) and set(big["amount"]) == {2000, 2900, 3500}
    assert str(big["amount"].dtype) == "Int64" and utc(big, "created")
    assert len(session.search_charges("amount>1000", limit=2)) == 2
    mine = session.search_invoices(f"customer:'{business.customer}'")
    assert business.invoice in set(mine.id) and str(mine["total"].dtype) == "Int64"
    assert session.search_customers("email:'nobody@example.com'").empty
    subs = session.search_subscriptions("status:'active'")
    assert len(subs) >= 1 and utc(subs, "created") and subs.attrs["stripe"]["object_type"] == "subscription"
    products = session.search_products("name:'Pro'")
    assert business.product in set(products.id) and str(products["active"].dtype) == "boolean"
    prices = session.search_prices(f"product:'{business.product}'")
    assert len(prices) >= 1 and str(prices["unit_amount"].dtype) == "Int64" and utc(prices, "created")
    intents = session.search_payment_intents("amount>1000")
    assert set(intents["amount"]) == {2000, 2900, 3500} and str(intents["amount"].dtype) == "Int64"  # 2900: the plan


@pytest.mark.parametrize("name", NEW_ROWS)
def test_every_new_row_has_help_completion_and_a_schema_entry(name: str) -> None:
    action = ACTIONS[name]
    text = describe(action)
    assert action.summary in text and "Examples:" in text and action.tool_name in text
    flags = complete(f"%stripe {name} --")
    assert flags and all(f.startswith("--") for f in flags)
    assert all(p.flag in flags for p in action.params if not p.target)
    (tool,) = [t for t in actions_schema() if t["function"]["name"] == action.tool_name]
    jsonschema.Draft202012Validator.check_schema(tool["function"]["parameters"])
    required = set(tool["function"]["parameters"]["required"])
    assert required == {p.name for p in action.params if p.required} | ({action.id_param} - {None})


def test_line_items_form_takes_the_invoice_id(business: Business) -> None:
    from paragon_magic.widgets import form

    f = form("list_invoice_line_items", session=business.session, namespace={})
    assert f.fields["invoice"].description.endswith("*") and "created_after" not in f.fields
    f.fields["invoice"].value = business.invoice
    f.run_button.click()
    assert f.error == "" and len(f.result) >= 1 and str(f.result["amount"].dtype) == "Int64"
    assert f.result.attrs["stripe"]["action"] == "list_invoice_line_items"
