"""Trials (and their end without a card), upgrades and downgrades with prorations, billing cycle anchors,
pauses and resumes, cancellation now, at a moment or at the period end (issue 23, item 3)."""

from __future__ import annotations

import pytest

from billing_world import DAY, T0, advance, call, customer, events, invoices_of, lines_of, new_clock, product_price, switch_card
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval
from paragon_magic.sandbox.front.errors import StripeErrorResponse

HOUR = 3_600


def test_trial_bills_nothing_then_the_first_period_at_trial_end() -> None:
    engine = Engine(seed=1)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 2_000)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                                     "trial_period_days": 14})  # fmt: skip
    trial_end = T0 + 14 * DAY
    assert (sub["status"], sub["trial_start"], sub["trial_end"]) == ("trialing", T0, trial_end)
    (first,) = invoices_of(engine, cus["id"])
    assert (first["billing_reason"], first["status"], first["total"], first["amount_paid"]) == ("subscription_create", "paid", 0, 0)
    (line,) = lines_of(engine, first["id"])
    assert line["description"].startswith("Trial period for") and line["period"] == {"start": T0, "end": trial_end}
    assert not [c for c in engine.store.all("charge")]
    advance(engine, clock, trial_end - 3 * DAY)
    (warning,) = events(engine, "customer.subscription.trial_will_end", sub["id"])
    assert warning["created"] == trial_end - 3 * DAY
    advance(engine, clock, trial_end + 2 * HOUR)
    first_paid = invoices_of(engine, cus["id"])[1]
    assert (first_paid["billing_reason"], first_paid["created"], first_paid["status"], first_paid["amount_paid"]) == (
        "subscription_cycle", trial_end, "paid", 2_000)
    assert lines_of(engine, first_paid["id"])[0]["period"] == {"start": trial_end, "end": add_interval(trial_end, "month")}
    assert engine.store.get(sub["id"])["status"] == "active"
    went_active = [e for e in events(engine, "customer.subscription.updated", sub["id"])
                   if e["data"].get("previous_attributes", {}).get("status") == "trialing"]  # fmt: skip
    assert [e["created"] for e in went_active] == [trial_end]


def _upgrade_world() -> tuple[Engine, str, dict, dict, dict, dict]:
    engine = Engine(seed=2)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    basic, pro = product_price(engine, 3_000, name="Basic"), product_price(engine, 6_000, name="Pro")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": basic["id"]}]})
    advance(engine, clock, T0 + 10 * DAY)
    return engine, clock, cus, sub, basic, pro


def test_upgrade_creates_exact_prorations_billed_on_the_next_invoice() -> None:
    engine, clock, cus, sub, basic, pro = _upgrade_world()
    item = sub["items"]["data"][0]
    end = add_interval(T0, "month")  # Feb 28: a 28-day period, 18 days left
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": pro["id"]}]})
    credit, charge = [ii for ii in engine.store.all("invoiceitem") if ii["customer"] == cus["id"]]
    assert credit["amount"] == -round(3_000 * 18 / 28) == -1_929 and charge["amount"] == round(6_000 * 18 / 28) == 3_857
    assert credit["proration"] and charge["proration"] and credit["invoice"] is None
    assert credit["period"] == charge["period"] == {"start": T0 + 10 * DAY, "end": end}
    assert credit["description"].startswith("Unused time on 1 × Basic") and charge["description"].startswith("Remaining time on 1 × Pro")
    (updated,) = [e for e in events(engine, "customer.subscription.updated", sub["id"]) if e["created"] == T0 + 10 * DAY]
    before = updated["data"]["previous_attributes"]["items"]["data"][0]
    assert before["price"]["id"] == basic["id"] and updated["data"]["object"]["items"]["data"][0]["price"]["id"] == pro["id"]
    assert len(invoices_of(engine, cus["id"])) == 1  # create_prorations: nothing billed yet
    advance(engine, clock, end + 2 * HOUR)
    renewal = invoices_of(engine, cus["id"])[1]
    lines = lines_of(engine, renewal["id"])
    assert [line["amount"] for line in lines] == [6_000, -1_929, 3_857]
    assert [line["parent"]["subscription_item_details"]["proration"] for line in lines] == [False, True, True]
    assert lines[1]["parent"]["subscription_item_details"]["invoice_item"] == credit["id"]
    assert (renewal["subtotal"], renewal["total"], renewal["amount_paid"], renewal["status"]) == (7_928, 7_928, 7_928, "paid")
    assert engine.store.get(credit["id"])["invoice"] == renewal["id"]


