"""The seeded sandbox business: deterministic, spread over 18 months, and shaped for finance analysis.

Each test module run seeds two fresh sandboxes with the same seed and the same "now" (so nothing
depends on the wall clock) and reads the business back through the Stripe API, as a notebook would.
Also: the ``/_sandbox/backdate`` control endpoint's ``fields`` overrides.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import DAY, MONTHS_OF_HISTORY, seed

pytestmark = pytest.mark.slow

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z: a fixed "today" for the seeded history
HISTORY_START = NOW - MONTHS_OF_HISTORY * 30 * DAY


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


def _business(server: LocalStripe) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key}"}, timeout=60) as api:
        return {
            "customers": _all(api, "/v1/customers"),
            "subscriptions": _all(api, "/v1/subscriptions", status="all"),
            "balance_transactions": _all(api, "/v1/balance_transactions"),
            "plans": _all(api, "/v1/plans"),
            "prices": _all(api, "/v1/prices"),
            "products": _all(api, "/v1/products"),
            "invoices": _all(api, "/v1/invoices"),
            "payouts": _all(api, "/v1/payouts"),
            "balance": api.get("/v1/balance").json(),
        }


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Any, dict[str, Any]]]:
    with LocalStripe() as server:
        report = seed(server.url, server.key, now=NOW, control_headers=server.control_headers)
        yield report, _business(server)


def _plan_of(sub: dict[str, Any]) -> dict[str, Any]:
    return sub["items"]["data"][0]["plan"]  # the price's plan (same id): nickname, interval


def _customer_view(business: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Per-customer facts that do not depend on generated ids, keyed by the seed index."""
    subs_by_customer: dict[str, list[tuple[Any, ...]]] = {}
    for sub in business["subscriptions"]:
        subs_by_customer.setdefault(sub["customer"], []).append(
            (_plan_of(sub)["nickname"], sub["status"], sub["created"], sub["canceled_at"], sub["ended_at"],
             sub["trial_start"], sub["trial_end"])
        )
    invoices_by_customer: dict[str, list[tuple[Any, ...]]] = {}
    for invoice in business["invoices"]:
        invoices_by_customer.setdefault(invoice["customer"], []).append(
            (invoice["created"], invoice["status"], invoice["total"], invoice["currency"])
        )
    return sorted(
        (
            int(c["metadata"]["seed"]), c["name"], c["email"], c["created"], c["description"],
            c["metadata"]["segment"], (c.get("address") or {}).get("country"),
            tuple(sorted(subs_by_customer.get(c["id"], []))), tuple(sorted(invoices_by_customer.get(c["id"], []))),
        )
        for c in business["customers"]
    )


