"""What changes an invoice's money and the sandbox does not model is refused with a clear 400 naming
the parameter, not silently ignored (an ignored ``default_tax_rates`` or invoice item ``discounts``
would bill a different total than Stripe); ``unit_amount_decimal`` on an invoice item is billed."""

from __future__ import annotations

import pytest

from billing_world import call, coupon, customer
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse


@pytest.fixture
def world() -> tuple[Engine, dict, dict, dict]:
    engine = Engine(seed=13)
    cus = customer(engine, None)
    rate = call(engine, "POST", "/v1/tax_rates", {"display_name": "VAT", "percentage": 20, "inclusive": False})
    invoice = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    return engine, cus, rate, invoice


def _refused(engine: Engine, method: str, path: str, params: dict, param: str) -> None:
    kinds = {kind: len(engine.collection(kind)) for kind in ("invoice", "invoiceitem", "discount")}
    with pytest.raises(StripeErrorResponse) as error:
        call(engine, method, path, params)
    assert error.value.status == 400 and error.value.param == param, str(error.value)
    assert {kind: len(engine.collection(kind)) for kind in kinds} == kinds


def test_invoice_parameters_that_change_the_total_are_refused(world) -> None:
    engine, cus, rate, invoice = world
    shipping = {"shipping_rate_data": {"display_name": "Post", "type": "fixed_amount",
                                       "fixed_amount": {"amount": 500, "currency": "usd"}}}
    for params, param in (({"default_tax_rates": [rate["id"]]}, "default_tax_rates"),
                          ({"shipping_cost": shipping}, "shipping_cost"),
                          ({"automatic_tax": {"enabled": True}}, "automatic_tax"),
                          ({"number": "MY-0001"}, "number")):
        _refused(engine, "POST", "/v1/invoices", {"customer": cus["id"], **params}, param)
        _refused(engine, "POST", f"/v1/invoices/{invoice['id']}", params, param)


def test_invoice_item_taxes_and_discounts_are_refused(world) -> None:
    engine, cus, rate, invoice = world
    half = coupon(engine, percent_off=50, duration="once")
    base = {"customer": cus["id"], "currency": "usd", "amount": 1_000, "invoice": invoice["id"]}
    _refused(engine, "POST", "/v1/invoiceitems", {**base, "tax_rates": [rate["id"]]}, "tax_rates")
    _refused(engine, "POST", "/v1/invoiceitems", {**base, "discounts": [{"coupon": half["id"]}]}, "discounts")
    item = call(engine, "POST", "/v1/invoiceitems", base)
    _refused(engine, "POST", f"/v1/invoiceitems/{item['id']}", {"tax_rates": [rate["id"]]}, "tax_rates")


def test_an_invoice_item_in_unit_amount_decimal_is_billed(world) -> None:
    engine, cus, _, invoice = world
    item = call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "currency": "usd", "quantity": 3,
                                                     "unit_amount_decimal": "1250.5", "invoice": invoice["id"]})
    assert item["amount"] == 3_752  # 3 × 1250.5 = 3751.5, rounded half up
    assert call(engine, "GET", f"/v1/invoices/{invoice['id']}")["total"] == 3_752
