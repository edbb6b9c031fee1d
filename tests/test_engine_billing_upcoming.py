"""``invoice.upcoming``: Stripe announces a subscription's next automatically charged invoice some
days before it is created (the account's "upcoming renewal events" setting; the sandbox's is 7
days). The event's object is the invoice preview, without an id; none is sent for a subscription
that ends at the period end or is billed with ``send_invoice``."""

from __future__ import annotations

from billing_world import T0, advance, call, customer, events, new_clock, product_price
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval

DAY = 86_400


def test_each_renewal_is_announced_a_week_before() -> None:
    engine = Engine(seed=5)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 1_500, name="Team")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    advance(engine, clock, add_interval(T0, "month", 2) + DAY)
    upcoming = events(engine, "invoice.upcoming")
    assert [e["created"] for e in upcoming] == [add_interval(T0, "month", k) - 7 * DAY for k in (1, 2)]
    for event in upcoming:
        invoice = event["data"]["object"]
        assert invoice["object"] == "invoice" and invoice["id"] is None
        assert invoice["customer"] == cus["id"] and invoice["total"] == 1_500
        assert invoice["parent"]["subscription_details"]["subscription"] == sub["id"]
        assert invoice["created"] == event["created"] + 7 * DAY  # the renewal it announces


def test_no_announcement_for_an_ending_or_send_invoice_subscription() -> None:
    engine = Engine(seed=6)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 1_500, name="Team")
    call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                               "cancel_at_period_end": True})
    call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                               "collection_method": "send_invoice", "days_until_due": 30})
    advance(engine, clock, add_interval(T0, "month", 1) + DAY)
    assert events(engine, "invoice.upcoming") == []
