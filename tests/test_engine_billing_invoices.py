"""Manual invoices, invoice items, invoice payments, coupons and the preview (issue 23, item 3)."""

from __future__ import annotations

import copy

import pytest

from billing_world import DAY, T0, advance, call, coupon, customer, events, invoices_of, lines_of, new_clock, product_price, switch_card
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval
from paragon_magic.sandbox.front.errors import StripeErrorResponse

HOUR = 3_600


@pytest.fixture
def world() -> tuple[Engine, str, dict]:
    engine = Engine(seed=11)
    clock = new_clock(engine, T0)
    return engine, clock, customer(engine, clock)


def test_a_manual_invoice_from_pending_items_is_finalized_and_paid(world) -> None:
    engine, _, cus = world
    setup = call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 2_500, "currency": "usd",
                                                      "description": "Setup fee"})  # fmt: skip
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 500, "currency": "usd"})
    assert setup["invoice"] is None and [e["data"]["object"]["id"] for e in events(engine, "invoiceitem.created")][0] == setup["id"]
    draft = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "pending_invoice_items_behavior": "include"})
    assert (draft["status"], draft["billing_reason"], draft["auto_advance"], draft["number"]) == ("draft", "manual", False, None)
    assert (draft["subtotal"], draft["total"], draft["amount_due"]) == (3_000, 3_000, 3_000)
    lines = lines_of(engine, draft["id"])
    assert [line["amount"] for line in lines] == [2_500, 500] and all(line["invoice"] == draft["id"] for line in lines)
    assert lines[0]["parent"]["invoice_item_details"]["invoice_item"] == setup["id"]
    assert engine.store.get(setup["id"])["invoice"] == draft["id"]
    extra = call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 100, "currency": "usd", "invoice": draft["id"]})
    assert engine.store.get(draft["id"])["total"] == 3_100
    call(engine, "DELETE", f"/v1/invoiceitems/{extra['id']}")
    finalized = call(engine, "POST", f"/v1/invoices/{draft['id']}/finalize")
    assert (finalized["status"], finalized["number"], finalized["amount_due"]) == ("open", f"{cus['invoice_prefix']}-0001", 3_000)
    assert finalized["status_transitions"]["finalized_at"] == T0 and finalized["customer_name"] == "Ada Lovelace"
    paid = call(engine, "POST", f"/v1/invoices/{draft['id']}/pay")
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"], paid["attempt_count"]) == ("paid", 3_000, 0, 1)
    (link,) = [p for p in engine.store.all("invoice_payment") if p["invoice"] == draft["id"]]
    assert call(engine, "GET", f"/v1/invoice_payments/{link['id']}")["status"] == "paid"
    assert link["payment"]["type"] == "payment_intent" and link["payment"]["payment_intent"].startswith("pi_")
    expanded = engine.handle("GET", f"/v1/invoices/{draft['id']}", [("expand[]", "payments")])
    assert [p["id"] for p in expanded["payments"]["data"]] == [link["id"]]
    with pytest.raises(StripeErrorResponse) as again:
        call(engine, "POST", f"/v1/invoices/{draft['id']}/pay")
    assert again.value.status == 400


def test_void_uncollectible_out_of_band_and_delete(world) -> None:
    engine, _, cus = world
    def open_invoice(amount: int) -> dict:
        invoice = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "collection_method": "send_invoice", "days_until_due": 30})
        call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": amount, "currency": "usd", "invoice": invoice["id"]})
        return call(engine, "POST", f"/v1/invoices/{invoice['id']}/finalize")

    voided = call(engine, "POST", f"/v1/invoices/{open_invoice(1_000)['id']}/void")
    assert voided["status"] == "void" and voided["status_transitions"]["voided_at"] == T0
    assert events(engine, "invoice.voided", voided["id"])
    bad = call(engine, "POST", f"/v1/invoices/{open_invoice(2_000)['id']}/mark_uncollectible")
    assert bad["status"] == "uncollectible" and events(engine, "invoice.marked_uncollectible", bad["id"])
    cash = open_invoice(3_000)
    assert cash["due_date"] == T0 + 30 * DAY and cash["next_payment_attempt"] is None
    paid = call(engine, "POST", f"/v1/invoices/{cash['id']}/pay", {"paid_out_of_band": True})
    assert (paid["status"], paid["amount_paid"]) == ("paid", 3_000) and not list(engine.store.all("charge"))
    draft = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    assert call(engine, "DELETE", f"/v1/invoices/{draft['id']}") == {"id": draft["id"], "object": "invoice", "deleted": True}
    with pytest.raises(StripeErrorResponse) as refused:
        call(engine, "POST", f"/v1/invoices/{voided['id']}/void")
    assert refused.value.status == 400 and refused.value.code == "invoice_not_editable"
    with pytest.raises(StripeErrorResponse):
        call(engine, "DELETE", f"/v1/invoices/{bad['id']}")
    assert [i["number"] for i in invoices_of(engine, cus["id"])] == [f"{cus['invoice_prefix']}-{n:04d}" for n in (1, 2, 3)]


