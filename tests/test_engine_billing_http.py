"""Billing over real HTTP, as stripe-python 16.1 sees it: subscriptions with prorations and their
events, manual invoices with invoice payments, the preview, declines and refusals with Stripe's
error types (issue 23, item 3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from paragon_magic.sandbox import LocalStripe

DAY = 86_400
START = 1_769_860_800  # 2026-01-31T12:00:00Z: a month end


@pytest.fixture
def client(stripe_server: LocalStripe) -> Iterator[stripe.StripeClient]:
    stripe_server.settings(event_retention_days=None)  # the test clock's events lie months before the wall clock
    http = stripe.HTTPXClient(allow_sync_methods=True) if hasattr(stripe, "HTTPXClient") else None
    kwargs = {"http_client": http} if http is not None else {}
    yield stripe.StripeClient(stripe_server.key, base_addresses={"api": stripe_server.url}, max_network_retries=0,
                              **kwargs)  # fmt: skip


def _prices(client: stripe.StripeClient) -> tuple[str, str]:
    product = client.v1.products.create({"name": "Team"})
    basic = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 3000, "recurring": {"interval": "month"}})
    pro = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 6000, "recurring": {"interval": "month"}})
    return basic.id, pro.id


def test_an_upgrade_is_prorated_announced_and_billed_on_the_renewal(client: stripe.StripeClient) -> None:
    basic, pro = _prices(client)
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": START})
    customer = client.v1.customers.create({"test_clock": clock.id, "payment_method": "pm_card_visa", "name": "Ada"})
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": basic}]})
    assert sub.status == "active" and sub["items"]["data"][0]["current_period_start"] == START
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 10 * DAY})
    item = sub["items"]["data"][0]
    preview = client.v1.invoices.create_preview({"subscription": sub.id, "subscription_details": {
        "items": [{"id": item.id, "price": pro}], "proration_date": START + 10 * DAY}})  # fmt: skip
    updated = client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "price": pro}], "proration_date": START + 10 * DAY})
    assert updated["items"]["data"][0]["price"]["id"] == pro
    events = client.v1.events.list({"type": "customer.subscription.updated"}).data
    change = next(e for e in events if e.created == START + 10 * DAY)
    assert change.data.previous_attributes["items"]["data"][0]["price"]["id"] == basic
    pending = client.v1.invoice_items.list({"customer": customer.id, "pending": True}).data
    assert sorted(i.amount for i in pending) == [-1929, 3857] and all(i.proration for i in pending)

    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": START + 28 * DAY + 7200})
    invoices = client.v1.invoices.list({"customer": customer.id}).data  # newest first
    renewal = invoices[0]
    assert (renewal.billing_reason, renewal.status, renewal.total) == ("subscription_cycle", "paid", preview.total)
    lines = client.v1.invoices.line_items.list(renewal.id).data
    assert [line.amount for line in lines] == [line.amount for line in preview.lines.data] == [6000, -1929, 3857]
    assert [bool(line.parent.subscription_item_details.proration) for line in lines] == [False, True, True]
    assert lines[0].period.start == renewal.created
    assert renewal.number == f"{customer.invoice_prefix}-0002" and renewal.status_transitions.finalized_at == renewal.created + 3600
    payments = client.v1.invoice_payments.list({"invoice": renewal.id}).data
    assert [(p.status, p.amount_paid) for p in payments] == [("paid", 7928)]
    assert client.v1.invoice_payments.retrieve(payments[0].id).payment.type == "payment_intent"
    included = client.v1.invoices.retrieve(renewal.id, {"expand": ["payments"]})
    assert [p.id for p in included.payments.data] == [payments[0].id]
    assert "payments" not in client.v1.invoices.retrieve(renewal.id)  # includable: only when asked for


def test_manual_invoice_decline_and_refusals(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"payment_method": "pm_card_chargeCustomerFail", "email": "b@example.com"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 2500, "currency": "usd", "description": "Setup"})
    invoice = client.v1.invoices.create({"customer": customer.id, "pending_invoice_items_behavior": "include"})
    assert (invoice.status, invoice.total, invoice.billing_reason) == ("draft", 2500, "manual")
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    assert invoice.status == "open" and invoice.number.endswith("-0001")
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(invoice.id)
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 1
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoices.void_invoice(invoice.id)
    assert refused.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": "price_missing"}]})
    assert (missing.value.http_status, missing.value.param) == (404, "items[0][price]")
    assert client.v1.subscriptions.list({"customer": customer.id, "status": "all"}).data == []
