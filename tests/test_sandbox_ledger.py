"""The sandbox ledger over real HTTP: card fees, settlement, refunds, payouts, a balance that reconciles,
and a failed create that leaves nothing behind.

Expected fees are written out by hand from the schedule in ``paragon_magic.sandbox.front.ledger``
(usd 2.9 % + 30, eur 1.5 % + 25, gbp 1.5 % + 20, jpy 3.6 %), not computed by the code under test.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe

DAY = 86_400
FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "fixtures3.json").read_text())["resources"]
TXN_KEYS = set(FIXTURES["balance_transaction"])

# (amount, currency) -> the fee Stripe's schedule gives, worked out by hand
PAYMENTS = [
    (1_000, "usd", 59),  # 29 + 30
    (2_000, "eur", 55),  # 30 + 25
    (1_000, "gbp", 35),  # 15 + 20
    (5_000, "jpy", 180),  # 3.6 % of 5000, no fixed part
    (1_234, "usd", 66),  # 35.786 -> 36, + 30
]


@pytest.fixture
def api(stripe_server: LocalStripe) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {stripe_server.key}"}
    with httpx.Client(base_url=stripe_server.url, headers=headers, timeout=60) as client:
        yield client


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def _customer(api: httpx.Client) -> str:
    return _ok(api.post("/v1/customers", data={
        "name": "Ledger Test", "payment_method": "pm_card_visa",
        "invoice_settings[default_payment_method]": "pm_card_visa",
    }))["id"]  # fmt: skip


def _charge(api: httpx.Client, customer: str, amount: int, currency: str) -> dict[str, Any]:
    intent = _ok(api.post("/v1/payment_intents", data={
        "amount": amount, "currency": currency, "customer": customer,
        "payment_method": "pm_card_visa", "confirm": "true",
    }))  # fmt: skip
    charge = intent["latest_charge"]
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    return _ok(api.get(f"/v1/charges/{charge_id}", params={"expand[]": "balance_transaction"}))


def _transactions(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return _ok(api.get("/v1/balance_transactions", params={"limit": 100, **params}))["data"]


def _balance(api: httpx.Client) -> dict[str, dict[str, int]]:
    body = _ok(api.get("/v1/balance"))
    assert set(body) == set(FIXTURES["balance"])
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"available": 0, "pending": 0})
    for status in ("available", "pending"):
        for funds in body[status]:
            assert funds["source_types"] == {"card": funds["amount"]}
            out[funds["currency"]][status] += funds["amount"]
    return dict(out)


def _assert_reconciles(api: httpx.Client) -> dict[str, dict[str, int]]:
    net: dict[str, int] = defaultdict(int)
    for txn in _transactions(api):
        net[txn["currency"]] += txn["net"]
    balance = _balance(api)
    assert {cur: b["available"] + b["pending"] for cur, b in balance.items() if b != {"available": 0, "pending": 0}} == {
        cur: n for cur, n in net.items() if n
    }
    return balance


def test_card_charges_carry_stripe_fees_per_currency(api: httpx.Client) -> None:
    customer = _customer(api)
    for amount, currency, fee in PAYMENTS:
        txn = _charge(api, customer, amount, currency)["balance_transaction"]
        assert set(txn) == TXN_KEYS
        assert (txn["type"], txn["amount"], txn["currency"]) == ("charge", amount, currency)
        assert txn["fee"] == fee
        assert txn["net"] == amount - fee
        assert txn["fee_details"] == [{"amount": fee, "application": None, "currency": currency,
                                       "description": "Stripe processing fees", "type": "stripe_fee"}]  # fmt: skip
        assert txn["exchange_rate"] is None
    listed = {t["id"]: t for t in _transactions(api)}
    assert sorted(t["fee"] for t in listed.values()) == sorted(fee for _, _, fee in PAYMENTS)


def test_a_new_charge_is_pending_until_midnight_utc_two_days_later(api: httpx.Client, stripe_server: LocalStripe) -> None:
    txn = _charge(api, _customer(api), 1_000, "usd")["balance_transaction"]
    day_start = txn["created"] - txn["created"] % DAY
    assert txn["available_on"] == day_start + 2 * DAY
    assert txn["status"] == "pending"
    assert _balance(api)["usd"] == {"available": 0, "pending": 941}
    ten_days_ago = int(time.time()) - 10 * DAY
    stripe_server.backdate({txn["id"]: ten_days_ago})
    (moved,) = _transactions(api)
    assert moved["created"] == ten_days_ago
    assert moved["available_on"] == ten_days_ago - ten_days_ago % DAY + 2 * DAY
    assert moved["status"] == "available"
    assert _balance(api)["usd"] == {"available": 941, "pending": 0}


def test_refunds_return_no_fee_and_partial_refunds_reconcile(api: httpx.Client) -> None:
    customer = _customer(api)
    full = _charge(api, customer, 2_000, "eur")
    partial = _charge(api, customer, 5_000, "jpy")
    _ok(api.post("/v1/refunds", data={"charge": full["id"]}))
    _ok(api.post("/v1/refunds", data={"charge": partial["id"], "amount": 1_200}))
    refunds = {t["source"]: t for t in _transactions(api, type="refund")}
    assert sorted((t["amount"], t["fee"], t["net"], t["currency"]) for t in refunds.values()) == [
        (-2_000, 0, -2_000, "eur"),
        (-1_200, 0, -1_200, "jpy"),
    ]
    assert all(t["fee_details"] == [] and t["reporting_category"] == "refund" for t in refunds.values())
    charges = {t["source"]: t for t in _transactions(api, type="charge")}
    assert charges[full["id"]]["fee"] == 55  # the fee of a refunded charge stays with Stripe
    balance = _assert_reconciles(api)
    assert balance["eur"]["pending"] == -55
    assert balance["jpy"]["pending"] == 5_000 - 180 - 1_200


def test_a_payout_sweeps_the_available_balance(api: httpx.Client, stripe_server: LocalStripe) -> None:
    customer = _customer(api)
    for amount, currency, _fee in PAYMENTS:
        _charge(api, customer, amount, currency)
    past = int(time.time()) - 5 * DAY
    stripe_server.backdate({t["id"]: past for t in _transactions(api)})
    _charge(api, customer, 3_000, "usd")  # still pending: not part of the sweep
    available = {cur: b["available"] for cur, b in _assert_reconciles(api).items()}
    assert available == {"usd": 941 + 1_168, "eur": 1_945, "gbp": 965, "jpy": 4_820}

    payout = _ok(api.post("/v1/payouts", data={"amount": available["usd"], "currency": "usd",
                                               "metadata[run]": "sweep"}))  # fmt: skip
    assert set(payout) == set(FIXTURES["payout"])
    assert (payout["amount"], payout["currency"], payout["status"], payout["metadata"]) == (
        2_109, "usd", "pending", {"run": "sweep"})
    assert payout["arrival_date"] == payout["created"] - payout["created"] % DAY + 2 * DAY
    (txn,) = _transactions(api, type="payout")
    assert set(txn) == TXN_KEYS
    assert (txn["id"], txn["source"], txn["amount"], txn["fee"], txn["net"], txn["status"]) == (
        payout["balance_transaction"], payout["id"], -2_109, 0, -2_109, "available")
    balance = _assert_reconciles(api)
    assert balance["usd"] == {"available": 0, "pending": 3_000 - 117}

    refused = api.post("/v1/payouts", data={"amount": 1, "currency": "usd"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "balance_insufficient"
    missing = api.post("/v1/payouts", data={"currency": "eur"})
    assert (missing.status_code, missing.json()["error"]["param"]) == (400, "amount")

    expanded = _ok(api.get(f"/v1/payouts/{payout['id']}", params={"expand[]": "balance_transaction"}))
    assert expanded["balance_transaction"]["amount"] == -2_109


def test_payouts_list_newest_first_with_filters_and_follow_backdating(api: httpx.Client, stripe_server: LocalStripe) -> None:
    customer = _customer(api)
    _charge(api, customer, 10_000, "eur")
    stripe_server.backdate({t["id"]: int(time.time()) - 40 * DAY for t in _transactions(api)})
    ids = [_ok(api.post("/v1/payouts", data={"amount": 1_000, "currency": "eur"}))["id"] for _ in range(3)]
    old = int(time.time()) - 30 * DAY
    stripe_server.backdate({ids[0]: old})
    listed = _ok(api.get("/v1/payouts"))["data"]
    assert [p["id"] for p in listed] == [ids[2], ids[1], ids[0]]
    assert listed[-1]["status"] == "paid" and listed[-1]["created"] == old
    assert [p["id"] for p in _ok(api.get("/v1/payouts", params={"status": "paid"}))["data"]] == [ids[0]]
    assert [p["id"] for p in _ok(api.get("/v1/payouts", params={"limit": 1, "starting_after": ids[2]}))["data"]] == [ids[1]]  # fmt: skip
    arrived = _ok(api.get("/v1/payouts", params={"arrival_date[lt]": int(time.time())}))["data"]
    assert [p["id"] for p in arrived] == [ids[0]]
    moved = [t for t in _transactions(api, type="payout") if t["source"] == ids[0]]
    assert moved[0]["created"] == old  # the payout's balance transaction moved with it
    unknown = api.get("/v1/payouts/po_missing")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "resource_missing")
    bad = api.get("/v1/payouts", params={"limit": 0})
    assert bad.status_code == 400


def test_canceling_a_pending_payout_returns_its_funds(api: httpx.Client, stripe_server: LocalStripe) -> None:
    _charge(api, _customer(api), 1_000, "gbp")
    stripe_server.backdate({t["id"]: int(time.time()) - 4 * DAY for t in _transactions(api)})
    payout = _ok(api.post("/v1/payouts", data={"amount": 900, "currency": "gbp"}))
    assert _balance(api)["gbp"]["available"] == 65
    canceled = _ok(api.post(f"/v1/payouts/{payout['id']}/cancel"))
    assert canceled["status"] == "canceled"
    assert _assert_reconciles(api)["gbp"]["available"] == 965
    again = api.post(f"/v1/payouts/{payout['id']}/cancel")
    assert again.status_code == 400


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