def _money(business: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((t["type"], t["currency"], t["amount"], t["fee"], t["net"], t["created"])
                  for t in business["balance_transactions"])  # fmt: skip


def test_same_seed_same_business_on_two_fresh_servers(seeded: Any) -> None:
    report, first = seeded
    with LocalStripe() as other:
        again = seed(other.url, other.key, now=NOW, control_headers=other.control_headers)
        second = _business(other)
    assert str(again).rsplit(" in ", 1)[0] == str(report).rsplit(" in ", 1)[0]  # same counts
    assert _customer_view(second) == _customer_view(first)
    assert _money(second) == _money(first)
    assert report.seconds < 120  # ~10 s of CPU; generous for two noisy cores


def test_customers_over_eighteen_months(seeded: Any) -> None:
    report, business = seeded
    customers = business["customers"]
    assert report.customers == len(customers) == 100
    created = [c["created"] for c in customers]
    assert all(HISTORY_START <= t < NOW for t in created)
    months = Counter((t - HISTORY_START) // (30 * DAY) for t in created)
    assert len(months) >= MONTHS_OF_HISTORY - 1  # signups all along the history
    assert created == sorted(created, reverse=True)  # lists come newest first by backdated time
    assert len({c["email"] for c in customers}) == 100


def test_four_products_with_monthly_and_yearly_prices_in_four_currencies(seeded: Any) -> None:
    _, business = seeded
    assert sorted(p["name"] for p in business["products"]) == ["Enterprise", "Pro", "Starter", "Team"]
    plans = business["plans"]
    assert Counter((p["interval"], p["currency"]) for p in plans) == {
        (interval, currency): 4 for interval in ("month", "year") for currency in ("usd", "eur", "gbp", "jpy")
    }
    by_product: dict[tuple[str, str], dict[str, int]] = {}
    for plan in plans:
        by_product.setdefault((plan["product"], plan["currency"]), {})[plan["interval"]] = plan["amount"]
    assert all(v["year"] == 10 * v["month"] for v in by_product.values())
    assert min(p["amount"] for p in plans if p["currency"] == "jpy") >= 1_000  # whole yen
    prices = business["prices"]  # each recurring price is also its plan, same id and amount
    assert {p["id"]: p["amount"] for p in plans} == {p["id"]: p["unit_amount"] for p in prices}
    assert {p["lookup_key"] for p in prices} == {
        f"{tier}_{interval}ly_{currency}" for tier in ("starter", "pro", "team", "enterprise")
        for interval in ("month", "year") for currency in ("usd", "eur", "gbp", "jpy")
    }


def test_subscriptions_trial_change_and_churn_over_time(seeded: Any) -> None:
    report, business = seeded
    subs = business["subscriptions"]
    assert report.subscriptions == len(subs)
    canceled = [s for s in subs if s["status"] == "canceled"]
    assert report.canceled == len(canceled) and 0.1 * len(subs) < len(canceled) < 0.5 * len(subs)
    for sub in canceled:
        assert sub["created"] <= sub["canceled_at"] < NOW
        assert sub["ended_at"] == sub["canceled_at"]
    churn_months = {(s["canceled_at"] - HISTORY_START) // (30 * DAY) for s in canceled}
    assert len(churn_months) >= 8  # spread over the history, not all "today"
    assert all(s["canceled_at"] is None for s in subs if s["status"] != "canceled")
    trials = [s for s in subs if s["trial_start"] is not None]
    assert len(trials) == report.trials > 0
    assert all(s["trial_end"] - s["trial_start"] == 14 * DAY and s["trial_start"] == s["created"] for s in trials)
    assert report.upgrades > 0 and report.downgrades > 0
    statuses = Counter(s["status"] for s in subs)
    assert statuses["active"] > statuses["canceled"]


def test_an_invoice_per_billing_period_in_every_status(seeded: Any) -> None:
    report, business = seeded
    invoices = business["invoices"]
    statuses = Counter(i["status"] for i in invoices)
    assert statuses == {status: n for status, n in report.invoices.items() if n}
    assert set(statuses) == {"paid", "open", "void", "uncollectible"}
    assert all(HISTORY_START - 31 * DAY <= i["created"] < NOW for i in invoices)
    assert len({(i["created"] - HISTORY_START) // (30 * DAY) for i in invoices}) >= MONTHS_OF_HISTORY - 1
    assert all(i["lines"]["data"] and i["total"] > 0 for i in invoices)
    subs = {s["id"]: s for s in business["subscriptions"]}
    for sub_id, sub in subs.items():  # monthly subscriptions: one invoice per month they ran
        item = sub["items"]["data"][0]
        assert item["price"]["id"] == item["plan"]["id"]
        if sub["status"] != "canceled":  # the item's period has advanced to the month holding "now"
            assert item["current_period_start"] <= time.time() < item["current_period_end"]
        mine = sorted(i["created"] for i in invoices if i["subscription"] == sub_id)
        if _plan_of(sub)["interval"] != "month" or not mine:
            continue
        gaps = [b - a for a, b in zip(mine, mine[1:])]
        assert all(28 * DAY <= gap <= 31 * DAY for gap in gaps), (sub_id, gaps)


def test_payments_fees_refunds_and_currencies(seeded: Any) -> None:
    report, business = seeded
    txns = business["balance_transactions"]
    types = Counter(t["type"] for t in txns)
    assert types["refund"] == report.refunds > report.partial_refunds > 0
    assert types["payout"] == report.payouts == len(business["payouts"]) > 0
    charges = [t for t in txns if t["type"] == "charge"]
    assert len(charges) == report.payments + report.invoices["paid"]
    assert {t["currency"] for t in charges} == {"usd", "eur", "gbp", "jpy"}
    assert all(t["fee"] > 0 and t["net"] == t["amount"] - t["fee"] for t in charges)
    assert all(t["fee"] == 0 and t["net"] == t["amount"] < 0 for t in txns if t["type"] in ("refund", "payout"))
    assert all(HISTORY_START - 31 * DAY <= t["created"] < NOW for t in txns)
    months = {(t["created"] - HISTORY_START) // (30 * DAY) for t in charges}
    assert len(months) >= MONTHS_OF_HISTORY - 1


def test_payouts_sweep_what_was_available_and_the_balance_reconciles(seeded: Any) -> None:
    _, business = seeded
    txns = business["balance_transactions"]
    for payout in business["payouts"]:
        at = payout["created"]
        available = sum(t["net"] for t in txns if t["currency"] == payout["currency"]
                        and t["created"] <= at and t["available_on"] <= at)  # fmt: skip
        assert available == 0, payout  # everything available at that moment was paid out
        assert payout["status"] == "paid" and payout["arrival_date"] > at
    net: Counter[str] = Counter()
    for txn in txns:
        net[txn["currency"]] += txn["net"]
    balance = business["balance"]
    totals: Counter[str] = Counter()
    for funds in balance["available"] + balance["pending"]:
        totals[funds["currency"]] += funds["amount"]
    assert totals == net
    assert sum(f["amount"] for f in balance["pending"]) == 0  # a year after "now": all settled


def test_backdate_fields_override_timestamps_in_every_response(stripe_server: LocalStripe) -> None:
    control = httpx.Client(base_url=stripe_server.url, timeout=30, headers=stripe_server.control_headers)
    api = httpx.Client(base_url=stripe_server.url, headers={"Authorization": f"Bearer {stripe_server.key}"})
    with control, api:
        card = {"payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa"}
        customer = api.post("/v1/customers", data=card).json()["id"]
        product = api.post("/v1/products", data={"name": "P"}).json()["id"]
        plan_params = {"product": product, "amount": 500, "currency": "usd", "interval": "month"}
        plan = api.post("/v1/plans", data=plan_params).json()["id"]
        sub = api.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": plan}).json()["id"]
        api.delete(f"/v1/subscriptions/{sub}")
        reply = control.post("/_sandbox/backdate", json={
            "ids": {customer: 1_600_000_000},
            "fields": {sub: {"created": 1_650_000_000, "canceled_at": 1_660_000_000, "ended_at": 1_660_000_001,
                             "available_on": 1}},  # not a subscription field: ignored
        })
        assert reply.status_code == 200 and reply.json() == {"backdated": 2}
        one = api.get(f"/v1/subscriptions/{sub}").json()
        assert (one["created"], one["canceled_at"], one["ended_at"]) == (1_650_000_000, 1_660_000_000, 1_660_000_001)
        assert "available_on" not in one
        listed = api.get("/v1/subscriptions", params={"status": "canceled", "created[lt]": 1_700_000_000}).json()
        assert [(s["id"], s["canceled_at"]) for s in listed["data"]] == [(sub, 1_660_000_000)]
        assert api.get(f"/v1/customers/{customer}").json()["created"] == 1_600_000_000

        bad_field = control.post("/_sandbox/backdate", json={"fields": {sub: {"amount": 1}}})
        assert bad_field.status_code == 400 and "cannot backdate field 'amount'" in bad_field.text
        bad_value = control.post("/_sandbox/backdate", json={"fields": {sub: {"ended_at": "soon"}}})
        assert bad_value.status_code == 400 and "epoch seconds" in bad_value.text
        assert api.get(f"/v1/subscriptions/{sub}").json()["ended_at"] == 1_660_000_001  # nothing half-applied

        stripe_server.reset()
        assert control.post("/_sandbox/backdate", json={"fields": {}}).json() == {"backdated": 0}
