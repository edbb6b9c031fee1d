"""The metrics end to end over real HTTP: subscriptions made through the sandbox's API, MRR fetched by the
Session and by the magics, compared with MRR computed here from the raw API JSON (no paragon_magic code)."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

import httpx
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

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
def business(session: Session) -> Session:
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
    session.client.request("DELETE", f"/v1/subscriptions/{gone}", {})
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
    assert int(churn.loc["usd", "new_subscribers"]) == 2 and int(churn.loc["usd", "churned_subscribers"]) == 0


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
    assert sorted(changes["type"].unique()) == ["new"]
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
