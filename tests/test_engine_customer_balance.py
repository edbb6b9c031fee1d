"""A customer's balance history (``customer_balance_transaction``): every change of ``balance`` is
recorded, as Stripe does: ``initial`` at creation, ``adjustment`` by update or by
``POST /v1/customers/{id}/balance_transactions``, ``applied_to_invoice`` when an invoice uses it;
listed (over HTTP, with stripe-python) at ``/v1/customers/{id}/balance_transactions``."""

from __future__ import annotations

import pytest
import stripe

from billing_world import call, customer
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse


def _history(engine: Engine, customer_id: str) -> list[dict]:
    return [t for t in engine.collection("customer_balance_transaction") if t["customer"] == customer_id]


def test_every_balance_change_is_a_transaction() -> None:
    engine = Engine(seed=8)
    cus = customer(engine, None, balance=-1_000)
    call(engine, "POST", f"/v1/customers/{cus['id']}", {"balance": -1_500})
    txn = call(engine, "POST", f"/v1/customers/{cus['id']}/balance_transactions",
               {"amount": 200, "currency": "usd", "description": "Goodwill reversed"})
    invoice = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 500, "currency": "usd",
                                              "invoice": invoice["id"]})
    call(engine, "POST", f"/v1/invoices/{invoice['id']}/finalize")
    history = _history(engine, cus["id"])
    assert [(t["type"], t["amount"], t["ending_balance"]) for t in history] == [
        ("initial", -1_000, -1_000), ("adjustment", -500, -1_500), ("adjustment", 200, -1_300),
        ("applied_to_invoice", 500, -800)]
    assert history[-1]["invoice"] == invoice["id"] and txn["description"] == "Goodwill reversed"
    assert engine.store.get(cus["id"])["balance"] == -800
    assert all(t["id"].startswith("cbtxn_") and t["currency"] == "usd" for t in history)
    got = call(engine, "GET", f"/v1/customers/{cus['id']}/balance_transactions/{txn['id']}")
    assert got["id"] == txn["id"]


def test_a_refused_transaction_changes_nothing() -> None:
    engine = Engine(seed=9)
    cus = customer(engine, None, balance=-100)
    call(engine, "POST", f"/v1/customers/{cus['id']}/balance_transactions", {"amount": -50, "currency": "usd"})
    with pytest.raises(StripeErrorResponse) as error:
        call(engine, "POST", f"/v1/customers/{cus['id']}/balance_transactions", {"amount": -50, "currency": "eur"})
    assert error.value.status == 400 and error.value.param == "currency"
    assert engine.store.get(cus["id"])["balance"] == -150 and len(_history(engine, cus["id"])) == 2


def test_stripe_python_lists_a_customers_balance_transactions(stripe_server: LocalStripe) -> None:
    client = stripe.StripeClient(stripe_server.key, base_addresses={"api": stripe_server.url}, max_network_retries=0)
    cus = client.v1.customers.create({"email": "credit@example.com"})
    made = client.v1.customers.balance_transactions.create(cus.id, {"amount": -2_500, "currency": "usd"})
    client.v1.customers.update(cus.id, {"balance": -3_000})
    listed = client.v1.customers.balance_transactions.list(cus.id)
    assert [(t.type, t.amount, t.ending_balance) for t in listed.data] == [("adjustment", -500, -3_000),
                                                                          ("adjustment", -2_500, -2_500)]
    assert client.v1.customers.balance_transactions.retrieve(cus.id, made.id).object == "customer_balance_transaction"
    assert client.v1.customers.retrieve(cus.id).currency == "usd"
