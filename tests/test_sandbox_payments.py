"""Payments over real HTTP: Stripe's decline bodies, served shapes of failed charges, test tokens with
stripe-python 16.1, refund caps, and a dispute played on the sandbox clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from paragon_magic.sandbox import LocalStripe

T = int(datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc).timestamp())
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "fixtures3.json").read_text())["resources"]


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def clock(stripe_server: LocalStripe) -> Iterator[Any]:
    stripe_server.set_clock(T)
    yield stripe_server.set_clock
    stripe_server.set_clock(None)


@pytest.fixture
def client(stripe_server: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(stripe_server.key, base_addresses={"api": stripe_server.url}, max_network_retries=0)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_decline_answers_stripes_402_body(api: httpx.Client) -> None:
    response = api.post("/v1/payment_intents", data={"amount": 2000, "currency": "usd", "confirm": "true",
                                                     "payment_method": "pm_card_chargeDeclinedInsufficientFunds"})  # fmt: skip
    assert response.status_code == 402 and response.headers.get("Request-Id", "").startswith("req_")
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == ("card_error", "card_declined", "insufficient_funds")
    assert error["message"] == "Your card has insufficient funds."
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/card-declined"
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["payment_intent"]["last_payment_error"]["decline_code"] == "insufficient_funds"
    assert error["payment_method"]["card"]["last4"] == "9995"
    charge = _ok(api.get(f"/v1/charges/{error['charge']}"))
    assert set(charge) == set(FIXTURES["charge"])
    assert (charge["status"], charge["captured"], charge["amount_captured"]) == ("failed", False, 0)
    assert charge["outcome"]["type"] == "issuer_declined" and charge["failure_code"] == "card_declined"
    listed = _ok(api.get("/v1/events", params={"type": "charge.failed"}))["data"]
    assert [e["data"]["object"]["id"] for e in listed] == [charge["id"]]


def test_stripe_python_sees_card_errors_and_refund_caps(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_chargeDeclinedExpiredCard"})
    assert (declined.value.code, declined.value.param, declined.value.http_status) == ("expired_card", "exp_month", 402)
    assert declined.value.error is not None and str(declined.value.error.charge).startswith("ch_")
    charge = client.v1.charges.create({"amount": 7900, "currency": "usd", "source": "tok_visa"})
    assert charge.payment_method_details is not None and charge.payment_method_details.card is not None
    assert (charge.payment_method_details.card.brand, charge.payment_method_details.card.last4) == ("visa", "4242")
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create({"charge": charge.id, "amount": 999_999})
    assert too_much.value.code == "amount_too_large"
    assert str(too_much.value.user_message) == "Refund amount ($9,999.99) is greater than charge amount ($79.00)"
    client.v1.refunds.create({"charge": charge.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"charge": charge.id})
    assert again.value.code == "charge_already_refunded"
    assert client.v1.charges.retrieve(charge.id).refunded is True


def test_a_dispute_opens_on_the_clock_and_winning_evidence_wins_it(api: httpx.Client, clock: Any) -> None:
    intent = _ok(api.post("/v1/payment_intents", data={"amount": 5000, "currency": "usd", "confirm": "true",
                                                       "payment_method": "pm_card_createDispute"}))  # fmt: skip
    assert intent["status"] == "succeeded"
    clock(T + 60)
    [dispute] = _ok(api.get("/v1/disputes", params={"payment_intent": intent["id"]}))["data"]
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == ("needs_response", "fraudulent", 5000)
    assert set(dispute) == set(FIXTURES["dispute"])
    assert _ok(api.get(f"/v1/charges/{dispute['charge']}"))["disputed"] is True
    updated = _ok(api.post(f"/v1/disputes/{dispute['id']}", data={"evidence[uncategorized_text]": "winning_evidence"}))
    assert updated["status"] == "under_review"
    clock(T + 120)
    assert _ok(api.get(f"/v1/disputes/{dispute['id']}"))["status"] == "won"
    adjustments = _ok(api.get("/v1/balance_transactions", params={"type": "adjustment"}))["data"]
    assert sorted((t["amount"], t["fee"], t["reporting_category"]) for t in adjustments) == [
        (-5000, 1500, "dispute"), (5000, 0, "dispute_reversal")]  # fmt: skip
    types = [e["type"] for e in _ok(api.get("/v1/events", params={"type": "charge.dispute.*"}))["data"]]
    assert sorted(types) == sorted(["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated",
                                    "charge.dispute.funds_reinstated", "charge.dispute.closed"])  # fmt: skip


def test_stripe_python_saves_a_card_with_a_setup_intent(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "setup@example.com"})
    intent = client.v1.setup_intents.create({"customer": customer.id, "payment_method": "pm_card_mastercard",
                                             "confirm": True})  # fmt: skip
    assert intent.status == "succeeded"
    methods = client.v1.customers.payment_methods.list(customer.id)
    assert [m.card.brand for m in methods.data if m.card is not None] == ["mastercard"]
    with pytest.raises(stripe.CardError) as declined:
        client.v1.setup_intents.create({"customer": customer.id, "payment_method": "pm_card_chargeDeclined",
                                        "confirm": True})  # fmt: skip
    assert declined.value.code == "card_declined"
