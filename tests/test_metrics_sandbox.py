"""The metrics end to end over real HTTP: subscriptions made through the sandbox's API, MRR fetched by the
Session and by the magics, compared with MRR computed here from the raw API JSON (no paragon_magic code)."""

from __future__ import annotations

import time
from collections import defaultdict
from fractions import Fraction
from typing import Any

import httpx
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from metrics_raw import changes, mrr_at, mrr_now, per_currency, raw_business
from paragon_magic.errors import UsageError
from paragon_magic.session import Session

MONTHS = {"month": Fraction(1), "year": Fraction(12), "week": Fraction(12, 52), "day": Fraction(12, 365)}


def raw_mrr(server: Any) -> dict[tuple[str, str], int]:
    """(customer, currency) -> MRR from GET /v1/subscriptions, by the glossary, computed independently."""
    found: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    params: dict[str, Any] = {"status": "all", "limit": 100}
    while True:
        page = httpx.get(server.url + "/v1/subscriptions", params=params, auth=(server.key, ""),
                         headers={"Stripe-Version": "2026-10-28.endive"}).raise_for_status().json()
        for sub in page["data"]:
            if sub["status"] not in ("active", "past_due"):
                continue
            for item in sub["items"]["data"]:
                price = item["price"]
                recurring = price["recurring"]
                if recurring["usage_type"] == "metered":
                    continue
                months = MONTHS[recurring["interval"]] * recurring["interval_count"]
                found[(sub["customer"], sub["currency"])] += Fraction(price["unit_amount"] * item["quantity"], months)
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    return {key: int((value + Fraction(1, 2)) // 1) for key, value in found.items() if value > 0}


@pytest.fixture
def business(session: Session, stripe_server: Any) -> Session:
    """Subscriptions made two days ago on the sandbox clock; one of them canceled a day later (so it is new
    and churned in the last 30 days, whatever second the test runs at)."""
    now = int(time.time())
    stripe_server.set_clock(now - 2 * 86_400)
    post = lambda path, params: session.client.request("POST", path, params).data  # noqa: E731
    product = post("/v1/products", {"name": "Pro"})["id"]
    other = post("/v1/products", {"name": "Seats"})["id"]
    monthly = post("/v1/prices", {"product": product, "unit_amount": 1000, "currency": "usd",
                                  "recurring": {"interval": "month"}})["id"]
    yearly = post("/v1/prices", {"product": other, "unit_amount": 12500, "currency": "usd",
                                 "recurring": {"interval": "year"}})["id"]
    quarterly_jpy = post("/v1/prices", {"product": product, "unit_amount": 3001, "currency": "jpy",
                                        "recurring": {"interval": "month", "interval_count": 3}})["id"]
    metered = post("/v1/prices", {"product": product, "unit_amount": 7, "currency": "usd",
                                  "recurring": {"interval": "month", "usage_type": "metered"}})["id"]
    plan = post("/v1/plans", {"product": product, "amount": 2900, "currency": "usd", "interval": "month"})["id"]
    customers = [post("/v1/customers", {"email": f"c{n}@example.com", "payment_method": "pm_card_visa",
                                        "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
                 for n in range(5)]
    for customer, items in ((customers[0], [{"price": monthly, "quantity": 5}]),
                            (customers[1], [{"price": yearly}]),
                            (customers[1], [{"plan": plan}]),
                            (customers[2], [{"price": quarterly_jpy, "quantity": 2}]),
                            (customers[3], [{"price": metered}])):
        post("/v1/subscriptions", {"customer": customer, "items": items})
    gone = post("/v1/subscriptions", {"customer": customers[4], "items": [{"price": monthly}]})["id"]
    stripe_server.set_clock(now - 86_400)
    session.client.request("DELETE", f"/v1/subscriptions/{gone}", {})
    stripe_server.set_clock(None)
    return session


def test_session_mrr_matches_mrr_computed_from_raw_api_json(business: Session, stripe_server: Any) -> None:
    expected = raw_mrr(stripe_server)
    assert len(expected) == 3  # two usd customers and the jpy one; metered and canceled are out
    by_customer = business.mrr(by="customer")
    got = {(r.customer, r.currency): int(r.mrr) for r in by_customer.itertuples()}
    assert got == expected
    totals = business.mrr().set_index("currency")["mrr"].astype(int).to_dict()
    assert totals == {"jpy": expected[next(k for k in expected if k[1] == "jpy")],
                      "usd": sum(v for k, v in expected.items() if k[1] == "usd")}
    assert totals["usd"] == 5000 + 1042 + 2900 and totals["jpy"] == 2001  # 12500/12 and 2×3001/3, rounded
    history = business.mrr_history()
    last = history[history["month"] == history["month"].max()].set_index("currency")["mrr"].astype(int).to_dict()
    assert last == totals
    moved = (history["new"] + history["expansion"] + history["reactivation"] - history["contraction"]
             - history["churned"])
    assert (history["starting_mrr"] + moved == history["mrr"]).all()
    churn = business.churn().set_index("currency")
    # new in the 30 days: customers 0, 1 and 4; churned: customer 4, a day after it started
    assert int(churn.loc["usd", "new_subscribers"]) == 3 and int(churn.loc["usd", "churned_subscribers"]) == 1


def test_magics_show_and_store_the_metrics(ip: InteractiveShell, business: Session, stripe_server: Any) -> None:
    shown = ip.run_line_magic("stripe", "mrr --by product -o by_product")
    assert ip.user_ns["by_product"] is shown
    assert int(shown["mrr"].sum()) == sum(raw_mrr(stripe_server).values())
    history = ip.run_line_magic("stripe", "mrr-history --months 2 -o h")
    assert len(history) <= 4 and set(history["currency"]) == {"usd", "jpy"}
    converted = ip.run_line_magic("stripe", "mrr --to usd --rates jpy=0.0067")
    assert converted["currency"].tolist() == ["usd"]
    assert int(converted["mrr"][0]) == 5000 + 1042 + 2900 + 1341  # 2001 JPY × 0.0067 = 13.4067 USD
    changes = ip.run_line_magic("stripe", "mrr-changes")
    assert sorted(changes["type"].unique()) == ["churn", "new"]  # customer 4 left a day after starting
    assert len(ip.run_line_magic("stripe", "churn --days 7")) == 2
    with pytest.raises(UsageError, match="no rate from jpy to usd"):
        ip.run_line_magic("stripe", "mrr --to usd --rates eur=1.1")
    with pytest.raises(UsageError, match="before the data"):
        ip.run_line_magic("stripe", "mrr --at 2001-01-01")
    assert isinstance(ip.run_line_magic("stripe", "cohorts -o c"), pd.DataFrame)
    trials = ip.run_line_magic("stripe", "trials")
    assert list(trials.columns) == ["month", "trials_ended", "converted", "conversion_rate"] and trials.empty
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    ip.run_line_magic("stripe", "mrr-history --plot")
    titles = sorted(plt.figure(n).axes[0].get_title() for n in set(plt.get_fignums()) - before)
    assert titles == ["MRR and its movements (JPY)", "MRR and its movements (USD)"]
    plt.close("all")


# -- hand-built cases on a test clock: coupons, several items, a trial, an upgrade with proration -----------

T0 = 1_773_100_800  # 2026-03-10T00:00:00Z, the test clock's start
DAY = 86_400


@pytest.fixture
def clocked(session: Session, stripe_server: Any) -> tuple[Session, dict[str, str], int]:
    """Eight customers on one test clock, advanced 45 days, an upgrade (prorated), then 25 days more."""
    stripe_server.settings(event_retention_days=None)  # the clock's months are older than 30 days of events
    post = lambda path, params=None: session.client.request("POST", path, params or {}).data  # noqa: E731
    clock = post("/v1/test_helpers/test_clocks", {"frozen_time": T0})["id"]
    product = post("/v1/products", {"name": "Pro"})["id"]

    def price(amount: int, **recurring: Any) -> str:
        return post("/v1/prices", {"product": product, "unit_amount": amount, "currency": "usd",
                                   "recurring": {"interval": "month", **recurring}})["id"]

    p10, p20, p30, p5, metered = price(1000), price(2000), price(3000), price(500), price(7, usage_type="metered")
    yearly = price(12000, interval="year")
    forever = post("/v1/coupons", {"duration": "forever", "percent_off": 25})["id"]
    forever_off = post("/v1/coupons", {"duration": "forever", "amount_off": 300, "currency": "usd"})["id"]
    once = post("/v1/coupons", {"duration": "once", "amount_off": 500, "currency": "usd"})["id"]
    repeating = post("/v1/coupons", {"duration": "repeating", "duration_in_months": 3, "percent_off": 20})["id"]
    customers = {name: post("/v1/customers", {
        "email": f"{name}@example.com", "test_clock": clock, "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"]
        for name in ("forever", "forever_off", "once", "repeating", "yearly", "items", "trial", "upgrade")}
    for name, params in (("forever", {"items": [{"price": p20}], "discounts": [{"coupon": forever}]}),
                         ("forever_off", {"items": [{"price": p20}], "discounts": [{"coupon": forever_off}]}),
                         ("once", {"items": [{"price": p20}], "discounts": [{"coupon": once}]}),
                         ("repeating", {"items": [{"price": p20}], "discounts": [{"coupon": repeating}]}),
                         ("yearly", {"items": [{"price": yearly, "quantity": 2}]}),
                         ("items", {"items": [{"price": p10, "quantity": 3}, {"price": p5, "quantity": 2},
                                              {"price": metered}]}),
                         ("trial", {"items": [{"price": p30}], "trial_period_days": 14}),
                         ("upgrade", {"items": [{"price": p10}]})):
        post("/v1/subscriptions", {"customer": customers[name], **params})
    post(f"/v1/test_helpers/test_clocks/{clock}/advance", {"frozen_time": T0 + 45 * DAY})
    [upgrading] = session.client.request("GET", "/v1/subscriptions", {"customer": customers["upgrade"]}).data["data"]
    post(f"/v1/subscriptions/{upgrading['id']}", {"items": [{"id": upgrading["items"]["data"][0]["id"], "price": p30}],
                                                  "proration_behavior": "create_prorations"})
    post(f"/v1/test_helpers/test_clocks/{clock}/advance", {"frozen_time": T0 + 70 * DAY})
    return session, customers, T0 + 70 * DAY


def test_coupons_items_trial_and_a_prorated_upgrade_match_raw_json(clocked: Any, stripe_server: Any) -> None:
    session, customers, now = clocked
    at = pd.Timestamp(now, unit="s", tz="UTC")
    raw = raw_business(stripe_server.url, stripe_server.key)
    expected = mrr_now(raw)
    assert {c: expected[(customers[c], "usd")] for c in customers} == {
        "forever": 1500, "forever_off": 1700, "once": 2000, "repeating": 2000, "yearly": 2000, "items": 4000,
        "trial": 3000, "upgrade": 3000}  # the glossary, by hand: only forever coupons count
    for history in (True, False):  # from the invoice lines, and from the subscriptions as they stand
        got = session.mrr(at=at, by="customer", history=history)
        assert {(r.customer, r.currency): int(r.mrr) for r in got.itertuples()} == expected, history
    monthly = session.mrr_history(at=at)
    for month, instant in (("2026-03", 1_775_001_599), ("2026-04", 1_777_593_599), ("2026-05", now)):
        row = monthly[monthly["month"].astype(str) == month].iloc[0]
        assert int(row["mrr"]) == per_currency(mrr_at(raw, instant))["usd"], month
    assert monthly["expansion"].astype(int).tolist() == [0, 2000, 0]
    log = session.change_log(at=at)
    got_changes = [(r.customer, int(r.date.timestamp()), r.type, int(r.amount)) for r in log.itertuples()]
    assert sorted(got_changes) == sorted(changes(raw, now))
    upgrade = log[log["type"] == "upgrade"].iloc[0]
    moment = pd.Timestamp(T0 + 45 * DAY, unit="s", tz="UTC")
    assert (upgrade["customer"], upgrade["date"]) == (customers["upgrade"], moment)
    lines = [line for invoice in raw["invoices"] for line in invoice["lines"]["data"]
             if line["parent"]["subscription_item_details"]["proration"]]
    assert sorted(line["amount"] for line in lines) == [-533, 1600]  # 16 of the period's 30 days, both ways
    trial = session.trial_conversion(at=at)
    assert (int(trial["trials_ended"].sum()), int(trial["converted"].sum())) == (1, 1)