def test_downgrade_always_invoice_bills_now_and_credits_the_balance() -> None:
    engine, clock, cus, sub, basic, pro = _upgrade_world()
    item = sub["items"]["data"][0]
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": pro["id"], "quantity": 2}],
                                                            "proration_behavior": "none"})  # fmt: skip
    assert not list(engine.store.all("invoiceitem"))
    call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": basic["id"], "quantity": 1}],
                                                            "proration_behavior": "always_invoice"})  # fmt: skip
    now_invoice = invoices_of(engine, cus["id"])[1]
    assert (now_invoice["billing_reason"], now_invoice["created"]) == ("subscription_update", T0 + 10 * DAY)
    assert [line["amount"] for line in lines_of(engine, now_invoice["id"])] == [-round(12_000 * 18 / 28), round(3_000 * 18 / 28)]
    credit = -7_714 + 1_929
    assert (now_invoice["total"], now_invoice["amount_due"], now_invoice["status"]) == (credit, 0, "paid")
    assert now_invoice["ending_balance"] == credit and engine.store.get(cus["id"])["balance"] == credit
    assert engine.store.get(sub["id"])["latest_invoice"] == now_invoice["id"]
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    renewal = invoices_of(engine, cus["id"])[2]
    # the credit (57.85) covers the whole 30.00 renewal: nothing is charged, 27.85 stays as credit
    assert (renewal["starting_balance"], renewal["total"], renewal["amount_due"]) == (credit, 3_000, 0)
    assert (renewal["status"], renewal["ending_balance"]) == ("paid", credit + 3_000)
    assert engine.store.get(cus["id"])["balance"] == credit + 3_000
    assert len([c for c in engine.store.all("charge") if c["customer"] == cus["id"]]) == 1


def test_cancel_at_period_end_ends_at_the_period_end() -> None:
    engine = Engine(seed=3)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 1_000)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    advance(engine, clock, T0 + 5 * DAY)
    end = add_interval(T0, "month")
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"cancel_at_period_end": True})
    assert (sub["status"], sub["cancel_at"], sub["canceled_at"]) == ("active", end, T0 + 5 * DAY)
    (updated,) = [e for e in events(engine, "customer.subscription.updated", sub["id"]) if e["created"] == T0 + 5 * DAY]
    assert updated["data"]["previous_attributes"] == {"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None}
    advance(engine, clock, end + 40 * DAY)
    sub = engine.store.get(sub["id"])
    assert (sub["status"], sub["ended_at"], sub["canceled_at"]) == ("canceled", end, T0 + 5 * DAY)
    assert sub["cancellation_details"]["reason"] == "cancellation_requested"
    assert len(invoices_of(engine, cus["id"])) == 1
    (deleted,) = events(engine, "customer.subscription.deleted", sub["id"])
    assert deleted["created"] == end


def test_cancel_now_with_comment_and_final_invoice() -> None:
    engine = Engine(seed=4)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 2_800)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    advance(engine, clock, T0 + 7 * DAY)
    sub = call(engine, "DELETE", f"/v1/subscriptions/{sub['id']}",
               {"invoice_now": True, "prorate": True, "cancellation_details": {"comment": "too pricey", "feedback": "too_expensive"}})  # fmt: skip
    assert (sub["status"], sub["canceled_at"], sub["ended_at"]) == ("canceled", T0 + 7 * DAY, T0 + 7 * DAY)
    assert sub["cancellation_details"] == {"comment": "too pricey", "feedback": "too_expensive", "reason": "cancellation_requested"}
    final = invoices_of(engine, cus["id"])[-1]
    assert final["total"] == -round(2_800 * 21 / 28) and engine.store.get(cus["id"])["balance"] == final["total"]
    advance(engine, clock, T0 + 60 * DAY)
    assert len(invoices_of(engine, cus["id"])) == 2


