"""The seeded business as a whole, checked against Stripe's rules, each property over every object.

The seed is a script of intentions (signups, plan changes, cancellations, failing cards, one-off
payments, refunds, disputes); the engine made everything else by advancing its clock. One module-scoped
sandbox is seeded with a fixed "now" and unlimited event retention (so the whole history's events can be
read back), and the business is read through the Stripe API, as a notebook would.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import DAY, MONTHS_OF_HISTORY, SeedReport

pytestmark = pytest.mark.slow

NOW = 1_748_736_000  # 2025-06-01T00:00:00Z: a fixed "today", well before the wall clock (see the timestamp test)
HISTORY_START = NOW - MONTHS_OF_HISTORY * 30 * DAY
Business = dict[str, Any]


def _all(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every object of a list endpoint (cursor walk, newest first)."""
    objects: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 100, **params}
    while True:
        page = api.get(path, params=query)
        page.raise_for_status()
        body = page.json()
        objects += body["data"]
        if not body["has_more"]:
            return objects
        query["starting_after"] = body["data"][-1]["id"]


def _business(server: LocalStripe) -> Business:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key}"}, timeout=60,
                      trust_env=False) as api:  # fmt: skip
        invoices = _all(api, "/v1/invoices")
        return {
            "customers": _all(api, "/v1/customers"),
            "subscriptions": _all(api, "/v1/subscriptions", status="all", **{"expand[]": "data.items.data.price"}),
            "balance_transactions": _all(api, "/v1/balance_transactions"),
            "plans": _all(api, "/v1/plans"),
            "prices": _all(api, "/v1/prices"),
            "products": _all(api, "/v1/products"),
            "invoices": invoices,
            "lines": {i["id"]: _all(api, f"/v1/invoices/{i['id']}/lines") for i in invoices},
            "invoice_payments": _all(api, "/v1/invoice_payments"),
            "charges": _all(api, "/v1/charges"),
            "refunds": _all(api, "/v1/refunds"),
            "disputes": _all(api, "/v1/disputes"),
            "payouts": _all(api, "/v1/payouts"),
            "swept": {p["id"]: _all(api, "/v1/balance_transactions", payout=p["id"])
                      for p in _all(api, "/v1/payouts")},  # fmt: skip
            "events": _all(api, "/v1/events"),
            "balance": api.get("/v1/balance").json(),
        }


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[SeedReport, Business]]:
    with LocalStripe() as server:
        server.settings(event_retention_days=None)  # read the whole history's events back
        report = server.seed(now=NOW)
        yield report, _business(server)


def _month(t: int) -> int:
    return (t - HISTORY_START) // (30 * DAY)


def test_same_seed_same_business_on_a_fresh_server(seeded: tuple[SeedReport, Business]) -> None:
    report, first = seeded
    with LocalStripe() as other:
        other.settings(event_retention_days=None)
        again = other.seed(now=NOW)
        second = _business(other)
    assert str(again).rsplit(" in ", 1)[0] == str(report).rsplit(" in ", 1)[0]  # same counts
    for name in ("customers", "subscriptions", "invoices", "balance_transactions", "events", "payouts"):
        assert second[name] == first[name], name  # same ids, same timestamps, same amounts


def test_customers_sign_up_over_eighteen_months(seeded: tuple[SeedReport, Business]) -> None:
    report, business = seeded
    customers = business["customers"]
    assert report.customers == len(customers) == 100
    created = [c["created"] for c in customers]
    assert all(HISTORY_START <= t < NOW for t in created)
    assert len(Counter(_month(t) for t in created)) >= MONTHS_OF_HISTORY - 1
    assert created == sorted(created, reverse=True)
    assert len({c["email"] for c in customers}) == 100