def test_an_auto_advancing_invoice_finalizes_an_hour_later_and_is_charged(world) -> None:
    engine, clock, cus = world
    invoice = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "auto_advance": True})
    assert invoice["automatically_finalizes_at"] == T0 + HOUR
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 4_200, "currency": "usd", "invoice": invoice["id"]})
    advance(engine, clock, T0 + 2 * HOUR)
    invoice = engine.store.get(invoice["id"])
    assert (invoice["status"], invoice["amount_paid"]) == ("paid", 4_200)
    assert invoice["status_transitions"]["finalized_at"] == invoice["status_transitions"]["paid_at"] == T0 + HOUR


def test_coupons_forever_once_and_repeating() -> None:
    engine = Engine(seed=12)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 2_000)
    quarter = coupon(engine, percent_off=25, duration="forever")
    first = coupon(engine, amount_off=500, currency="usd", duration="once")
    three = coupon(engine, percent_off=10, duration="repeating", duration_in_months=3)
    subs = [call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                                       "discounts": [{"coupon": c["id"]}]}) for c in (quarter, first, three)]  # fmt: skip
    advance(engine, clock, add_interval(T0, "month", 5) + 2 * HOUR)
    totals = {}
    for sub, c in zip(subs, (quarter, first, three)):
        mine = [i for i in invoices_of(engine, cus["id"]) if i["parent"]["subscription_details"]["subscription"] == sub["id"]]
        totals[c["duration"]] = [i["total"] for i in mine]
        discounted = mine[0]
        (line,) = lines_of(engine, discounted["id"])
        (discount,) = discounted["discounts"]
        assert engine.store.get(discount) is None or engine.store.get(discount)["source"]["coupon"] == c["id"]
        assert line["discount_amounts"] == [{"amount": 2_000 - discounted["total"], "discount": discount}]
        assert discounted["total_discount_amounts"] == line["discount_amounts"]
        assert all(i["status"] == "paid" and i["subtotal"] == 2_000 for i in mine)
    assert totals == {"forever": [1_500] * 6, "once": [1_500] + [2_000] * 5, "repeating": [1_800] * 3 + [2_000] * 3}
    assert engine.store.get(subs[1]["id"])["discounts"] == []  # a once coupon is used up


def test_the_preview_shows_the_next_invoice_with_pending_prorations(world) -> None:
    engine, clock, cus = world
    basic, pro = product_price(engine, 3_000, name="Basic"), product_price(engine, 6_000, name="Pro")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": basic["id"]}]})
    advance(engine, clock, T0 + 10 * DAY)
    item = sub["items"]["data"][0]
    call(engine, "POST", f"/v1/subscription_items/{item['id']}", {"price": pro["id"]})
    before = copy.deepcopy(engine.store.objects)
    preview = call(engine, "POST", "/v1/invoices/create_preview", {"customer": cus["id"], "subscription": sub["id"]})
    assert engine.store.objects == before
    assert [line["amount"] for line in preview["lines"]["data"]] == [6_000, -1_929, 3_857]
    assert (preview["total"], preview["amount_due"], preview["created"]) == (7_928, 7_928, add_interval(T0, "month"))
    with pytest.raises(StripeErrorResponse) as none:
        call(engine, "POST", "/v1/invoices/create_preview", {"customer": customer(engine, clock)["id"]})
    assert (none.value.status, none.value.code) == (404, "invoice_upcoming_none")


def test_previewing_a_change_matches_what_the_change_bills(world) -> None:
    engine, clock, cus = world
    basic, pro = product_price(engine, 3_000, name="Basic"), product_price(engine, 6_000, name="Pro")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": basic["id"]}]})
    item = sub["items"]["data"][0]
    advance(engine, clock, T0 + 10 * DAY)
    change = {"items": [{"id": item["id"], "price": pro["id"]}], "proration_date": T0 + 10 * DAY}
    before = copy.deepcopy(engine.store.objects)
    upcoming = call(engine, "POST", "/v1/invoices/create_preview", {"subscription": sub["id"], "subscription_details": change})
    now = call(engine, "POST", "/v1/invoices/create_preview",
               {"subscription": sub["id"], "subscription_details": {**change, "proration_behavior": "always_invoice"}})  # fmt: skip
    assert engine.store.objects == before
    assert [line["amount"] for line in upcoming["lines"]["data"]] == [6_000, -1_929, 3_857]
    assert upcoming["parent"]["subscription_details"]["subscription_proration_date"] == T0 + 10 * DAY
    assert ([line["amount"] for line in now["lines"]["data"]], now["created"]) == ([-1_929, 3_857], T0 + 10 * DAY)
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", change)
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    renewal = invoices_of(engine, cus["id"])[-1]
    assert [line["amount"] for line in lines_of(engine, renewal["id"])] == [line["amount"] for line in upcoming["lines"]["data"]]
    assert [line["description"] for line in lines_of(engine, renewal["id"])] == [line["description"] for line in upcoming["lines"]["data"]]
    assert renewal["total"] == upcoming["total"]


