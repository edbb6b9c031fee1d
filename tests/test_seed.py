"""The seeded sandbox business: deterministic, spread over 18 months, and shaped for finance analysis.

Each test module run seeds two fresh sandboxes with the same seed and the same "now" (so nothing
depends on the wall clock) and reads the business back through the Stripe API, as a notebook would.
Also: the ``/_sandbox/backdate`` control endpoint's ``fields`` overrides.
"""

from __future__ import annotations

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


def _business(server: LocalStripe) -> dict[str, list[dict[str, Any]]]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key}"}, timeout=60) as api:
        return {
            "customers": _all(api, "/v1/customers"),
            "subscriptions": _all(api, "/v1/subscriptions", status="all"),
            "balance_transactions": _all(api, "/v1/balance_transactions"),
            "plans": _all(api, "/v1/plans"),
            "prices": _all(api, "/v1/prices"),
            "products": _all(api, "/v1/products"),
        }


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Any, dict[str, list[dict[str, Any]]]]]:
    with LocalStripe() as server:
        report = seed(server.url, server.key, now=NOW, control_headers=server.control_headers)
        yield report, _business(server)


def _customer_view(business: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """Per-customer facts that do not depend on generated ids, keyed by the seed index."""
    subs_by_customer: dict[str, list[tuple[Any, ...]]] = {}
    for sub in business["subscriptions"]:
        subs_by_customer.setdefault(sub["customer"], []).append(
            (sub["items"]["data"][0]["price"]["nickname"], sub["status"], sub["created"], sub["canceled_at"],
             sub["ended_at"])
        )
    return sorted(
        (
            int(c["metadata"]["seed"]), c["name"], c["email"], c["created"], c["description"],
            c["metadata"]["segment"], (c.get("address") or {}).get("country"),
            tuple(sorted(subs_by_customer.get(c["id"], []))),
        )
        for c in business["customers"]
    )


def test_same_seed_same_business_on_two_fresh_servers(seeded: Any) -> None:
    report, first = seeded
    with LocalStripe() as other:
        again = seed(other.url, other.key, now=NOW, control_headers=other.control_headers)
        second = _business(other)
    assert str(again).rsplit(" in ", 1)[0] == str(report).rsplit(" in ", 1)[0]  # same counts
    assert _customer_view(second) == _customer_view(first)
    def money(business: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
        return sorted((t["type"], t["currency"], t["amount"], t["created"]) for t in business["balance_transactions"])

    assert money(second) == money(first)
    assert report.seconds < 60  # ~10 s on two noisy cores; the notebooks wait for it


def test_two_hundred_customers_over_eighteen_months(seeded: Any) -> None:
    report, business = seeded
    customers = business["customers"]
    assert report.customers == len(customers) == 200
    created = [c["created"] for c in customers]
    assert all(HISTORY_START <= t < NOW for t in created)
    months = Counter((t - HISTORY_START) // (30 * DAY) for t in created)
    assert len(months) == MONTHS_OF_HISTORY and min(months.values()) >= 3  # every month has signups
    assert created == sorted(created, reverse=True)  # lists come newest first by backdated time
    assert len({c["email"] for c in customers}) == 200


def test_products_and_monthly_and_yearly_prices(seeded: Any) -> None:
    _, business = seeded
    assert sorted(p["name"] for p in business["products"]) == ["Enterprise", "Pro", "Starter"]
    prices = business["prices"]
    assert Counter(p["recurring"]["interval"] for p in prices) == {"month": 3, "year": 3}
    assert {p["lookup_key"] for p in prices} == {f"{t}_{i}ly" for t in ("starter", "pro", "enterprise") for i in ("month", "year")}  # fmt: skip
    plans = business["plans"]  # each recurring price is also its plan, same id and amount
    assert {p["id"]: p["amount"] for p in plans} == {p["id"]: p["unit_amount"] for p in prices}
    assert Counter(p["interval"] for p in plans) == {"month": 3, "year": 3}
    by_product = {p["product"]: {} for p in plans}
    for plan in plans:
        by_product[plan["product"]][plan["interval"]] = plan["amount"]
    assert all(v["year"] == 10 * v["month"] for v in by_product.values())


def test_canceled_subscriptions_have_past_cancellation_times(seeded: Any) -> None:
    report, business = seeded
    subs = business["subscriptions"]
    canceled = [s for s in subs if s["status"] == "canceled"]
    assert report.subscriptions == len(subs) and report.canceled == len(canceled)
    assert 0.1 * len(subs) < len(canceled) < 0.35 * len(subs)
    for sub in canceled:
        assert sub["created"] < sub["canceled_at"] < NOW
        assert sub["ended_at"] == sub["canceled_at"]
        assert sub["start_date"] == sub["created"]
        item = sub["items"]["data"][0]  # the last billing period is the one the cancellation fell in
        assert item["current_period_start"] < sub["canceled_at"] <= item["current_period_end"]
        assert item["current_period_start"] >= sub["start_date"]
    churn_months = {(s["canceled_at"] - HISTORY_START) // (30 * DAY) for s in canceled}
    assert len(churn_months) >= 8  # spread over the history, not all "today"
    assert all(s["canceled_at"] is None for s in subs if s["status"] != "canceled")
    assert all(s["currency"] == "usd" and "current_period_start" not in s for s in subs)


def test_payments_refunds_and_currencies(seeded: Any) -> None:
    report, business = seeded
    txns = business["balance_transactions"]
    assert Counter(t["type"] for t in txns)["refund"] == report.refunds > 0
    charges = [t for t in txns if t["type"] == "charge"]
    assert len(charges) >= report.payments  # payments plus the subscriptions' first invoices
    assert {"usd", "eur", "gbp", "jpy"} <= {t["currency"] for t in charges}
    jpy = [t["amount"] for t in charges if t["currency"] == "jpy"]
    assert min(jpy) >= 1_000  # zero-decimal: whole yen, not "cents"
    assert all(HISTORY_START <= t["created"] < NOW for t in txns)
    months = {(t["created"] - HISTORY_START) // (30 * DAY) for t in charges}
    assert len(months) >= MONTHS_OF_HISTORY - 1


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
