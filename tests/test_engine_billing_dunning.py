"""Failed payments: past_due, retries 3/5/7 days after the first failure, then dunning (issue 23,
item 3); a first payment that fails under each payment_behavior; a 4xx leaves nothing behind."""

from __future__ import annotations

import copy

import pytest

from billing_world import T0, DAY, advance, call, customer, events, invoices_of, new_clock, product_price, switch_card
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval
from paragon_magic.sandbox.front.errors import StripeErrorResponse

HOUR = 3_600


def test_failing_card_walks_past_due_retries_then_cancel() -> None:
    engine = Engine(seed=5)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 4_900)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    switch_card(engine, cus, "pm_card_chargeCustomerFail")
    renewal_at = add_interval(T0, "month")
    first_failure = renewal_at + HOUR
    advance(engine, clock, first_failure)
    invoice = invoices_of(engine, cus["id"])[1]
    assert (invoice["status"], invoice["attempt_count"], invoice["next_payment_attempt"]) == ("open", 1, first_failure + 3 * DAY)
    assert engine.store.get(sub["id"])["status"] == "past_due"
    (failed,) = events(engine, "invoice.payment_failed", invoice["id"])
    assert failed["created"] == first_failure
    for count, (day, next_day) in enumerate([(3, 5), (5, 7)], start=2):
        advance(engine, clock, first_failure + day * DAY)
        assert (invoice["attempt_count"], invoice["next_payment_attempt"]) == (count, first_failure + next_day * DAY)
        assert engine.store.get(sub["id"])["status"] == "past_due"
    advance(engine, clock, first_failure + 7 * DAY)
    sub = engine.store.get(sub["id"])
    assert (invoice["attempt_count"], invoice["next_payment_attempt"], invoice["status"]) == (4, None, "uncollectible")
    assert invoice["status_transitions"]["marked_uncollectible_at"] == first_failure + 7 * DAY
    assert (sub["status"], sub["ended_at"], sub["cancellation_details"]["reason"]) == ("canceled", first_failure + 7 * DAY, "payment_failed")
    attempts = [e["created"] for e in events(engine, "invoice.payment_failed", invoice["id"])]
    assert attempts == [first_failure + d * DAY for d in (0, 3, 5, 7)]
    failed_charges = [c for c in engine.store.all("charge") if c["status"] == "failed"]
    assert len(failed_charges) == 4
    advance(engine, clock, T0 + 120 * DAY)
    assert len(invoices_of(engine, cus["id"])) == 2  # a canceled subscription bills nothing more


def test_paying_by_hand_during_dunning_reactivates() -> None:
    engine = Engine(seed=6)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price = product_price(engine, 4_900)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    switch_card(engine, cus, "pm_card_chargeCustomerFail")
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    invoice = invoices_of(engine, cus["id"])[1]
    with pytest.raises(StripeErrorResponse) as declined:
        call(engine, "POST", f"/v1/invoices/{invoice['id']}/pay")
    assert (declined.value.status, declined.value.type, declined.value.code) == (402, "card_error", "card_declined")
    # Stripe: a manual attempt after the first does not count (nor move the retry schedule)
    assert (invoice["attempt_count"], invoice["next_payment_attempt"]) == (1, add_interval(T0, "month") + HOUR + 3 * DAY)
    assert len(events(engine, "invoice.payment_failed", invoice["id"])) == 2
    switch_card(engine, cus, "pm_card_visa")
    paid = call(engine, "POST", f"/v1/invoices/{invoice['id']}/pay")
    assert (paid["status"], paid["attempt_count"], paid["next_payment_attempt"]) == ("paid", 1, None)
    assert engine.store.get(sub["id"])["status"] == "active"
    advance(engine, clock, add_interval(T0, "month") + 30 * DAY)
    assert invoice["attempt_count"] == 1  # the scheduled retries see a paid invoice and do nothing


def _state(engine: Engine) -> tuple:
    """Everything a request could change: the objects (events too) and every clock's jobs."""
    return copy.deepcopy(engine.store.objects), [engine.clocks.pending(c) for c in ("", *engine.clocks.test_clocks)]


def test_first_payment_failure_per_payment_behavior() -> None:
    engine = Engine(seed=8)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock, card="pm_card_chargeCustomerFail")  # attaches, every charge declined
    price = product_price(engine, 900)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    invoice = engine.store.get(sub["latest_invoice"])
    assert (sub["status"], invoice["status"], invoice["attempt_count"]) == ("incomplete", "open", 1)
    waiting = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 500)["id"]}],
                                                         "payment_behavior": "default_incomplete"})  # fmt: skip
    assert (waiting["status"], engine.store.get(waiting["latest_invoice"])["attempt_count"]) == ("incomplete", 0)
    advance(engine, clock, T0 + 23 * HOUR)
    assert engine.store.get(sub["id"])["status"] == "incomplete_expired" and invoice["status"] == "void"
    before = _state(engine)
    with pytest.raises(StripeErrorResponse) as declined:
        call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}],
                                                   "payment_behavior": "error_if_incomplete"})  # fmt: skip
    assert (declined.value.status, declined.value.code, declined.value.extra["decline_code"]) == (402, "card_declined", "generic_decline")
    assert _state(engine) == before
    advance(engine, clock, T0 + 2 * DAY)  # the clock still moves: it is the same object in the store and the clocks
    assert engine.now(clock) == T0 + 2 * DAY and engine.store.get(clock)["frozen_time"] == T0 + 2 * DAY