def test_switching_to_a_yearly_price_starts_a_new_cycle_now() -> None:
    engine, clock, cus, sub, basic, _ = _upgrade_world()
    yearly = product_price(engine, 30_000, interval="year", name="Basic yearly")
    item = sub["items"]["data"][0]
    now = T0 + 10 * DAY
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": yearly["id"]}]})
    assert sub["billing_cycle_anchor"] == now
    assert (sub["items"]["data"][0]["current_period_start"], sub["items"]["data"][0]["current_period_end"]) == (now, add_interval(now, "year"))
    bill = engine.store.get(sub["latest_invoice"])
    assert (bill["billing_reason"], bill["created"], bill["status"]) == ("subscription_update", now, "paid")
    assert sorted(line["amount"] for line in lines_of(engine, bill["id"])) == [-round(3_000 * 18 / 28), 30_000]
    assert bill["amount_paid"] == 30_000 - 1_929
    advance(engine, clock, now + 200 * DAY)
    assert len(invoices_of(engine, cus["id"])) == 2  # nothing more until the year is over


def test_send_invoice_subscriptions_fall_past_due_when_unpaid() -> None:
    engine = Engine(seed=15)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock, card=None)
    price = product_price(engine, 10_000)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                                     "collection_method": "send_invoice", "days_until_due": 14})  # fmt: skip
    first = engine.store.get(sub["latest_invoice"])
    assert (sub["status"], first["status"], first["due_date"], first["attempted"]) == ("active", "open", T0 + 14 * DAY, False)
    assert events(engine, "invoice.sent", first["id"])
    advance(engine, clock, T0 + 14 * DAY)
    assert engine.store.get(sub["id"])["status"] == "past_due"
    call(engine, "POST", f"/v1/invoices/{first['id']}/pay", {"paid_out_of_band": True})
    assert engine.store.get(sub["id"])["status"] == "active"
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    renewal = invoices_of(engine, cus["id"])[1]
    assert (renewal["status"], renewal["collection_method"], renewal["next_payment_attempt"]) == ("open", "send_invoice", None)
    assert renewal["due_date"] == add_interval(T0, "month") + 14 * DAY


def test_cancel_at_ends_mid_period_with_a_credit() -> None:
    engine = Engine(seed=17)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 2_800)["id"]}]})
    end_at = add_interval(T0, "month") + 7 * DAY  # a week into the second period
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"cancel_at": end_at})
    assert (sub["cancel_at"], sub["canceled_at"], sub["status"]) == (end_at, T0, "active")
    advance(engine, clock, end_at + DAY)
    sub = engine.store.get(sub["id"])
    assert (sub["status"], sub["ended_at"], sub["cancellation_details"]["reason"]) == ("canceled", end_at, "cancellation_requested")
    (credit,) = [ii for ii in engine.store.all("invoiceitem") if ii["customer"] == cus["id"]]
    second = (add_interval(T0, "month"), add_interval(T0, "month", 2))
    assert credit["amount"] == -round(2_800 * (second[1] - end_at) / (second[1] - second[0])) and credit["invoice"] is None


def test_a_new_interval_during_a_trial_keeps_the_trial() -> None:
    engine = Engine(seed=18)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    monthly, yearly = product_price(engine, 2_000), product_price(engine, 20_000, interval="year")
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": monthly["id"]}], "trial_period_days": 14})
    item = sub["items"]["data"][0]
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"items": [{"id": item["id"], "price": yearly["id"]}]})
    assert (sub["status"], sub["items"]["data"][0]["current_period_end"]) == ("trialing", T0 + 14 * DAY)
    assert len(invoices_of(engine, cus["id"])) == 1 and not list(engine.store.all("invoiceitem"))
    advance(engine, clock, T0 + 14 * DAY + 2 * HOUR)
    first = invoices_of(engine, cus["id"])[1]
    assert (first["billing_reason"], first["amount_paid"]) == ("subscription_cycle", 20_000)
    assert lines_of(engine, first["id"])[0]["period"] == {"start": T0 + 14 * DAY, "end": add_interval(T0 + 14 * DAY, "year")}


