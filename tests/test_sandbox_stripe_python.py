"""stripe-python 16.1 pointed at the sandbox: a scripted tour of what a Stripe integration does, with no
500 and no unexpected error type (declines as ``CardError``, bad refunds as ``InvalidRequestError``).

The tour runs on a test clock, so billing happens when the clock is advanced, as with Stripe's own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from paragon_magic.sandbox import LocalStripe

DAY = 86_400
START = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
def client(stripe_server: LocalStripe) -> Iterator[stripe.StripeClient]:
    http = stripe.HTTPXClient(allow_sync_methods=True) if hasattr(stripe, "HTTPXClient") else None
    kwargs = {"http_client": http} if http is not None else {}
    yield stripe.StripeClient(stripe_server.key, base_addresses={"api": stripe_server.url}, max_network_retries=0,
                              **kwargs)  # fmt: skip


def _catalog(client: stripe.StripeClient) -> tuple[str, str, str]:
    product = client.v1.products.create({"name": "Pro"})
    monthly = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 2000,
                                       "recurring": {"interval": "month"}})  # fmt: skip
    bigger = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 5000,
                                      "recurring": {"interval": "month"}})  # fmt: skip
    yearly = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 20000,
                                      "recurring": {"interval": "year"}})  # fmt: skip
    return monthly.id, bigger.id, yearly.id


def test_a_customer_on_a_test_clock_is_billed_for_thirteen_months(client: stripe.StripeClient) -> None:
    monthly, _, yearly = _catalog(client)
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START, "name": "thirteen months"})
    customer = client.v1.customers.create({"email": "clock@example.com", "test_clock": clock.id,
                                           "payment_method": "pm_card_visa",
                                           "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly}]})
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": yearly}]})
    moment = START
    for _ in range(13):  # a month at a time (Stripe limits how far one advance may go)
        moment += 31 * DAY
        clock = client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": moment})
        assert clock.status in ("advancing", "ready")
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).status == "ready"

    invoices = list(client.v1.invoices.list({"customer": customer.id, "limit": 100}).auto_paging_iter())
    reasons = sorted(i.billing_reason for i in invoices)
    cycles = reasons.count("subscription_cycle")
    assert reasons.count("subscription_create") == 2
    assert 13 <= cycles <= 14  # 12-13 monthly renewals in 13 x 31 days + 1 yearly renewal
    assert all(i.status == "paid" for i in invoices)
    assert all(START <= i.created <= moment for i in invoices)  # dated on the clock, not the wall
    charges = list(client.v1.charges.list({"customer": customer.id, "limit": 100}).auto_paging_iter())
    assert len(charges) == len(invoices) and all(c.status == "succeeded" for c in charges)
    assert all(START <= c.created <= moment for c in charges)
    payments = list(client.v1.invoice_payments.list({"invoice": invoices[0].id}).auto_paging_iter())
    assert [p.status for p in payments] == ["paid"]


def test_a_failing_card_walks_through_dunning(client: stripe.StripeClient) -> None:
    monthly, _, _ = _catalog(client)
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START})
    customer = client.v1.customers.create({"test_clock": clock.id, "payment_method": "pm_card_visa"})
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly}]})
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": failing.id}})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 32 * DAY})
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "past_due"
    latest = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert latest.status == "open" and latest.attempt_count == 1 and latest.next_payment_attempt is not None
    for days in (36, 40, 48):  # past each retry of the default 3, 5, 7 day schedule
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + days * DAY})
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled" and sub.cancellation_details.reason == "payment_failed"
    assert client.v1.invoices.retrieve(latest.id).status == "uncollectible"


def test_declines_refunds_prorations_and_disputes_as_stripe_python_sees_them(client: stripe.StripeClient) -> None:
    monthly, bigger, _ = _catalog(client)
    customer = client.v1.customers.create({"payment_method": "pm_card_visa",
                                           "invoice_settings": {"default_payment_method": "pm_card_visa"}})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "customer": customer.id,
                                          "payment_method": "pm_card_chargeDeclined", "confirm": True})
    assert declined.value.code == "card_declined" and declined.value.http_status == 402
    assert declined.value.error.decline_code == "generic_decline"

    intent = client.v1.payment_intents.create({"amount": 7900, "currency": "usd", "customer": customer.id,
                                               "payment_method": "pm_card_visa", "confirm": True})
    assert intent.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 999_999})
    assert too_much.value.http_status == 400
    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 1900})
    assert refund.status == "succeeded" and refund.amount == 1900

    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly}]})
    item = sub["items"]["data"][0]
    updated = client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "price": bigger}],
                                                      "proration_behavior": "create_prorations"})  # fmt: skip
    assert updated["items"]["data"][0]["price"]["id"] == bigger
    pending = list(client.v1.invoice_items.list({"customer": customer.id, "pending": True}).auto_paging_iter())
    assert pending and all(i.proration for i in pending)
    client.v1.subscriptions.cancel(sub.id)

    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START})
    buyer = client.v1.customers.create({"test_clock": clock.id, "payment_method": "pm_card_visa"})
    disputed = client.v1.payment_intents.create({"amount": 5000, "currency": "usd", "customer": buyer.id,
                                                 "payment_method": "pm_card_createDispute", "confirm": True})
    assert disputed.status == "succeeded"
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 3600})  # disputed shortly after
    [dispute] = list(client.v1.disputes.list({"payment_intent": disputed.id}).auto_paging_iter())
    assert dispute.status == "needs_response" and dispute.amount == 5000
    dispute = client.v1.disputes.update(dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 2 * 3600})
    assert client.v1.disputes.retrieve(dispute.id).status == "won"