@pytest.mark.parametrize(
    "params, status, param",
    [
        ({"items": [{"price": "price_nope"}]}, 404, "items[0][price]"),
        ({"items": [{"price": "{price}", "quantity": "lots"}]}, 400, "items[0][quantity]"),
        ({"items": [{"price": "{price}"}], "collection_method": "send_invoice"}, 400, "days_until_due"),
        ({"items": [{"price": "{price}"}], "trial_end": T0 - 1}, 400, "trial_end"),
        ({"items": [{"price": "{price}"}], "discounts": [{"coupon": "nope"}]}, 404, "discounts[0][coupon]"),
        ({"items": [{"price": "{price}"}, {"price": "{yearly}"}]}, 400, "items"),
        ({"items": [{"price": "{price}"}], "customer": "cus_nope"}, 404, "customer"),
        ({"items": [{"price": "{price}"}], "metadata": {"k" * 41: "v"}}, 400, None),
        ({"items": [{"price": "{price}"}], "add_invoice_items": [{"price": "{price}"}]}, 400, "add_invoice_items"),
        ({"items": [{"price": "{price}", "tax_rates": ["txr_1"]}]}, 400, "items[0][tax_rates]"),
    ],
)
def test_a_refused_subscription_leaves_nothing_behind(params: dict, status: int, param: str | None) -> None:
    engine = Engine(seed=9)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    price, yearly = product_price(engine, 900), product_price(engine, 9_000, interval="year")
    body = {"customer": cus["id"], **params}
    names = {"{price}": price["id"], "{yearly}": yearly["id"]}
    for key in ("items", "add_invoice_items"):
        if key in body:
            body[key] = [{k: names.get(v, v) if isinstance(v, str) else v for k, v in item.items()} for item in body[key]]
    before = _state(engine)
    with pytest.raises(StripeErrorResponse) as refused:
        call(engine, "POST", "/v1/subscriptions", body)
    assert refused.value.status == status
    if param is not None:
        assert refused.value.param == param
    assert _state(engine) == before


def test_no_payment_method_is_refused_without_side_effects() -> None:
    engine = Engine(seed=10)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock, card=None)
    price = product_price(engine, 900)
    before = _state(engine)
    with pytest.raises(StripeErrorResponse) as refused:
        call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}]})
    assert (refused.value.status, refused.value.code) == (400, "resource_missing")
    assert _state(engine) == before
    trial = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": price["id"]}], "trial_period_days": 7})
    assert trial["status"] == "trialing"  # a trial needs no payment method yet


def test_a_custom_schedule_and_the_unpaid_action() -> None:
    engine = Engine(seed=14)
    engine.settings.retry_days = (2,)
    engine.settings.dunning_action = "unpaid"
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 1_200)["id"]}]})
    switch_card(engine, cus, "pm_card_chargeCustomerFail")
    first_failure = add_interval(T0, "month") + HOUR
    advance(engine, clock, first_failure + 2 * DAY)
    failing = invoices_of(engine, cus["id"])[1]
    assert (failing["attempt_count"], failing["next_payment_attempt"], failing["status"]) == (2, None, "open")
    assert engine.store.get(sub["id"])["status"] == "unpaid"
    advance(engine, clock, add_interval(T0, "month", 2) + 2 * HOUR)
    later = invoices_of(engine, cus["id"])[2]
    assert (later["billing_reason"], later["status"], later["auto_advance"]) == ("subscription_cycle", "draft", False)
    switch_card(engine, cus, "pm_card_visa")
    call(engine, "POST", f"/v1/invoices/{failing['id']}/pay")
    assert engine.store.get(sub["id"])["status"] == "active"


def test_canceling_during_dunning_stops_the_retries() -> None:
    engine = Engine(seed=19)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 1_000)["id"]}]})
    switch_card(engine, cus, "pm_card_chargeCustomerFail")
    advance(engine, clock, add_interval(T0, "month") + 2 * HOUR)
    failing = invoices_of(engine, cus["id"])[1]
    call(engine, "DELETE", f"/v1/subscriptions/{sub['id']}")
    assert (failing["status"], failing["auto_advance"], failing["next_payment_attempt"]) == ("open", False, None)
    advance(engine, clock, add_interval(T0, "month") + 20 * DAY)
    assert failing["attempt_count"] == 1 and failing["status"] == "open"


def test_deleting_a_customer_mid_cycle_leaves_the_clock_running() -> None:
    engine = Engine(seed=24)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    sub = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": product_price(engine, 1_000)["id"]}]})
    manual = call(engine, "POST", "/v1/invoices", {"customer": cus["id"], "auto_advance": True})
    call(engine, "DELETE", f"/v1/customers/{cus['id']}")
    assert engine.store.get(sub["id"])["status"] == "canceled"
    advance(engine, clock, add_interval(T0, "month", 2))  # the manual draft's finalization finds no customer
    assert engine.store.get(manual["id"])["status"] == "draft"
