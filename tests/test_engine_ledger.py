"""The engine's ledger, driven through ``Engine.handle`` on a frozen sandbox clock.

One settlement model (a US account settling in USD): Stripe's US card pricing, a fixed exchange-rate
table, funds available at midnight UTC two days later, disputes with their fee, manual and automatic
payouts that reconcile, and ``GET /v1/balance`` = Σ ``net`` at every moment.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import pytest
from engine_helpers import call
from engine_helpers import refused as refused_with

from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.payouts import PAYOUT_FIELD

refused = functools.partial(refused_with, status=None)  # these tests check each status themselves

DAY = 86_400
T = int(datetime(2026, 3, 4, 15, 30, tzinfo=timezone.utc).timestamp())  # a Wednesday
MARCH_6 = int(datetime(2026, 3, 6, tzinfo=timezone.utc).timestamp())
MONDAY = int(datetime(2026, 3, 9, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def engine() -> Engine:
    engine = Engine(seed=5, wall=lambda: float(T))
    engine.clocks.set_frozen(T)
    return engine




def pay(engine: Engine, amount: int, currency: str = "usd", card: str = "pm_card_visa") -> dict[str, Any]:
    intent = call(engine, "POST", "/v1/payment_intents",
                  {"amount": amount, "currency": currency, "payment_method": card, "confirm": True})  # fmt: skip
    return call(engine, "GET", f"/v1/charges/{intent['latest_charge']}")


def txn_of(engine: Engine, obj: dict[str, Any]) -> dict[str, Any]:
    return call(engine, "GET", f"/v1/balance_transactions/{obj['balance_transaction']}")


def advance(engine: Engine, moment: int) -> None:
    engine.clocks.set_frozen(moment)
    call(engine, "GET", "/v1/balance")  # a request catches the clock up, as the front does


def balance_totals(engine: Engine) -> dict[str, dict[str, int]]:
    body = call(engine, "GET", "/v1/balance")
    assert body["object"] == "balance"
    return {kind: {e["currency"]: e["amount"] for e in body[kind]} for kind in ("available", "pending")}


def assert_reconciles(engine: Engine) -> None:
    """Σ net per currency = available + pending; each automatic payout = Σ net of what it swept."""
    net: dict[str, int] = defaultdict(int)
    swept: dict[str, int] = defaultdict(int)
    for txn in engine.collection("balance_transaction"):
        net[txn["currency"]] += txn["net"]
        if txn.get(PAYOUT_FIELD) and txn["source"] != txn[PAYOUT_FIELD]:
            swept[txn[PAYOUT_FIELD]] += txn["net"]
    totals = balance_totals(engine)
    for code, amount in net.items():
        assert totals["available"].get(code, 0) + totals["pending"].get(code, 0) == amount
    for payout in engine.collection("payout"):
        if payout["automatic"]:
            assert swept[payout["id"]] == payout["amount"] > 0
            assert txn_of(engine, payout)[PAYOUT_FIELD] == payout["id"]


FEES = [
    # card, currency, amount, USD amount, fee (2.9 % + 30¢, +1.5 % international, +1 % conversion), exchange_rate
    ("pm_card_visa", "usd", 10000, 10000, 290 + 30, None),
    ("pm_card_gb", "usd", 10000, 10000, 440 + 30, None),
    ("pm_card_visa", "eur", 10000, 10800, 421 + 30, 1.08),  # 10800 × 3.9 % = 421.2
    ("pm_card_de", "eur", 10000, 10800, 583 + 30, 1.08),  # 10800 × 5.4 % = 583.2
    ("pm_card_jp", "jpy", 10000, 6700, 362 + 30, 0.67),  # ¥10,000 × 0.0067 = $67.00; 6700 × 5.4 % = 361.8
    ("pm_card_visa", "gbp", 999, 1269, 49 + 30, 1.27),  # 999 × 1.27 = 1268.73; 1269 × 3.9 % = 49.49
]


@pytest.mark.parametrize(("card", "currency", "amount", "usd", "fee", "rate"), FEES)
def test_fees_follow_us_pricing_and_foreign_charges_settle_in_usd(
    engine: Engine, card: str, currency: str, amount: int, usd: int, fee: int, rate: float | None
) -> None:
    charge = pay(engine, amount, currency, card)
    txn = txn_of(engine, charge)
    assert (txn["amount"], txn["currency"], txn["fee"], txn["net"]) == (usd, "usd", fee, usd - fee)
    assert txn["exchange_rate"] == rate
    assert txn["fee_details"] == [{"amount": fee, "application": None, "currency": "usd",
                                   "description": "Stripe processing fees", "type": "stripe_fee"}]  # fmt: skip
    assert (txn["type"], txn["reporting_category"], txn["source"]) == ("charge", "charge", charge["id"])
    assert charge["currency"] == currency and charge["amount"] == amount


def test_funds_are_pending_until_midnight_utc_two_days_later(engine: Engine) -> None:
    charge = pay(engine, 5000)
    txn = txn_of(engine, charge)
    assert (txn["created"], txn["available_on"], txn["status"]) == (T, MARCH_6, "pending")
    assert balance_totals(engine) == {"available": {"usd": 0}, "pending": {"usd": txn["net"]}}
    advance(engine, MARCH_6 - 1)
    assert txn_of(engine, charge)["status"] == "pending"
    advance(engine, MARCH_6)
    assert txn_of(engine, charge)["status"] == "available"
    assert balance_totals(engine) == {"available": {"usd": txn["net"]}, "pending": {"usd": 0}}
    [event] = [e for e in engine.collection("event") if e["type"] == "balance.available"]
    assert event["created"] == MARCH_6
    assert event["data"]["object"]["object"] == "balance"
    assert event["data"]["object"]["available"] == [{"amount": txn["net"], "currency": "usd", "source_types": {"card": txn["net"]}}]
    assert call(engine, "GET", f"/v1/balance/history/{txn['id']}")["id"] == txn["id"]
    assert refused(engine, "GET", "/v1/balance_transactions/txn_missing").status == 404


def test_automatic_payouts_sweep_the_available_balance_every_week_on_monday(engine: Engine) -> None:
    first = pay(engine, 10000)
    pay(engine, 5000, "eur", "pm_card_fr")
    refund = call(engine, "POST", "/v1/refunds", {"charge": first["id"], "amount": 2500})
    advance(engine, T + 3 * DAY)
    pay(engine, 2000)  # Saturday: available on Monday, paid out then
    advance(engine, MONDAY)
    [payout] = engine.collection("payout")
    assert (payout["automatic"], payout["status"], payout["created"]) == (True, "in_transit", MONDAY)
    assert payout["arrival_date"] == MONDAY + 2 * DAY and payout["currency"] == "usd"
    assert balance_totals(engine)["available"] == {"usd": 0}
    assert_reconciles(engine)
    swept = [t for t in engine.collection("balance_transaction") if t.get(PAYOUT_FIELD) == payout["id"]]
    assert refund["balance_transaction"] in {t["id"] for t in swept} and len(swept) == 5
    advance(engine, MONDAY + 2 * DAY)
    assert call(engine, "GET", f"/v1/payouts/{payout['id']}")["status"] == "paid"
    paid = [e for e in engine.collection("event") if e["type"].startswith("payout.")]
    assert [(e["type"], e["created"]) for e in paid] == [("payout.created", MONDAY), ("payout.paid", MONDAY + 2 * DAY)]
    pay(engine, 3000)  # Wednesday the 11th: available on the 13th, paid out on the 16th
    advance(engine, MONDAY + 7 * DAY)
    second = engine.collection("payout")[-1]
    assert second["created"] == MONDAY + 7 * DAY and second["amount"] == 3000 - 117
    assert_reconciles(engine)


def test_a_quiet_week_makes_no_payout_and_the_schedule_goes_on(engine: Engine) -> None:
    advance(engine, MONDAY + 14 * DAY)
    assert engine.collection("payout") == []
    assert [at for at, name in engine.clocks.pending() if name.startswith("automatic payout")] == [MONDAY + 21 * DAY]


def test_the_seed_can_set_the_clock_back_and_still_get_payouts() -> None:
    later = T + 400 * DAY
    engine = Engine(seed=5, wall=lambda: float(later))
    engine.clocks.set_frozen(T)
    pay(engine, 10000)
    advance(engine, MONDAY + 7 * DAY)
    assert [p["created"] for p in engine.collection("payout")] == [MONDAY]
    assert_reconciles(engine)


def test_manual_payouts_are_limited_to_the_available_balance_and_can_be_canceled(engine: Engine) -> None:
    engine.settings.automatic_payouts = False
    pay(engine, 10000)
    before = {kind: len(ids) for kind, ids in engine.store.kinds.items()}
    short = refused(engine, "POST", "/v1/payouts", {"amount": 100, "currency": "usd"})
    assert (short.status, short.code, short.param) == (400, "balance_insufficient", "amount")
    assert {kind: len(ids) for kind, ids in engine.store.kinds.items()} == before
    advance(engine, MARCH_6)
    available = balance_totals(engine)["available"]["usd"]
    assert refused(engine, "POST", "/v1/payouts", {"amount": available + 1, "currency": "usd"}).code == "balance_insufficient"
    payout = call(engine, "POST", "/v1/payouts", {"amount": 4000, "currency": "usd", "metadata": {"why": "rent"}})
    assert (payout["automatic"], payout["status"], payout["metadata"]) == (False, "pending", {"why": "rent"})
    assert txn_of(engine, payout)["amount"] == -4000
    assert balance_totals(engine)["available"]["usd"] == available - 4000
    canceled = call(engine, "POST", f"/v1/payouts/{payout['id']}/cancel")
    assert canceled["status"] == "canceled"
    assert balance_totals(engine)["available"]["usd"] == available
    assert refused(engine, "POST", f"/v1/payouts/{payout['id']}/cancel").status == 400
    assert [e["type"] for e in engine.collection("event") if e["type"].startswith("payout.")] == [
        "payout.created", "payout.canceled"]  # fmt: skip
    advance(engine, MONDAY + 7 * DAY)
    assert len(engine.collection("payout")) == 1  # automatic payouts are off
    assert_reconciles(engine)


def dispute_of(engine: Engine, charge: dict[str, Any]) -> dict[str, Any]:
    [dispute] = [d for d in engine.collection("dispute") if d["charge"] == charge["id"]]
    return dispute


@pytest.mark.parametrize(("text", "status", "net_effect"), [("winning_evidence", "won", -1500),
                                                            ("losing_evidence", "lost", -8000 - 1500)])  # fmt: skip
def test_disputes_take_the_amount_and_fee_and_evidence_decides(engine: Engine, text: str, status: str,
                                                               net_effect: int) -> None:  # fmt: skip
    charge = pay(engine, 8000, card="pm_card_createDispute")
    assert charge["status"] == "succeeded" and engine.collection("dispute") == []
    advance(engine, T + 60)
    dispute = dispute_of(engine, charge)
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == ("needs_response", "fraudulent", 8000)
    assert call(engine, "GET", f"/v1/charges/{charge['id']}")["disputed"] is True
    [withdrawal] = dispute["balance_transactions"]
    assert (withdrawal["type"], withdrawal["reporting_category"]) == ("adjustment", "dispute")
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"]) == (-8000, 1500, -9500)
    assert withdrawal["fee_details"][0]["description"] == "Dispute fee"
    blocked = refused(engine, "POST", "/v1/refunds", {"charge": charge["id"]})
    assert blocked.code == "charge_disputed"
    dispute = call(engine, "POST", f"/v1/disputes/{dispute['id']}", {"evidence": {"uncategorized_text": text}})
    assert dispute["status"] == "under_review" and dispute["evidence_details"]["submission_count"] == 1
    advance(engine, T + 120)
    dispute = call(engine, "GET", f"/v1/disputes/{dispute['id']}")
    assert dispute["status"] == status
    charge_net = txn_of(engine, charge)["net"]
    dispute_net = sum(t["net"] for t in engine.collection("balance_transaction") if t["source"] == dispute["id"])
    assert dispute_net == net_effect
    assert sum(t["net"] for t in engine.collection("balance_transaction")) == charge_net + net_effect
    types = [e["type"] for e in engine.collection("event") if e["type"].startswith("charge.dispute.")]
    expected = ["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated"]
    expected += ["charge.dispute.funds_reinstated"] if status == "won" else []
    assert types == [*expected, "charge.dispute.closed"]
    assert_reconciles(engine)


def test_closing_a_dispute_loses_it_and_closed_disputes_cannot_change(engine: Engine) -> None:
    charge = pay(engine, 3000, card="pm_card_createDisputeProductNotReceived")
    advance(engine, T + 60)
    dispute = dispute_of(engine, charge)
    assert dispute["reason"] == "product_not_received"
    unknown = refused(engine, "POST", f"/v1/disputes/{dispute['id']}", {"evidence": {"favourite_colour": "red"}})
    assert (unknown.status, unknown.code) == (400, "parameter_unknown")
    closed = call(engine, "POST", f"/v1/disputes/{dispute['id']}/close")
    assert closed["status"] == "lost"
    assert refused(engine, "POST", f"/v1/disputes/{dispute['id']}/close").status == 400
    assert refused(engine, "POST", f"/v1/disputes/{dispute['id']}", {"evidence": {"product_description": "x"}}).status == 400
    assert_reconciles(engine)


def test_every_timestamp_is_on_the_clock(engine: Engine) -> None:
    charge = pay(engine, 10000, "eur", "pm_card_createDispute")
    call(engine, "POST", "/v1/refunds", {"charge": pay(engine, 4000)["id"], "amount": 1000})
    moments = [T, T + 60, MARCH_6, MONDAY, MONDAY + 2 * DAY]
    for moment in moments[1:]:
        advance(engine, moment)
    assert dispute_of(engine, charge)["created"] == T + 2
    allowed = set(moments) | {T + 2}
    for kind in ("charge", "payment_intent", "payment_method", "refund", "dispute", "balance_transaction", "payout"):
        for obj in engine.collection(kind):
            assert obj["created"] in allowed, (kind, obj["created"])
    assert {e["created"] for e in engine.collection("event")} <= allowed
    assert_reconciles(engine)


def test_money_on_a_deleted_test_clock_still_settles(engine: Engine) -> None:
    # a test clock as the clock core keeps it (the test_clocks resource drives these same calls)
    clock = engine.create("test_helpers.test_clock", "clock_", frozen_time=T, status="ready")
    engine.clocks.test_clocks[clock["id"]] = clock
    buyer = call(engine, "POST", "/v1/customers", {"test_clock": clock["id"]})
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 1000, "currency": "usd", "customer": buyer["id"],
                                                          "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip
    charge = call(engine, "GET", f"/v1/charges/{intent['latest_charge']}")
    assert txn_of(engine, charge)["status"] == "pending"
    engine.clocks.run_until(clock["id"], MARCH_6)
    clock["frozen_time"] = MARCH_6
    assert txn_of(engine, charge)["status"] == "available"  # settled on its own clock
    [event] = [e for e in engine.collection("event") if e["type"] == "balance.available"]
    assert event["created"] == MARCH_6
    assert balance_totals(engine)["available"] == {"usd": 1000 - 59}
    second = call(engine, "POST", "/v1/payment_intents", {"amount": 2000, "currency": "usd", "customer": buyer["id"],
                                                          "payment_method": "pm_card_visa", "confirm": True})  # fmt: skip
    engine.clocks.drop(clock["id"])
    advance(engine, T + 3 * DAY)  # the sandbox clock now reads the deleted clock's money (due March 8)
    assert txn_of(engine, call(engine, "GET", f"/v1/charges/{second['latest_charge']}"))["status"] == "pending"
    advance(engine, MONDAY)
    assert_reconciles(engine)
    assert [p["amount"] for p in engine.collection("payout")] == [(1000 - 59) + (2000 - 88)]