def test_subscription_item_endpoints(world) -> None:
    engine, _, cus = world
    basic, addon = product_price(engine, 3_000, name="Basic"), product_price(engine, 700, name="Seats")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": basic["id"]}]})
    added = call(engine, "POST", "/v1/subscription_items", {"subscription": sub["id"], "price": addon["id"], "quantity": 3,
                                                            "proration_behavior": "none"})  # fmt: skip
    assert (added["object"], added["subscription"], added["quantity"]) == ("subscription_item", sub["id"], 3)
    assert added["current_period_end"] == sub["items"]["data"][0]["current_period_end"]
    assert [i["id"] for i in engine.store.get(sub["id"])["items"]["data"]][1] == added["id"]
    assert call(engine, "POST", f"/v1/subscription_items/{added['id']}", {"quantity": 5, "proration_behavior": "none"})["quantity"] == 5
    assert call(engine, "GET", f"/v1/subscription_items/{added['id']}")["quantity"] == 5
    gone = call(engine, "DELETE", f"/v1/subscription_items/{added['id']}", {"proration_behavior": "none"})
    assert gone == {"id": added["id"], "object": "subscription_item", "deleted": True}
    assert len(engine.store.get(sub["id"])["items"]["data"]) == 1
    with pytest.raises(StripeErrorResponse) as last:
        call(engine, "DELETE", f"/v1/subscription_items/{sub['items']['data'][0]['id']}")
    assert last.value.status == 400


def test_trial_ended_now_bills_at_once() -> None:
    engine = Engine(seed=13)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 2_000)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}], "trial_period_days": 30})
    advance(engine, clock, T0 + 5 * DAY)
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"trial_end": "now"})
    assert (sub["status"], sub["trial_end"], sub["billing_cycle_anchor"]) == ("active", T0 + 5 * DAY, T0 + 5 * DAY)
    bill = engine.store.get(sub["latest_invoice"])
    assert (bill["billing_reason"], bill["status"], bill["amount_paid"]) == ("subscription_update", "paid", 2_000)
    assert sub["items"]["data"][0]["current_period_end"] == add_interval(T0 + 5 * DAY, "month")
    advance(engine, clock, T0 + 31 * DAY)
    assert not events(engine, "customer.subscription.trial_will_end", sub["id"])  # the old trial's warning is stale
    assert len(invoices_of(engine, cus["id"])) == 2
    switch_card(engine, cus, "pm_card_visa")


def test_removing_a_subscriptions_discount(world) -> None:
    engine, clock, cus = world
    price = product_price(engine, 2_000)
    off = coupon(engine, percent_off=50, duration="forever")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                                     "discounts": [{"coupon": off["id"]}]})  # fmt: skip
    (discount_id,) = sub["discounts"]
    gone = call(engine, "DELETE", f"/v1/subscriptions/{sub['id']}/discount")
    assert (gone["id"], gone["deleted"]) == (discount_id, True) and engine.store.get(sub["id"])["discounts"] == []
    assert events(engine, "customer.discount.deleted")
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    assert [i["total"] for i in invoices_of(engine, cus["id"])] == [1_000, 2_000]
    with pytest.raises(StripeErrorResponse) as none:
        call(engine, "DELETE", f"/v1/subscriptions/{sub['id']}/discount")
    assert none.value.status == 404


def _stripe_event_types() -> set[str]:
    """Every event type Stripe has (the ``enabled_events`` enum of webhook endpoints, stripe-python 16.1)."""
    from paragon_magic.sandbox.engine._params_generated import ENDPOINTS, OBJECTS

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, tuple) and node and node[0] == "e" and "invoice.paid" in node:
            found.update(node[1:])
        elif isinstance(node, (tuple, list)):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            for child in node.values():
                walk(child)

    walk(OBJECTS)
    walk(ENDPOINTS)
    assert "customer.subscription.trial_will_end" in found
    return found