def test_four_products_with_monthly_and_yearly_prices_in_four_currencies(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    assert sorted(p["name"] for p in business["products"]) == ["Enterprise", "Pro", "Starter", "Team"]
    plans = business["plans"]
    assert Counter((p["interval"], p["currency"]) for p in plans) == {
        (interval, currency): 4 for interval in ("month", "year") for currency in ("usd", "eur", "gbp", "jpy")
    }
    assert {p["id"]: p["amount"] for p in plans} == {p["id"]: p["unit_amount"] for p in business["prices"]}


def test_invoices_follow_the_billing_cycle(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    invoices = business["invoices"]
    reasons = Counter(i["billing_reason"] for i in invoices)
    assert set(reasons) <= {"subscription_create", "subscription_cycle", "subscription_update", "manual"}
    assert reasons["subscription_create"] > 0 and reasons["subscription_cycle"] > reasons["subscription_create"]
    assert len({_month(i["created"]) for i in invoices}) >= MONTHS_OF_HISTORY - 1
    for invoice in invoices:
        assert invoice["billing_reason"] is not None, invoice["id"]
        moments = invoice["status_transitions"]
        if invoice["status"] != "draft":
            assert invoice["created"] <= moments["finalized_at"] <= NOW, invoice["id"]
            assert invoice["effective_at"] == moments["finalized_at"]
        if invoice["status"] == "paid":
            assert moments["finalized_at"] <= moments["paid_at"] <= NOW, invoice["id"]
            assert invoice["amount_paid"] == invoice["amount_due"] and invoice["amount_remaining"] == 0
        for line in business["lines"][invoice["id"]]:
            period = line["period"]
            assert period["end"] >= period["start"], line["id"]
            details = (line.get("parent") or {}).get("subscription_item_details") or {}
            if invoice["billing_reason"] == "subscription_cycle" and details and not details.get("proration"):
                assert period["start"] == invoice["created"], (invoice["id"], line["id"])  # the coming period


def test_invoice_numbers_are_unique_and_sequential_per_customer(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    numbered = [i for i in business["invoices"] if i["number"] is not None]
    assert len({i["number"] for i in numbered}) == len(numbered)
    by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in numbered:
        by_customer[invoice["customer"]].append(invoice)
    prefixes = {c["id"]: c["invoice_prefix"] for c in business["customers"]}
    sequences = {c["id"]: c["next_invoice_sequence"] for c in business["customers"]}
    for customer, mine in by_customer.items():
        mine.sort(key=lambda i: (i["status_transitions"]["finalized_at"], i["number"]))
        assert [i["number"] for i in mine] == [f"{prefixes[customer]}-{n:04d}" for n in range(1, len(mine) + 1)]
        assert sequences[customer] == len(mine) + 1
        assert all(re.fullmatch(r"[A-Z0-9]{3,12}-\d{4}", i["number"]) for i in mine)


def test_trials_start_with_a_zero_invoice(seeded: tuple[SeedReport, Business]) -> None:
    report, business = seeded
    trials = [s for s in business["subscriptions"] if s["trial_start"] is not None]
    assert len(trials) == report.trials > 0
    firsts = {}
    for invoice in sorted(business["invoices"], key=lambda i: i["created"]):
        sub = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        firsts.setdefault(sub, invoice)
    for sub in trials:
        assert sub["trial_end"] - sub["trial_start"] == 14 * DAY
        first = firsts[sub["id"]]
        assert first["billing_reason"] == "subscription_create" and first["total"] == 0


def test_dunning_past_due_and_involuntary_churn(seeded: tuple[SeedReport, Business]) -> None:
    report, business = seeded
    subs = business["subscriptions"]
    invoices = {i["id"]: i for i in business["invoices"]}
    reasons = Counter(s["cancellation_details"]["reason"] for s in subs if s["status"] == "canceled")
    assert reasons["payment_failed"] > 0, reasons  # involuntary churn exists
    assert reasons["cancellation_requested"] > 0
    assert report.failing_cards > 0
    for sub in subs:
        latest = invoices.get(sub["latest_invoice"]) if sub["latest_invoice"] else None
        if latest is not None and latest["status"] == "open" and latest["attempted"]:
            assert sub["status"] in ("past_due", "unpaid"), sub["id"]
        if sub["status"] == "canceled":
            assert sub["created"] <= sub["canceled_at"] <= NOW and sub["ended_at"] is not None
            if sub["cancellation_details"]["reason"] == "payment_failed":
                assert latest is not None and latest["status"] == "uncollectible", sub["id"]
    past_due = [s for s in subs if s["status"] == "past_due"]
    for sub in past_due:
        latest = invoices[sub["latest_invoice"]]
        assert latest["status"] == "open" and latest["attempt_count"] >= 1
        assert latest["next_payment_attempt"] is None or latest["next_payment_attempt"] > NOW - 7 * DAY


def test_every_plan_change_is_prorated_and_announced(seeded: tuple[SeedReport, Business]) -> None:
    report, business = seeded
    def prices(items: Any) -> list[Any]:
        return [(item.get("price") or {}).get("id") for item in (items or {}).get("data") or []]

    changes = [e for e in business["events"] if e["type"] == "customer.subscription.updated"
               and "items" in (e["data"].get("previous_attributes") or {})
               and prices(e["data"]["previous_attributes"]["items"]) != prices(e["data"]["object"]["items"])]  # fmt: skip
    assert len(changes) == report.upgrades + report.downgrades > 0  # renewals move periods, not prices
    proration_lines = [
        line for lines in business["lines"].values() for line in lines
        if ((line.get("parent") or {}).get("subscription_item_details") or {}).get("proration")
    ]
    assert proration_lines, "no proration line on any invoice"
    assert any(line["amount"] < 0 for line in proration_lines) and any(line["amount"] > 0 for line in proration_lines)


def _timestamps(value: Any, key: str = "") -> Iterator[tuple[str, int]]:
    """Every epoch-seconds value in a JSON tree (the seeded amounts are far below 10**9)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _timestamps(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item, key)
    elif isinstance(value, int) and not isinstance(value, bool) and 10**9 <= value < 3 * 10**9:
        yield key, value


def test_every_timestamp_is_clock_time(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    future = NOW + 370 * DAY  # a yearly period's end is the furthest ahead anything may point
    for name, objects in business.items():
        # an invoice.upcoming event previews the renewal a week ahead: its invoice is created then
        upcoming = [o["data"]["object"] for o in objects if name == "events" and o["type"] == "invoice.upcoming"]
        for key, moment in _timestamps(upcoming):
            assert moment <= future, (name, key, moment)
        for key, moment in _timestamps([o for o in objects if not (name == "events" and o["type"] == "invoice.upcoming")]):
            # nothing from the wall clock (December 2026 when written: far past NOW and any period)
            assert HISTORY_START - 31 * DAY <= moment <= future, (name, key, moment)
            if key in ("created", "paid_at", "finalized_at", "canceled_at", "ended_at", "voided_at",
                       "marked_uncollectible_at", "start_date", "effective_at"):  # fmt: skip
                assert moment <= NOW, (name, key, moment)


def test_events_are_the_history(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    events = business["events"]
    types = Counter(e["type"] for e in events)
    for needed in ("customer.created", "customer.subscription.created", "customer.subscription.updated",
                   "customer.subscription.deleted", "invoice.created", "invoice.finalized", "invoice.paid",
                   "invoice.payment_failed", "charge.succeeded", "charge.failed", "charge.refunded",
                   "payout.created", "payout.paid", "charge.dispute.created"):  # fmt: skip
        assert types[needed] > 0, needed
    assert len({_month(e["created"]) for e in events}) >= MONTHS_OF_HISTORY - 1
    assert all(e["created"] <= NOW for e in events)
    known = {o["id"]: o for name in ("customers", "subscriptions", "invoices", "charges", "payouts")
             for o in business[name]}  # fmt: skip
    for event in events:
        obj = event["data"]["object"]
        if obj.get("id") in known and event["type"].endswith(".created"):
            assert obj.get("created", event["created"]) == known[obj["id"]].get("created", obj.get("created"))
            assert event["created"] >= known[obj["id"]].get("created", 0)
        if event["type"].endswith(".updated"):
            assert event["data"]["previous_attributes"], event["id"]


def test_charges_refunds_and_disputes(seeded: tuple[SeedReport, Business]) -> None:
    report, business = seeded
    charges = business["charges"]
    failed = [c for c in charges if c["status"] == "failed"]
    assert failed and all(not c["captured"] and c["amount_captured"] == 0 for c in failed)
    assert all(c["payment_method_details"]["card"]["last4"] for c in charges)
    assert len(business["refunds"]) == report.refunds > report.partial_refunds > 0
    for charge in charges:
        assert charge["amount_refunded"] <= charge["amount"]
    assert len(business["disputes"]) == report.disputes > 0
    assert {d["status"] for d in business["disputes"]} <= {"won", "lost", "needs_response", "under_review"}
    txns = Counter(t["reporting_category"] for t in business["balance_transactions"])
    assert txns["dispute"] > 0


def test_payouts_are_automatic_and_reconcile(seeded: tuple[SeedReport, Business]) -> None:
    _, business = seeded
    payouts = business["payouts"]
    assert payouts and all(p["automatic"] for p in payouts)
    for payout in payouts:
        swept = [t for t in business["swept"][payout["id"]] if t["type"] != "payout"]
        assert sum(t["net"] for t in swept) == payout["amount"], payout["id"]
    net: Counter[str] = Counter()
    for txn in business["balance_transactions"]:
        net[txn["currency"]] += txn["net"]
    totals: Counter[str] = Counter()
    for funds in business["balance"]["available"] + business["balance"]["pending"]:
        totals[funds["currency"]] += funds["amount"]
    assert +totals == +net
    assert {t["currency"] for t in business["balance_transactions"]} == {"usd"}  # a US account settles in USD
    converted = [t for t in business["balance_transactions"] if t["exchange_rate"] is not None]
    assert converted  # EUR, GBP and JPY charges converted at a rate