def test_a_billing_cycle_anchor_prorates_the_first_period() -> None:
    engine = Engine(seed=20)
    clock = new_clock(engine, T0)  # Jan 31; anchor on Feb 10: 10 days of a Jan 10 - Feb 10 period (31 days)
    cus = customer(engine, clock)
    price = product_price(engine, 3_100)
    anchor = T0 + 10 * DAY
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}], "billing_cycle_anchor": anchor})
    assert (sub["billing_cycle_anchor"], sub["items"]["data"][0]["current_period_end"], sub["status"]) == (anchor, anchor, "active")
    first = engine.store.get(sub["latest_invoice"])
    (line,) = lines_of(engine, first["id"])
    assert (line["amount"], line["period"], first["amount_paid"]) == (1_000, {"start": T0, "end": anchor}, 1_000)
    assert line["parent"]["subscription_item_details"]["proration"] is True
    advance(engine, clock, anchor + 2 * HOUR)
    second = invoices_of(engine, cus["id"])[1]
    assert (second["billing_reason"], second["created"], second["total"]) == ("subscription_cycle", anchor, 3_100)
    assert lines_of(engine, second["id"])[0]["period"] == {"start": anchor, "end": add_interval(anchor, "month")}
    free = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 900)["id"]}],
                                                      "billing_cycle_anchor": anchor + 5 * DAY, "proration_behavior": "none"})  # fmt: skip
    assert engine.store.get(free["latest_invoice"])["total"] == 0


@pytest.mark.parametrize("behavior, status", [("keep_as_draft", "draft"), ("void", "void"), ("mark_uncollectible", "uncollectible")])
def test_paused_collection_per_behavior_then_resumed(behavior: str, status: str) -> None:
    engine = Engine(seed=21)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 1_500)["id"]}]})
    resumes = add_interval(T0, "month") + 5 * DAY
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}", {"pause_collection": {"behavior": behavior, "resumes_at": resumes}})
    assert (sub["status"], sub["pause_collection"]) == ("active", {"behavior": behavior, "resumes_at": resumes})
    advance(engine, clock, add_interval(T0, "month", 2) + 2 * HOUR)
    paused, resumed = invoices_of(engine, cus["id"])[1:]
    assert (paused["status"], paused["amount_paid"], paused["attempt_count"]) == (status, 0, 0)
    assert (resumed["status"], resumed["amount_paid"]) == ("paid", 1_500)
    assert engine.store.get(sub["id"])["pause_collection"] is None


def test_a_trial_without_a_card_pauses_then_resumes() -> None:
    engine = Engine(seed=22)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock, card=None)
    sub = call(engine, "POST", "/v1/subscriptions", {
        "customer": cus["id"], "items": [{"price": product_price(engine, 2_000)["id"]}], "trial_period_days": 7,
        "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}}})  # fmt: skip
    advance(engine, clock, T0 + 10 * DAY)
    assert engine.store.get(sub["id"])["status"] == "paused" and len(invoices_of(engine, cus["id"])) == 1
    (paused,) = events(engine, "customer.subscription.paused", sub["id"])
    assert paused["created"] == T0 + 7 * DAY
    switch_card(engine, cus, "pm_card_visa")
    sub = call(engine, "POST", f"/v1/subscriptions/{sub['id']}/resume")
    assert (sub["status"], sub["billing_cycle_anchor"]) == ("active", T0 + 10 * DAY)
    bill = engine.store.get(sub["latest_invoice"])
    assert (bill["billing_reason"], bill["status"], bill["amount_paid"]) == ("subscription_update", "paid", 2_000)
    assert events(engine, "customer.subscription.resumed", sub["id"])
    advance(engine, clock, add_interval(T0 + 10 * DAY, "month") + 2 * HOUR)
    assert invoices_of(engine, cus["id"])[-1]["billing_reason"] == "subscription_cycle"
    with pytest.raises(StripeErrorResponse):
        call(engine, "POST", f"/v1/subscriptions/{sub['id']}/resume")


def test_a_trial_without_a_card_can_cancel_instead() -> None:
    engine = Engine(seed=23)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock, card=None)
    sub = call(engine, "POST", "/v1/subscriptions", {
        "customer": cus["id"], "items": [{"price": product_price(engine, 2_000)["id"]}], "trial_period_days": 7,
        "trial_settings": {"end_behavior": {"missing_payment_method": "cancel"}}})  # fmt: skip
    advance(engine, clock, T0 + 10 * DAY)
    sub = engine.store.get(sub["id"])
    assert (sub["status"], sub["ended_at"]) == ("canceled", T0 + 7 * DAY) and len(invoices_of(engine, cus["id"])) == 1
