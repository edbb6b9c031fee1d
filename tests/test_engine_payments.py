"""The engine's payments, driven through ``Engine.handle``: test cards, declines, intents, charges, refunds.

Every expectation is Stripe's (https://docs.stripe.com/testing, stripe-python 16.1 shapes): decline
codes and messages per test card, failed charges stored as Stripe stores them, refunds capped at
what is left, and a 4xx that changes nothing.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

import pytest
from engine_helpers import call
from engine_helpers import refused as refused_with

from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.payment_methods import attached_to, default_method
from paragon_magic.sandbox.engine.payments import charge_customer
from paragon_magic.sandbox.front.errors import StripeErrorResponse

refused = functools.partial(refused_with, status=None)  # these tests check each status themselves

T = int(datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def engine() -> Engine:
    engine = Engine(seed=11, wall=lambda: float(T))
    engine.clocks.set_frozen(T)
    return engine




def snapshot(engine: Engine) -> dict[str, int]:
    return {kind: len(ids) for kind, ids in engine.store.kinds.items() if ids}


def event_types(engine: Engine) -> list[str]:
    return [event["type"] for event in engine.collection("event")]


def customer(engine: Engine, **params: Any) -> dict[str, Any]:
    return call(engine, "POST", "/v1/customers", {"email": "ada@example.com", **params})


DECLINES = [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card", "Your card was declined."),
    ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card", "Your card was declined."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None, "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", None, "Your card's security code is incorrect."),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", None,
     "An error occurred while processing your card. Try again in a little bit."),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline", "Your card was declined."),
]  # fmt: skip


@pytest.mark.parametrize(("name", "code", "decline_code", "message"), DECLINES)
def test_a_declined_confirmation_answers_stripes_card_error_and_stores_the_failed_charge(
    engine: Engine, name: str, code: str, decline_code: str | None, message: str
) -> None:
    error = refused(engine, "POST", "/v1/payment_intents",
                    {"amount": 2000, "currency": "usd", "payment_method": name, "confirm": True})  # fmt: skip
    assert (error.status, error.type, error.code, error.message) == (402, "card_error", code, message)
    assert error.extra.get("decline_code") == decline_code
    intent, charge_id = error.extra["payment_intent"], error.extra["charge"]
    assert intent["status"] == "requires_payment_method" and intent["payment_method"] is None
    assert intent["last_payment_error"]["code"] == code and intent["last_payment_error"]["type"] == "card_error"
    assert intent["last_payment_error"]["charge"] == charge_id
    assert error.extra["payment_method"]["id"].startswith("pm_")
    charge = call(engine, "GET", f"/v1/charges/{charge_id}")
    assert charge["status"] == "failed" and charge["paid"] is False
    assert (charge["captured"], charge["amount_captured"], charge["balance_transaction"]) == (False, 0, None)
    assert charge["outcome"]["type"] == "issuer_declined"
    assert charge["outcome"]["reason"] == (decline_code or code)
    assert (charge["failure_code"], charge["failure_message"]) == (code, message)
    assert event_types(engine) == ["payment_intent.created", "charge.failed", "payment_intent.payment_failed"]
    assert engine.collection("balance_transaction") == []


def test_a_successful_payment_fills_the_card_details_events_and_dates(engine: Engine) -> None:
    buyer = customer(engine)
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 4200, "currency": "usd", "customer": buyer["id"],
                                                          "payment_method": "pm_card_amex", "confirm": True})  # fmt: skip
    assert intent["status"] == "succeeded" and intent["amount_received"] == 4200
    charge = call(engine, "GET", f"/v1/charges/{intent['latest_charge']}")
    card = charge["payment_method_details"]["card"]
    assert (card["brand"], card["last4"], card["country"], card["funding"], card["network"]) == (
        "amex", "0005", "US", "credit", "amex")  # fmt: skip
    assert (card["exp_month"], card["exp_year"]) == (3, 2027) and card["checks"]["cvc_check"] == "pass"
    assert charge["payment_method_details"]["type"] == "card" and len(card["fingerprint"]) == 16
    assert (charge["status"], charge["paid"], charge["captured"], charge["amount_captured"]) == ("succeeded", True, True, 4200)
    assert charge["outcome"]["type"] == "authorized" and charge["payment_intent"] == intent["id"]
    assert charge["customer"] == buyer["id"] and charge["balance_transaction"].startswith("txn_")
    assert event_types(engine)[1:] == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    assert intent["created"] == charge["created"] == T
    assert all(event["created"] == T for event in engine.collection("event"))


def test_a_test_name_makes_a_fresh_payment_method_each_time(engine: Engine) -> None:
    first = call(engine, "GET", "/v1/payment_methods/pm_card_visa")
    second = call(engine, "GET", "/v1/payment_methods/pm_card_visa")
    assert first["id"] != second["id"] and first["card"]["fingerprint"] == second["card"]["fingerprint"]
    assert first["card"]["last4"] == "4242" and first["customer"] is None
    gb = call(engine, "GET", "/v1/payment_methods/pm_card_gb")
    assert (gb["card"]["country"], gb["card"]["brand"]) == ("GB", "visa")
    assert refused(engine, "GET", "/v1/payment_methods/pm_card_nonsense").status == 404


def test_payment_methods_from_tokens_attach_detach_and_defaults(engine: Engine) -> None:
    buyer = customer(engine)
    method = call(engine, "POST", "/v1/payment_methods", {"type": "card", "card": {"token": "tok_mastercard"},
                                                          "billing_details": {"name": "Ada"}})  # fmt: skip
    assert method["card"]["brand"] == "mastercard" and method["billing_details"]["name"] == "Ada"
    raw = refused(engine, "POST", "/v1/payment_methods", {"type": "card", "card": {"number": "4242424242424242"}})
    assert raw.status == 400 and "unsafe" in raw.message and raw.param == "card[number]"
    with pytest.raises(StripeErrorResponse) as not_attached:
        attached_to(engine, method["id"], buyer["id"], param="invoice_settings[default_payment_method]")
    assert not_attached.value.status == 400
    call(engine, "POST", f"/v1/payment_methods/{method['id']}/attach", {"customer": buyer["id"]})
    assert attached_to(engine, method["id"], buyer["id"], param="x")["customer"] == buyer["id"]
    buyer = call(engine, "POST", f"/v1/customers/{buyer['id']}",
                 {"invoice_settings": {"default_payment_method": method["id"]}})  # fmt: skip
    assert default_method(engine, buyer) == method["id"]
    call(engine, "POST", f"/v1/payment_methods/{method['id']}/detach")
    assert call(engine, "GET", f"/v1/customers/{buyer['id']}")["invoice_settings"]["default_payment_method"] is None
    assert [t for t in event_types(engine) if t.startswith("payment_method.")] == [
        "payment_method.attached", "payment_method.detached"]  # fmt: skip


@pytest.mark.parametrize("name", ["pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"])
def test_declining_cards_cannot_be_attached_but_customer_fail_can(engine: Engine, name: str) -> None:
    buyer = customer(engine)
    before = snapshot(engine)
    error = refused(engine, "POST", f"/v1/payment_methods/{name}/attach", {"customer": buyer["id"]})
    assert (error.status, error.type) == (402, "card_error")
    assert snapshot(engine) == before
    method = call(engine, "POST", "/v1/payment_methods/pm_card_chargeCustomerFail/attach", {"customer": buyer["id"]})
    assert method["customer"] == buyer["id"]


def test_charge_customer_never_raises_for_a_decline(engine: Engine) -> None:
    buyer = customer(engine, payment_method="pm_card_chargeCustomerFail")
    intent, charge = charge_customer(engine, buyer, 1500, "usd", description="Subscription update")
    assert charge["status"] == "failed" and intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == "generic_decline"
    assert intent["customer"] == charge["customer"] == buyer["id"] and intent["description"] == "Subscription update"
    good = customer(engine, payment_method="pm_card_visa")
    intent, charge = charge_customer(engine, good, 1500, "eur")
    assert (intent["status"], charge["status"], charge["currency"]) == ("succeeded", "succeeded", "eur")


def test_charge_customer_without_a_payment_method_is_a_400_that_creates_nothing(engine: Engine) -> None:
    buyer = customer(engine)
    before = snapshot(engine)
    with pytest.raises(StripeErrorResponse) as caught:
        charge_customer(engine, buyer, 1500, "usd")
    assert caught.value.status == 400 and snapshot(engine) == before


def test_charges_api_with_test_tokens(engine: Engine) -> None:
    charge = call(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "source": "tok_visa",
                                                  "description": "one-off"})  # fmt: skip
    assert charge["source"]["object"] == "card" and charge["source"]["brand"] == "Visa"
    assert charge["payment_method"] == charge["source"]["id"] and charge["payment_intent"] is None
    assert charge["payment_method_details"]["card"]["last4"] == "4242"
    error = refused(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "source": "tok_chargeDeclined"})
    assert (error.status, error.code, error.extra["decline_code"]) == (402, "card_declined", "generic_decline")
    assert call(engine, "GET", f"/v1/charges/{error.extra['charge']}")["status"] == "failed"
    assert refused(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "source": "tok_nope"}).status == 404
    buyer = customer(engine)
    no_card = refused(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "customer": buyer["id"]})
    assert (no_card.status, no_card.code) == (400, "missing")
    buyer = customer(engine, payment_method="pm_card_mastercard")
    paid = call(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "customer": buyer["id"]})
    assert paid["payment_method_details"]["card"]["brand"] == "mastercard"


def test_manual_capture_and_cancel(engine: Engine) -> None:
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 5000, "currency": "usd", "capture_method": "manual",
                                                          "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip
    assert (intent["status"], intent["amount_capturable"]) == ("requires_capture", 5000)
    charge = call(engine, "GET", f"/v1/charges/{intent['latest_charge']}")
    assert (charge["captured"], charge["amount_captured"], charge["balance_transaction"]) == (False, 0, None)
    too_much = refused(engine, "POST", f"/v1/payment_intents/{intent['id']}/capture", {"amount_to_capture": 6000})
    assert too_much.status == 400
    intent = call(engine, "POST", f"/v1/payment_intents/{intent['id']}/capture", {"amount_to_capture": 3000})
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 3000)
    charge = call(engine, "GET", f"/v1/charges/{intent['latest_charge']}")
    assert (charge["captured"], charge["amount_captured"], charge["amount_refunded"]) == (True, 3000, 2000)
    assert call(engine, "GET", f"/v1/balance_transactions/{charge['balance_transaction']}")["amount"] == 3000
    assert "charge.captured" in event_types(engine)
    again = refused(engine, "POST", f"/v1/payment_intents/{intent['id']}/cancel")
    assert (again.status, again.code) == (400, "payment_intent_unexpected_state")
    held = call(engine, "POST", "/v1/payment_intents", {"amount": 900, "currency": "usd", "capture_method": "manual",
                                                        "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip
    released = call(engine, "POST", f"/v1/payment_intents/{held['id']}/cancel", {"cancellation_reason": "duplicate"})
    assert (released["status"], released["cancellation_reason"]) == ("canceled", "duplicate")
    held_charge = call(engine, "GET", f"/v1/charges/{held['latest_charge']}")
    assert (held_charge["refunded"], held_charge["amount_refunded"], held_charge["captured"]) == (True, 900, False)
    [release] = [r for r in engine.collection("refund") if r["charge"] == held_charge["id"]]
    assert release["balance_transaction"] is None  # nothing was captured, nothing leaves the balance
    pending = call(engine, "POST", "/v1/payment_intents", {"amount": 700, "currency": "usd"})
    assert pending["status"] == "requires_payment_method"
    canceled = call(engine, "POST", f"/v1/payment_intents/{pending['id']}/cancel", {"cancellation_reason": "abandoned"})
    assert (canceled["status"], canceled["canceled_at"]) == ("canceled", T)


def test_create_then_confirm_and_update_rules(engine: Engine) -> None:
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 1000, "currency": "gbp"})
    missing = refused(engine, "POST", f"/v1/payment_intents/{intent['id']}/confirm")
    assert (missing.status, missing.code) == (400, "payment_intent_unexpected_state")
    intent = call(engine, "POST", f"/v1/payment_intents/{intent['id']}", {"amount": 1200, "payment_method": "pm_card_de"})
    assert (intent["status"], intent["amount"]) == ("requires_confirmation", 1200)
    intent = call(engine, "POST", f"/v1/payment_intents/{intent['id']}/confirm")
    assert intent["status"] == "succeeded"
    locked = refused(engine, "POST", f"/v1/payment_intents/{intent['id']}", {"amount": 5000})
    assert (locked.status, locked.code) == (400, "payment_intent_unexpected_state")
    tagged = call(engine, "POST", f"/v1/payment_intents/{intent['id']}", {"metadata": {"order": "42"}})
    assert tagged["metadata"] == {"order": "42"}
    updated = [e for e in engine.collection("event") if e["type"] == "payment_intent.updated"]
    assert updated[-1]["data"]["previous_attributes"] == {"metadata": {"order": None}}


BAD_REQUESTS = [
    ("/v1/payment_intents", {"amount": 49, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
     "amount_too_small"),
    ("/v1/payment_intents", {"amount": 5000, "currency": "zzz", "payment_method": "pm_card_visa", "confirm": True},
     "parameter_invalid_string"),
    ("/v1/payment_intents", {"amount": 5000, "currency": "usd", "customer": "cus_missing",
                             "payment_method": "pm_card_visa", "confirm": True}, "resource_missing"),
    ("/v1/payment_intents", {"amount": 5000, "currency": "usd", "payment_method": "pm_missing", "confirm": True},
     "resource_missing"),
    ("/v1/payment_intents", {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
                             "capture_method": "later"}, None),
    ("/v1/payment_intents", {"amount": 100_000_000, "currency": "usd", "payment_method": "pm_card_visa",
                             "confirm": True}, "amount_too_large"),
    ("/v1/charges", {"amount": 20, "currency": "usd", "source": "tok_visa"}, "amount_too_small"),
    ("/v1/customers/cus_missing/sources", {"source": "tok_visa"}, "resource_missing"),
    ("/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa", "metadata": {"k" * 41: "v"}}, None),
    ("/v1/refunds", {"charge": "ch_missing"}, "resource_missing"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "params", "code"), BAD_REQUESTS)
def test_a_refused_request_changes_nothing(engine: Engine, path: str, params: dict[str, Any], code: str | None) -> None:
    customer(engine, payment_method="pm_card_visa")
    before, generation, events = snapshot(engine), engine.store.generation, len(engine.collection("event"))
    error = refused(engine, "POST", path, params)
    assert error.status in (400, 404) and error.code == code
    assert snapshot(engine) == before and engine.store.generation == generation
    assert len(engine.collection("event")) == events


def test_refunds_are_capped_at_what_is_left(engine: Engine) -> None:
    charge = call(engine, "POST", "/v1/charges", {"amount": 7900, "currency": "usd", "source": "tok_visa"})
    before = snapshot(engine)
    over = refused(engine, "POST", "/v1/refunds", {"charge": charge["id"], "amount": 999999})
    assert (over.status, over.code, over.param) == (400, "amount_too_large", "amount")
    assert over.message == "Refund amount ($9,999.99) is greater than charge amount ($79.00)"
    assert snapshot(engine) == before
    refund = call(engine, "POST", "/v1/refunds", {"charge": charge["id"], "amount": 2900, "reason": "requested_by_customer"})
    assert (refund["amount"], refund["status"], refund["charge"]) == (2900, "succeeded", charge["id"])
    txn = call(engine, "GET", f"/v1/balance_transactions/{refund['balance_transaction']}")
    assert (txn["type"], txn["amount"], txn["fee"], txn["net"]) == ("refund", -2900, 0, -2900)
    partial = refused(engine, "POST", "/v1/refunds", {"charge": charge["id"], "amount": 5001})
    assert partial.message == "Refund amount ($50.01) is greater than unrefunded amount on charge ($50.00)"
    call(engine, "POST", "/v1/refunds", {"charge": charge["id"]})
    charge = call(engine, "GET", f"/v1/charges/{charge['id']}")
    assert (charge["amount_refunded"], charge["refunded"]) == (7900, True)
    done = refused(engine, "POST", "/v1/refunds", {"charge": charge["id"], "amount": 1})
    assert (done.status, done.code) == (400, "charge_already_refunded")
    refunded = [e for e in engine.collection("event") if e["type"] == "charge.refunded"]
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [2900, 7900]
    assert refunded[0]["data"]["previous_attributes"] == {"amount_refunded": 0}
    assert event_types(engine).count("refund.created") == 2


def test_refund_by_payment_intent_and_failed_charges(engine: Engine) -> None:
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 3000, "currency": "usd",
                                                          "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip
    refund = call(engine, "POST", "/v1/refunds", {"payment_intent": intent["id"], "amount": 1000})
    assert refund["charge"] == intent["latest_charge"] and refund["payment_intent"] == intent["id"]
    updated = call(engine, "POST", f"/v1/refunds/{refund['id']}", {"metadata": {"ticket": "7"}})
    assert updated["metadata"] == {"ticket": "7"}
    assert {"refund.updated", "charge.refund.updated"} <= set(event_types(engine))
    error = refused(engine, "POST", "/v1/charges", {"amount": 999, "currency": "usd", "source": "tok_chargeDeclined"})
    failed = refused(engine, "POST", "/v1/refunds", {"charge": error.extra["charge"]})
    assert (failed.status, failed.code) == (400, "charge_not_refundable")


def test_legacy_card_sources_from_tokens(engine: Engine) -> None:
    buyer = customer(engine)
    declined = refused(engine, "POST", f"/v1/customers/{buyer['id']}/sources", {"source": "tok_chargeDeclined"})
    assert (declined.status, declined.code) == (402, "card_declined")
    card = call(engine, "POST", f"/v1/customers/{buyer['id']}/sources", {"source": "tok_amex"})
    assert (card["object"], card["brand"], card["last4"], card["customer"]) == ("card", "American Express", "0005", buyer["id"])
    assert call(engine, "GET", f"/v1/customers/{buyer['id']}")["default_source"] == card["id"]
    charge = call(engine, "POST", "/v1/charges", {"amount": 1234, "currency": "usd", "customer": buyer["id"]})
    assert charge["payment_method"] == card["id"] and charge["source"]["id"] == card["id"]
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 1234, "currency": "usd", "customer": buyer["id"],
                                                          "payment_method": card["id"], "confirm": True})  # fmt: skip
    assert intent["status"] == "succeeded"
    assert call(engine, "GET", f"/v1/customers/{buyer['id']}/sources/{card['id']}")["id"] == card["id"]
    gone = call(engine, "DELETE", f"/v1/customers/{buyer['id']}/sources/{card['id']}")
    assert gone["deleted"] is True
    assert call(engine, "GET", f"/v1/customers/{buyer['id']}")["default_source"] is None
    assert {"customer.source.created", "customer.source.deleted"} <= set(event_types(engine))


def test_a_customer_created_with_a_declining_card_is_not_created(engine: Engine) -> None:
    for params in ({"payment_method": "pm_card_chargeDeclined"}, {"source": "tok_chargeDeclinedInsufficientFunds"}):
        error = refused(engine, "POST", "/v1/customers", params)
        assert (error.status, error.type) == (402, "card_error")
        assert engine.collection("customer") == [] and engine.collection("event") == []
    buyer = customer(engine, source="tok_visa")
    assert buyer["default_source"].startswith("card_")


def test_setup_intents_save_a_card_or_refuse_a_declining_one(engine: Engine) -> None:
    buyer = customer(engine)
    saved = call(engine, "POST", "/v1/setup_intents", {"customer": buyer["id"], "payment_method": "pm_card_visa",
                                                       "confirm": True})  # fmt: skip
    assert (saved["status"], saved["usage"]) == ("succeeded", "off_session")
    assert call(engine, "GET", f"/v1/payment_methods/{saved['payment_method']}")["customer"] == buyer["id"]
    failing = refused(engine, "POST", "/v1/setup_intents", {"customer": buyer["id"], "confirm": True,
                                                            "payment_method": "pm_card_chargeDeclinedStolenCard"})  # fmt: skip
    assert (failing.status, failing.code, failing.extra["decline_code"]) == (402, "card_declined", "stolen_card")
    intent = failing.extra["setup_intent"]
    assert intent["status"] == "requires_payment_method" and intent["last_setup_error"]["decline_code"] == "stolen_card"
    retry = call(engine, "POST", f"/v1/setup_intents/{intent['id']}/confirm", {"payment_method": "pm_card_chargeCustomerFail"})
    assert retry["status"] == "succeeded"  # attaches fine; its charges will fail
    later = call(engine, "POST", "/v1/setup_intents", {"customer": buyer["id"]})
    assert refused(engine, "POST", f"/v1/setup_intents/{later['id']}/confirm").code == "setup_intent_unexpected_state"
    assert call(engine, "POST", f"/v1/setup_intents/{later['id']}/cancel")["status"] == "canceled"
    types = [t for t in event_types(engine) if t.startswith("setup_intent.")]
    assert types == ["setup_intent.created", "setup_intent.succeeded", "setup_intent.created", "setup_intent.setup_failed",
                     "setup_intent.succeeded", "setup_intent.created", "setup_intent.canceled"]


def test_a_card_that_needs_3d_secure_waits_on_session_and_declines_off_session(engine: Engine) -> None:
    buyer = customer(engine, payment_method="pm_card_authenticationRequired")
    method = buyer["invoice_settings"]["default_payment_method"]
    waiting = call(engine, "POST", "/v1/payment_intents", {"amount": 2500, "currency": "eur", "customer": buyer["id"],
                                                           "payment_method": method, "confirm": True,
                                                           "return_url": "https://example.com/back"})  # fmt: skip
    assert (waiting["status"], waiting["latest_charge"]) == ("requires_action", None)
    assert waiting["next_action"]["type"] == "redirect_to_url"
    assert waiting["next_action"]["redirect_to_url"]["return_url"] == "https://example.com/back"
    assert engine.collection("charge") == [] and "payment_intent.requires_action" in event_types(engine)
    error = refused(engine, "POST", "/v1/payment_intents", {"amount": 2500, "currency": "eur", "customer": buyer["id"],
                                                            "payment_method": method, "confirm": True,
                                                            "off_session": True})  # fmt: skip
    assert (error.status, error.code, error.extra["decline_code"]) == (402, "authentication_required", "authentication_required")
    assert error.message == "Your card was declined. This transaction requires authentication."
    intent, charge = charge_customer(engine, buyer, 2500, "eur")
    assert (charge["status"], charge["outcome"]["reason"]) == ("failed", "authentication_required")
    assert intent["last_payment_error"]["decline_code"] == "authentication_required"
    canceled = call(engine, "POST", f"/v1/payment_intents/{waiting['id']}/cancel")
    assert canceled["status"] == "canceled"
    setup = call(engine, "POST", "/v1/setup_intents", {"customer": buyer["id"], "confirm": True,
                                                       "payment_method": "pm_card_authenticationRequired"})  # fmt: skip
    assert setup["status"] == "requires_action" and setup["next_action"]["type"] == "redirect_to_url"
