"""The sandbox clock over real HTTP (what a write creates while it is set is dated at its moment, and the
ledger's "now" follows it), and invoices marked uncollectible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe

DAY = 86_400
T = 1_750_000_000  # 2025-06-15T15:06:40Z


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def control(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stripe_server.url, headers=stripe_server.control_headers, timeout=60) as client:
        yield client


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _set(control: httpx.Client, now: int | None) -> None:
    assert _ok(control.post("/_sandbox/clock", json={"now": now})) == {"now": now}


def _paying_customer(api: httpx.Client) -> str:
    return _ok(api.post("/v1/customers", data={
        "name": "Clock", "payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa",
    }))["id"]  # fmt: skip


def test_writes_under_the_clock_are_dated_at_its_moment(api: httpx.Client, control: httpx.Client) -> None:
    _ok(control.post("/_sandbox/settings", json={"automatic_payouts": False}))  # only this test's two charges
    _set(control, T)
    customer = _paying_customer(api)
    plan = _ok(api.post("/v1/plans", data={"amount": 1_000, "currency": "usd", "interval": "month",
                                           "product[name]": "Clocked"}))["id"]  # fmt: skip
    sub = _ok(api.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": plan}))
    assert (sub["created"], sub["start_date"]) == (T, T)
    # the first invoice, its charge and balance transaction were made inside the same write
    (invoice,) = _ok(api.get("/v1/invoices"))["data"]
    (txn,) = _ok(api.get("/v1/balance_transactions"))["data"]
    assert invoice["created"] == txn["created"] == T
    assert txn["available_on"] == T - T % DAY + 2 * DAY and txn["status"] == "pending"  # as of the clock

    _set(control, T + 40 * DAY)  # the month renewed on the way: invoiced at the period end, paid after finalizing
    renewal, first = _ok(api.get("/v1/invoices"))["data"]
    assert (renewal["billing_reason"], first["billing_reason"]) == ("subscription_cycle", "subscription_create")
    assert renewal["created"] == T + 30 * DAY  # 2025-07-15, a calendar month later
    paid_at = renewal["status_transitions"]["paid_at"]
    assert renewal["status"] == "paid" and renewal["status_transitions"]["finalized_at"] <= paid_at < T + 40 * DAY
    txns = _ok(api.get("/v1/balance_transactions"))["data"]
    assert [t["created"] for t in txns] == [paid_at, T]  # newest first, by the clock's dates
    assert [t["status"] for t in txns] == ["available", "available"]
    balance = _ok(api.get("/v1/balance"))
    assert balance["available"][0]["amount"] == 2 * (1_000 - 59) and balance["pending"][0]["amount"] == 0
    canceled = _ok(api.delete(f"/v1/subscriptions/{sub['id']}"))
    assert canceled["ended_at"] == T + 40 * DAY
    assert _ok(api.get(f"/v1/customers/{customer}"))["created"] == T  # a later write never moves it

    _set(control, None)
    later = _paying_customer(api)
    assert abs(_ok(api.get(f"/v1/customers/{later}"))["created"] - time.time()) < 600
    assert _ok(api.get("/v1/balance"))["pending"][0]["amount"] == 0  # both settled long ago


def test_a_payout_under_the_clock_sweeps_what_was_available_then(api: httpx.Client, control: httpx.Client) -> None:
    _set(control, T)
    customer = _paying_customer(api)
    _ok(api.post("/v1/payment_intents", data={"amount": 2_000, "currency": "eur", "customer": customer,
                                               "payment_method": "pm_card_visa", "confirm": "true"}))  # fmt: skip
    # settled in USD: EUR 20.00 x 1.08 = $21.60, less 2.9 % + 1 % conversion + 30¢ = $1.14
    refused = api.post("/v1/payouts", data={"amount": 2_046, "currency": "usd"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "balance_insufficient"  # pending
    _set(control, T + 3 * DAY)
    payout = _ok(api.post("/v1/payouts", data={"amount": 2_046, "currency": "usd"}))
    assert payout["created"] == T + 3 * DAY and payout["status"] == "pending"
    _set(control, None)
    assert _ok(api.get(f"/v1/payouts/{payout['id']}"))["status"] == "paid"
    assert _ok(api.get("/v1/balance"))["available"] == [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]


def test_the_clock_takes_an_epoch_or_null(control: httpx.Client) -> None:
    assert control.post("/_sandbox/clock", json={"now": "tomorrow"}).status_code == 400
    assert control.post("/_sandbox/clock", json={"now": True}).status_code == 400


def test_an_open_invoice_can_be_marked_uncollectible(api: httpx.Client) -> None:
    customer = _paying_customer(api)
    failing = _ok(api.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", data={"customer": customer}))
    _ok(api.post(f"/v1/customers/{customer}", data={"invoice_settings[default_payment_method]": failing["id"]}))
    _ok(api.post("/v1/invoiceitems", data={"customer": customer, "amount": 700, "currency": "gbp"}))
    invoice = _ok(api.post("/v1/invoices", data={"customer": customer, "auto_advance": "false",
                                                 "pending_invoice_items_behavior": "include"}))["id"]  # fmt: skip
    _ok(api.post(f"/v1/invoices/{invoice}/finalize"))
    declined = api.post(f"/v1/invoices/{invoice}/pay")
    assert declined.status_code == 402 and declined.json()["error"]["type"] == "card_error"
    assert _ok(api.get(f"/v1/invoices/{invoice}"))["status"] == "open"
    marked = _ok(api.post(f"/v1/invoices/{invoice}/mark_uncollectible"))
    assert marked["status"] == "uncollectible"
    assert abs(marked["status_transitions"]["marked_uncollectible_at"] - time.time()) < 600
    assert _ok(api.get(f"/v1/invoices/{invoice}"))["status"] == "uncollectible"
    listed = _ok(api.get("/v1/invoices", params={"status": "uncollectible"}))["data"]
    assert [i["id"] for i in listed] == [invoice]
    again = api.post(f"/v1/invoices/{invoice}/mark_uncollectible")
    assert again.status_code == 400 and "open" in again.json()["error"]["message"]
    missing = api.post("/v1/invoices/in_missing/mark_uncollectible")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
