"""The sandbox ledger over real HTTP: a US account settling in USD (Stripe's US card pricing, a fixed
exchange-rate table), funds available two days later on the sandbox clock, refunds without fee,
automatic payouts that ``balance_transactions?payout=`` reconciles, manual payouts, and a balance that
always equals Σ ``net``.

Expected amounts and fees are written out by hand from the tables in
``paragon_magic.sandbox.engine.ledger`` (2.9 % + 30¢, +1.5 % international card, +1 % conversion;
EUR 1.08, GBP 1.27, JPY 0.0067 USD), not computed by the code under test.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe

DAY = 86_400
T = int(datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc).timestamp())  # a Wednesday
MARCH_6 = int(datetime(2026, 3, 6, tzinfo=timezone.utc).timestamp())
MONDAY = int(datetime(2026, 3, 9, tzinfo=timezone.utc).timestamp())  # weekly automatic payouts fall on Mondays
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "fixtures3.json").read_text())["resources"]
TXN_KEYS = set(FIXTURES["balance_transaction"])

# (amount, currency, card) -> (USD amount, fee, exchange_rate), worked out by hand
PAYMENTS = [
    (1_000, "usd", "pm_card_visa", 1_000, 59, None),  # 29 + 30
    (2_000, "eur", "pm_card_visa", 2_160, 114, 1.08),  # 2160 x 3.9 % = 84.24 -> 84, + 30
    (1_000, "gbp", "pm_card_gb", 1_270, 99, 1.27),  # 1270 x 5.4 % = 68.58 -> 69, + 30
    (5_000, "jpy", "pm_card_jp", 3_350, 211, 0.67),  # 3350 x 5.4 % = 180.9 -> 181, + 30
    (1_234, "usd", "pm_card_mastercard", 1_234, 66, None),  # 35.786 -> 36, + 30
]


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def clock(stripe_server: LocalStripe) -> Iterator[Any]:
    """Sets the sandbox clock (frozen at ``T`` to begin with); released after the test."""
    stripe_server.set_clock(T)
    yield stripe_server.set_clock
    stripe_server.set_clock(None)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _customer(api: httpx.Client) -> str:
    return _ok(api.post("/v1/customers", data={"name": "Ledger Test"}))["id"]


def _charge(api: httpx.Client, customer: str, amount: int, currency: str, card: str = "pm_card_visa") -> dict[str, Any]:
    intent = _ok(api.post("/v1/payment_intents", data={
        "amount": amount, "currency": currency, "customer": customer, "payment_method": card, "confirm": "true",
    }))  # fmt: skip
    return _ok(api.get(f"/v1/charges/{intent['latest_charge']}", params={"expand[]": "balance_transaction"}))


def _transactions(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return _ok(api.get("/v1/balance_transactions", params={"limit": 100, **params}))["data"]


def _balance(api: httpx.Client) -> dict[str, int]:
    body = _ok(api.get("/v1/balance"))
    assert set(body) == set(FIXTURES["balance"])
    for status in ("available", "pending"):
        assert [funds["currency"] for funds in body[status]] == ["usd"]  # one settlement currency
        assert body[status][0]["source_types"] == {"card": body[status][0]["amount"]}
    return {status: body[status][0]["amount"] for status in ("available", "pending")}


def _assert_reconciles(api: httpx.Client) -> dict[str, int]:
    net: dict[str, int] = defaultdict(int)
    for txn in _transactions(api):
        net[txn["currency"]] += txn["net"]
    balance = _balance(api)
    assert set(net) <= {"usd"} and balance["available"] + balance["pending"] == net["usd"]
    return balance


def test_card_charges_settle_in_usd_with_us_pricing(api: httpx.Client, clock: Any) -> None:
    customer = _customer(api)
    for amount, currency, card, usd, fee, rate in PAYMENTS:
        charge = _charge(api, customer, amount, currency, card)
        txn = charge["balance_transaction"]
        assert set(txn) == TXN_KEYS
        assert (charge["amount"], charge["currency"]) == (amount, currency)
        assert (txn["type"], txn["amount"], txn["currency"], txn["exchange_rate"]) == ("charge", usd, "usd", rate)
        assert (txn["fee"], txn["net"], txn["created"]) == (fee, usd - fee, T)
        assert txn["fee_details"] == [{"amount": fee, "application": None, "currency": "usd",
                                       "description": "Stripe processing fees", "type": "stripe_fee"}]  # fmt: skip
    assert sorted(t["fee"] for t in _transactions(api)) == sorted(p[4] for p in PAYMENTS)
    assert _assert_reconciles(api) == {"available": 0, "pending": sum(p[3] - p[4] for p in PAYMENTS)}


def test_a_charge_is_pending_until_midnight_utc_two_days_later(api: httpx.Client, clock: Any) -> None:
    txn = _charge(api, _customer(api), 1_000, "usd")["balance_transaction"]
    assert (txn["available_on"], txn["status"]) == (MARCH_6, "pending")
    assert _balance(api) == {"available": 0, "pending": 941}
    clock(MARCH_6 - 1)
    assert _ok(api.get(f"/v1/balance_transactions/{txn['id']}"))["status"] == "pending"
    clock(MARCH_6)
    assert _ok(api.get(f"/v1/balance_transactions/{txn['id']}"))["status"] == "available"
    assert _balance(api) == {"available": 941, "pending": 0}
    [event] = _ok(api.get("/v1/events", params={"type": "balance.available"}))["data"]
    assert event["created"] == MARCH_6 and event["data"]["object"]["object"] == "balance"
    assert event["data"]["object"]["available"][0]["amount"] == 941


def test_refunds_return_no_fee_and_reconcile(api: httpx.Client, clock: Any) -> None:
    customer = _customer(api)
    full = _charge(api, customer, 2_000, "eur")
    partial = _charge(api, customer, 5_000, "jpy", "pm_card_jp")
    _ok(api.post("/v1/refunds", data={"charge": full["id"]}))
    _ok(api.post("/v1/refunds", data={"charge": partial["id"], "amount": 1_200}))
    refunds = _transactions(api, type="refund")
    assert sorted((t["amount"], t["fee"], t["net"], t["currency"]) for t in refunds) == [
        (-2_160, 0, -2_160, "usd"),  # EUR 20.00 at 1.08
        (-804, 0, -804, "usd"),  # JPY 1,200 at 0.0067
    ]
    assert all(t["fee_details"] == [] and t["reporting_category"] == "refund" for t in refunds)
    assert all(t["status"] == "available" for t in refunds)  # money going out leaves at once
    over = api.post("/v1/refunds", data={"charge": partial["id"], "amount": 5_000})
    assert over.status_code == 400 and over.json()["error"]["code"] == "amount_too_large"
    balance = _assert_reconciles(api)
    assert balance == {"available": -2_160 - 804, "pending": (2_160 - 114) + (3_350 - 211)}


def test_automatic_payouts_sweep_what_became_available(api: httpx.Client, clock: Any) -> None:
    customer = _customer(api)
    for amount, currency, card, *_ in PAYMENTS:
        _charge(api, customer, amount, currency, card)
    clock(MONDAY)
    [payout] = _ok(api.get("/v1/payouts"))["data"]
    assert set(payout) == set(FIXTURES["payout"])
    expected = sum(p[3] - p[4] for p in PAYMENTS)
    assert (payout["automatic"], payout["amount"], payout["currency"], payout["status"]) == (True, expected, "usd", "in_transit")
    assert (payout["created"], payout["arrival_date"]) == (MONDAY, MONDAY + 2 * DAY)
    swept = _transactions(api, payout=payout["id"])
    assert sorted(t["type"] for t in swept) == ["charge"] * len(PAYMENTS) + ["payout"]
    assert sum(t["net"] for t in swept if t["type"] != "payout") == payout["amount"]
    assert [t["amount"] for t in swept if t["type"] == "payout"] == [-payout["amount"]]
    assert _assert_reconciles(api) == {"available": 0, "pending": 0}
    clock(MONDAY + 2 * DAY)
    assert _ok(api.get(f"/v1/payouts/{payout['id']}"))["status"] == "paid"
    types = [e["type"] for e in _ok(api.get("/v1/events", params={"type": "payout.*"}))["data"]]
    assert sorted(types) == ["payout.created", "payout.paid"]


def test_manual_payouts_and_cancel(api: httpx.Client, stripe_server: LocalStripe, clock: Any) -> None:
    stripe_server.settings(automatic_payouts=False)
    _charge(api, _customer(api), 10_000, "usd")
    refused = api.post("/v1/payouts", data={"amount": 1, "currency": "usd"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "balance_insufficient")
    clock(MARCH_6)
    assert _balance(api)["available"] == 10_000 - 320
    payout = _ok(api.post("/v1/payouts", data={"amount": 9_000, "currency": "usd", "metadata[run]": "sweep"}))
    assert (payout["automatic"], payout["status"], payout["metadata"]) == (False, "pending", {"run": "sweep"})
    expanded = _ok(api.get(f"/v1/payouts/{payout['id']}", params={"expand[]": "balance_transaction"}))
    assert (expanded["balance_transaction"]["amount"], expanded["balance_transaction"]["type"]) == (-9_000, "payout")
    assert _balance(api)["available"] == 680
    canceled = _ok(api.post(f"/v1/payouts/{payout['id']}/cancel"))
    assert canceled["status"] == "canceled"
    assert _assert_reconciles(api)["available"] == 9_680
    assert api.post(f"/v1/payouts/{payout['id']}/cancel").status_code == 400
    missing = api.post("/v1/payouts", data={"currency": "usd"})
    assert (missing.status_code, missing.json()["error"]["param"]) == (400, "amount")
    clock(MONDAY + 7 * DAY)
    assert [p["id"] for p in _ok(api.get("/v1/payouts"))["data"]] == [payout["id"]]


def test_an_empty_account_has_a_zero_usd_balance(api: httpx.Client) -> None:
    body = _ok(api.get("/v1/balance"))
    assert body["available"] == [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
    assert body["pending"] == [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]


def test_a_subscription_the_customer_cannot_pay_leaves_nothing_behind(api: httpx.Client) -> None:
    customer = _ok(api.post("/v1/customers", data={"name": "No Card"}))["id"]
    plan = _ok(api.post("/v1/plans", data={"amount": 500, "currency": "usd", "interval": "month",
                                           "product[name]": "Pro"}))["id"]  # fmt: skip
    refused = api.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": plan})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "customer")
    assert "no attached payment source" in error["message"]
    assert _ok(api.get("/v1/subscriptions", params={"status": "all"}))["data"] == []
    assert _ok(api.get("/v1/invoices"))["data"] == []
    assert _transactions(api) == []
    # once the customer can pay, the same request succeeds
    card = _ok(api.post("/v1/payment_methods/pm_card_visa/attach", data={"customer": customer}))["id"]
    _ok(api.post(f"/v1/customers/{customer}", data={"invoice_settings[default_payment_method]": card}))
    created = _ok(api.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": plan}))
    assert created["status"] == "active"
    assert [s["id"] for s in _ok(api.get("/v1/subscriptions", params={"status": "all"}))["data"]] == [created["id"]]
