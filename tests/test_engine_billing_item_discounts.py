"""Discounts on one subscription item (``items[][discounts]`` at creation): Stripe applies them to
that item's lines only; the invoice's ``total_discount_amounts`` counts them, its own ``discounts``
(invoice level) does not; a ``once`` coupon covers the first invoice with a charge."""

from __future__ import annotations

from billing_world import T0, advance, call, coupon, customer, invoices_of, lines_of, new_clock, product_price
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval

HOUR = 3_600


def _world(duration: str) -> tuple[Engine, str, dict, dict, dict, dict]:
    engine = Engine(seed=11)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    seat, storage = product_price(engine, 1_000, name="Seat"), product_price(engine, 2_000, name="Storage")
    half = coupon(engine, percent_off=50, duration=duration)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [
        {"price": seat["id"], "discounts": [{"coupon": half["id"]}]}, {"price": storage["id"]}]})
    return engine, clock, cus, sub, seat, storage


def test_an_item_discount_takes_off_that_items_lines_only() -> None:
    engine, clock, cus, sub, seat, storage = _world("forever")
    seat_item = next(i for i in sub["items"]["data"] if i["price"]["id"] == seat["id"])
    (discount_id,) = seat_item["discounts"]
    assert engine.store.get(discount_id)["subscription_item"] == seat_item["id"]
    advance(engine, clock, add_interval(T0, "month", 1) + 2 * HOUR)
    for invoice in invoices_of(engine, cus["id"]):
        assert invoice["subtotal"] == 3_000 and invoice["total"] == 2_500 and invoice["amount_paid"] == 2_500
        assert invoice["discounts"] == [] and invoice["total_discount_amounts"] == [{"amount": 500, "discount": discount_id}]
        by_price = {line["pricing"]["price_details"]["price"]: line for line in lines_of(engine, invoice["id"])}
        assert by_price[seat["id"]]["discount_amounts"] == [{"amount": 500, "discount": discount_id}]
        assert by_price[storage["id"]]["discount_amounts"] == []
    preview = call(engine, "POST", "/v1/invoices/create_preview", {"subscription": sub["id"]})
    assert preview["total"] == 2_500


def test_a_once_item_discount_covers_the_first_invoice() -> None:
    engine, clock, cus, sub, _, _ = _world("once")
    advance(engine, clock, add_interval(T0, "month", 1) + 2 * HOUR)
    assert [i["total"] for i in invoices_of(engine, cus["id"])] == [2_500, 3_000]
    assert all(item["discounts"] == [] for item in engine.collection("subscription_item"))
    assert all(item["discounts"] == [] for item in engine.store.get(sub["id"])["items"]["data"])


def test_an_item_discount_on_an_unknown_coupon_creates_nothing() -> None:
    engine = Engine(seed=12)
    cus = customer(engine, None)
    seat = product_price(engine, 1_000, name="Seat")
    try:
        call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [
            {"price": seat["id"], "discounts": [{"coupon": "NOPE"}]}]})
    except Exception as error:  # noqa: BLE001 - the status and param are what matter
        assert getattr(error, "status", None) == 404 and error.param == "items[0][discounts][0][coupon]"
    else:
        raise AssertionError("an unknown coupon was accepted")
    assert engine.collection("subscription") == [] and engine.collection("subscription_item") == []
