"""Metered prices are billed in arrears (Stripe: usage is charged at the end of the period it was
used in). The sandbox records no usage, so a metered item contributes $0 to every invoice: its
first invoice does not charge the price up front, a renewal line covers the period just ended, and
changing a metered item makes no proration."""

from __future__ import annotations

from billing_world import T0, advance, call, customer, invoices_of, lines_of, new_clock, product_price
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval

HOUR = 3_600


def _metered(engine: Engine, amount: int) -> dict:
    product = call(engine, "POST", "/v1/products", {"name": "API calls"})
    return call(engine, "POST", "/v1/prices", {"product": product["id"], "unit_amount": amount, "currency": "usd",
                                               "recurring": {"interval": "month", "usage_type": "metered"}})


def test_a_metered_item_is_not_charged_in_advance() -> None:
    engine = Engine(seed=3)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    seat, calls = product_price(engine, 2_000, name="Seat"), _metered(engine, 5)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"],
                                                     "items": [{"price": seat["id"]}, {"price": calls["id"]}]})
    first = engine.store.get(sub["latest_invoice"])
    assert first["total"] == 2_000 and first["status"] == "paid"
    by_price = {line["pricing"]["price_details"]["price"]: line for line in lines_of(engine, first["id"])}
    assert by_price[calls["id"]]["amount"] == 0
    advance(engine, clock, add_interval(T0, "month", 1) + 2 * HOUR)
    renewal = invoices_of(engine, cus["id"])[-1]
    assert renewal["billing_reason"] == "subscription_cycle" and renewal["total"] == 2_000
    by_price = {line["pricing"]["price_details"]["price"]: line for line in lines_of(engine, renewal["id"])}
    usage = by_price[calls["id"]]
    assert usage["amount"] == 0 and usage["quantity"] == 0  # no usage reported
    assert usage["description"].startswith("0 × API calls")
    assert usage["period"] == {"start": T0, "end": add_interval(T0, "month", 1)}  # the period just used
    assert by_price[seat["id"]]["period"]["start"] == add_interval(T0, "month", 1)  # licensed: in advance


def test_a_metered_item_is_never_prorated() -> None:
    engine = Engine(seed=4)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    calls, more = _metered(engine, 5), _metered(engine, 9)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": calls["id"]}]})
    advance(engine, clock, T0 + 10 * 86_400)
    item = sub["items"]["data"][0]["id"]
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item, "price": more["id"]}],
                                                            "proration_behavior": "always_invoice"})
    invoices = invoices_of(engine, cus["id"])
    assert all(i["total"] == 0 for i in invoices)
    assert all(line["amount"] == 0 for i in invoices for line in lines_of(engine, i["id"]))
