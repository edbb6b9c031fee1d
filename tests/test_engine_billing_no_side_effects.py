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
