"""A request that answers 4xx changes nothing (issue 23, item 7): cases a fuzz over the routes with
stripe-python's parameters found writing before the last check."""

from __future__ import annotations

import copy

import pytest

from billing_world import call, customer
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse


def test_finalizing_the_invoice_of_a_deleted_customer_changes_nothing() -> None:
    engine = Engine(seed=2)
    cus = customer(engine, None)
    invoice = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "auto_advance": False})
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 500, "currency": "usd",
                                              "invoice": invoice["id"]})
    call(engine, "DELETE", f"/v1/customers/{cus['id']}")
    before = copy.deepcopy(engine.store.get(invoice["id"]))
    with pytest.raises(StripeErrorResponse) as error:
        call(engine, "POST", f"/v1/invoices/{invoice['id']}/finalize", {"auto_advance": True})
    assert error.value.status == 404
    assert engine.store.get(invoice["id"]) == before


def test_the_items_of_a_canceled_subscription_cannot_change() -> None:
    engine = Engine(seed=3)
    cus = customer(engine, None)
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})
    prices = [call(engine, "POST", "/v1/prices", {"product": product["id"], "unit_amount": amount, "currency": "usd",
                                                  "recurring": {"interval": "month"}}) for amount in (1_000, 2_000)]
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": prices[0]["id"]}]})
    call(engine, "DELETE", f"/v1/subscriptions/{sub['id']}")
    item = sub["items"]["data"][0]["id"]
    before = copy.deepcopy(list(engine.store.all("subscription_item"))), copy.deepcopy(engine.store.get(sub["id"]))
    for method, path, params in (("POST", "/v1/subscription_items", {"subscription": sub["id"], "price": prices[1]["id"]}),
                                 ("POST", f"/v1/subscription_items/{item}", {"quantity": 3}),
                                 ("DELETE", f"/v1/subscription_items/{item}", {})):
        with pytest.raises(StripeErrorResponse) as error:
            call(engine, method, path, params)
        assert error.value.status == 400 and "canceled subscription" in str(error.value)
    assert (list(engine.store.all("subscription_item")), engine.store.get(sub["id"])) == before


@pytest.mark.parametrize("name, value", [("discounts", [{"coupon": "X"}]), ("price_data", {"currency": "usd", "product": "prod_x", "recurring": {"interval": "month"}}),
                                         ("tax_rates", ["txr_1"]), ("billing_thresholds", {"usage_gte": 5})])
def test_a_subscription_item_parameter_the_sandbox_does_not_bill_by_is_refused(name: str, value: object) -> None:
    engine = Engine(seed=4)
    cus = customer(engine, None)
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})
    price = call(engine, "POST", "/v1/prices", {"product": product["id"], "unit_amount": 1_000, "currency": "usd",
                                                "recurring": {"interval": "month"}})
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    item = sub["items"]["data"][0]["id"]
    before = copy.deepcopy(engine.store.get(item))
    with pytest.raises(StripeErrorResponse) as error:
        call(engine, "POST", f"/v1/subscription_items/{item}", {name: value})
    assert error.value.status == 400 and error.value.param == name
    assert engine.store.get(item) == before