def test_every_event_billing_emits_is_a_stripe_event_type() -> None:
    engine = Engine(seed=16)
    seen: set[str] = set()
    engine.events.listeners.append(lambda event: seen.add(event["type"]))
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    basic, pro = product_price(engine, 3_000, name="Basic"), product_price(engine, 6_000, name="Pro", trial_days=14)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": pro["id"]}], "trial_from_plan": True,
                                                     "discounts": [{"coupon": coupon(engine, percent_off=10, duration="once")["id"]}]})  # fmt: skip
    advance(engine, clock, T0 + 20 * DAY)
    item = engine.store.get(sub["id"])["items"]["data"][0]
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": basic["id"]}]})
    ii = call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 700, "currency": "usd"})
    call(engine, "POST", f"/v1/invoiceitems/{ii['id']}", {"description": "Extra"})
    draft = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "pending_invoice_items_behavior": "include"})
    call(engine, "DELETE", f"/v1/invoices/{draft['id']}")
    switch_card(engine, cus, "pm_card_chargeCustomerFail")
    advance(engine, clock, add_interval(T0 + 14 * DAY, "month", 2) + 10 * DAY)
    assert {"invoice.payment_failed", "customer.subscription.deleted", "invoice.marked_uncollectible"} <= seen
    assert seen - _stripe_event_types() == set()


def test_a_draft_takes_a_coupon_and_says_what_changed(world) -> None:
    engine, _, cus = world
    draft = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 4_000, "currency": "usd", "invoice": draft["id"]})
    off = coupon(engine, amount_off=1_000, currency="usd", duration="once")
    updated = call(engine, "POST", f"/v1/invoices/{draft['id']}", {"discounts": [{"coupon": off["id"]}], "metadata": {"po": "42"}})
    assert (updated["subtotal"], updated["total"], updated["amount_due"]) == (4_000, 3_000, 3_000)
    change = events(engine, "invoice.updated", draft["id"])[-1]["data"]["previous_attributes"]
    assert change["discounts"] == [] and change["total"] == 4_000 and change["metadata"] == {"po": None}
    with pytest.raises(StripeErrorResponse):
        call(engine, "POST", f"/v1/invoices/{draft['id']}", {"collection_method": "send_invoice"})  # needs days_until_due
    paid = call(engine, "POST", f"/v1/invoices/{draft['id']}/pay")
    assert (paid["status"], paid["amount_paid"]) == ("paid", 3_000)
    assert call(engine, "POST", f"/v1/invoices/{draft['id']}", {"metadata": {"po": ""}})["metadata"] == {}
    with pytest.raises(StripeErrorResponse) as finalized:
        call(engine, "POST", f"/v1/invoices/{draft['id']}", {"discounts": ""})
    assert finalized.value.code == "invoice_not_editable"


def test_an_invoice_for_a_subscription_takes_only_its_pending_items(world) -> None:
    engine, clock, cus = world
    basic, pro = product_price(engine, 3_000, name="Basic"), product_price(engine, 6_000, name="Pro")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": basic["id"]}]})
    advance(engine, clock, T0 + 10 * DAY)
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": sub["items"]["data"][0]["id"], "price": pro["id"]}]})
    loose = call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 500, "currency": "usd"})
    empty = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "subscription": sub["id"]})
    assert (empty["total"], lines_of(engine, empty["id"])) == (0, [])  # pending items are excluded by default
    now = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "subscription": sub["id"],
                                                "pending_invoice_items_behavior": "include"})  # fmt: skip
    assert [line["amount"] for line in lines_of(engine, now["id"])] == [-1_929, 3_857]
    assert now["parent"]["subscription_details"]["subscription"] == sub["id"] and now["billing_reason"] == "manual"
    assert engine.store.get(loose["id"])["invoice"] is None


def test_a_charge_below_the_minimum_is_carried_to_the_next_invoice(world) -> None:
    engine, clock, cus = world
    small = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 30, "currency": "usd", "invoice": small["id"]})
    assert small["starting_balance"] == 0 and small["ending_balance"] is None
    paid = call(engine, "POST", f"/v1/invoices/{small['id']}/finalize")
    assert (paid["status"], paid["total"], paid["amount_due"], paid["ending_balance"]) == ("paid", 30, 0, 30)
    assert engine.store.get(cus["id"])["balance"] == 30 and not list(engine.store.all("charge"))
    later = call(engine, "POST", "/v1/invoices", {"customer": cus["id"]})
    assert later["starting_balance"] == 30
    call(engine, "POST", "/v1/invoiceitems", {"customer": cus["id"], "amount": 1_000, "currency": "usd", "invoice": later["id"]})
    later = call(engine, "POST", f"/v1/invoices/{later['id']}/pay")
    assert (later["amount_due"], later["amount_paid"], later["ending_balance"]) == (1_030, 1_030, 0)
