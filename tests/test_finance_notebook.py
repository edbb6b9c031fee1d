"""The finance notebook's numbers are right: it runs top to bottom against a seeded sandbox, and its key
numbers (MRR now and every month, MRR in USD, churn, cohorts, trials, net revenue, refund rate, invoice
statuses, top customers, the search) equal values computed here independently from the raw API JSON
(httpx against the same sandbox, :mod:`metrics_raw`), not from the notebook's code.

The sandbox is seeded up to the moment the test starts and its clock stays there (``seed(now=...)``), so
the notebook and the raw JSON read the same business however long the kernel takes.
"""

from __future__ import annotations

import calendar
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from kernel_env import CREDENTIAL_VARIABLES, NOTEBOOKS, kernel_overrides
from metrics_raw import fetch_all, mrr_at, mrr_now, paying_from, per_currency, raw_business
from paragon_magic.sandbox import LocalStripe

pytestmark = pytest.mark.slow

EXPONENT = {"jpy": 0}


def _major(amount: float, currency: str) -> float:
    return amount / 10 ** EXPONENT.get(currency, 2)


@pytest.fixture(scope="module")
def business() -> Iterator[LocalStripe]:
    with LocalStripe() as server:
        server.settings(event_retention_days=None)  # the subscriptions' history is read back from the events
        server.seed(now=int(time.time()))
        yield server


@pytest.fixture(scope="module")
def raw(business: LocalStripe) -> dict[str, Any]:
    found = raw_business(business.url, business.key)
    for name, path in (("balance_transactions", "/v1/balance_transactions"), ("charges", "/v1/charges"),
                       ("customers", "/v1/customers")):
        found[name] = fetch_all(business.url, business.key, path)
    return found


@pytest.fixture(scope="module")
def notebook(business: LocalStripe, tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    tmp_path = tmp_path_factory.mktemp("finance")
    with pytest.MonkeyPatch.context() as env:
        for key, value in kernel_overrides(tmp_path).items():
            env.setenv(key, value)
        for key in CREDENTIAL_VARIABLES:
            env.delenv(key, raising=False)
        env.setenv("STRIPE_API_KEY", business.key)  # the notebook reads this sandbox, as it would an account
        env.setenv("STRIPE_API_BASE", business.url)
        nb = nbformat.read(NOTEBOOKS / "finance_analysis.ipynb", as_version=4)
        assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "outputs committed"
        NotebookClient(nb, kernel_name="python3", timeout=600, startup_timeout=120,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    return nb


@pytest.fixture(scope="module")
def numbers(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    [cell] = [c for c in notebook.cells if c.cell_type == "code" and "key_numbers = {" in c.source]
    return json.loads("".join(o["text"] for o in cell.outputs if o.output_type == "stream"))


def test_the_notebook_runs_and_plots(notebook: nbformat.NotebookNode) -> None:
    images = [o["data"]["image/png"] for c in notebook.cells if c.cell_type == "code"
              for o in c.outputs if "image/png" in o.get("data", {})]  # fmt: skip
    assert len(images) == 4  # MRR history, cohort heatmap, net revenue, invoices by status
    assert all(len(png) > 5_000 for png in images)
    stderr = "".join(o.text for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream" and o.name == "stderr")  # fmt: skip
    assert "Traceback" not in stderr and "Warning" not in stderr
    hand_written = [c.source for c in notebook.cells if c.cell_type == "code" and "items.data" in c.source]
    assert not hand_written  # MRR comes from the metrics, not from exploded subscription items


def test_mrr_now_and_in_usd_match_the_glossary_on_raw_json(numbers: dict[str, Any], raw: dict[str, Any]) -> None:
    expected = per_currency(mrr_now(raw))
    assert set(expected) == {"usd", "eur", "gbp", "jpy"} and all(v > 0 for v in expected.values())
    assert numbers["mrr_now"] == {c: _major(v, c) for c, v in expected.items()}
    # in USD at the rates Stripe settled the charges with (exchange_rate maps smallest units to smallest units)
    charge_currency = {c["id"]: c["currency"] for c in raw["charges"]}
    latest: dict[str, tuple[int, float]] = {}
    for txn in raw["balance_transactions"]:
        currency = charge_currency.get(txn["source"])
        if txn["exchange_rate"] is not None and currency and txn["created"] >= latest.get(currency, (0, 0.0))[0]:
            latest[currency] = (txn["created"], txn["exchange_rate"])
    in_usd = sum(Fraction(v) * Fraction(str(latest[c][1])) if c != "usd" else Fraction(v)
                 for c, v in expected.items())
    # each customer's MRR is converted and rounded to the cent on its own: at most half a cent each
    assert abs(Fraction(str(numbers["mrr_usd"])) * 100 - in_usd) <= Fraction(numbers["mrr_usd_customers"], 2)


def test_every_month_of_the_mrr_history_matches_raw_json(numbers: dict[str, Any], raw: dict[str, Any]) -> None:
    as_of = numbers["as_of"]
    seen = 0
    for key, value in numbers["mrr_by_month"].items():
        month, currency = key.split("/")
        period = pd.Period(month, freq="M")
        end = calendar.timegm((period + 1).to_timestamp().timetuple()) - 1
        expected = per_currency(mrr_at(raw, min(end, as_of))).get(currency, 0)
        assert value == _major(expected, currency), key
        seen += expected > 0
    assert seen >= 4 * 12  # a year and more of MRR in each of the four currencies


def test_churn_cohorts_and_trials_match_raw_json(numbers: dict[str, Any], raw: dict[str, Any]) -> None:
    start, end = numbers["churn_window"]
    before, after = mrr_at(raw, start), mrr_at(raw, end)
    subs = raw["subscriptions"]
    new = {(s["customer"], s["currency"]) for s in subs if start < paying_from(s) <= end
           and (s["ended_at"] is None or s["ended_at"] > paying_from(s))} - set(before)  # fmt: skip
    for currency, (at_start, arrived, churned, rate) in numbers["churn_30d"].items():
        base = {k for k in set(before) | new if k[1] == currency}
        gone = {k for k in base if k not in after}
        assert [at_start, arrived, churned] == [sum(1 for k in before if k[1] == currency),
                                                sum(1 for k in new if k[1] == currency), len(gone)]
        assert rate == round(len(gone) / len(base), 4)
    # a cohort: the customers who started paying that month (those gone before its end included)
    first: dict[tuple[str, str], str] = {}
    for sub in sorted(subs, key=paying_from):
        if (sub["ended_at"] is None or sub["ended_at"] > paying_from(sub)) and paying_from(sub) <= numbers["as_of"]:
            month = pd.Timestamp(paying_from(sub), unit="s").to_period("M")
            first.setdefault((sub["customer"], sub["currency"]), f"{month}/{sub['currency']}")
    assert numbers["cohort_sizes"] == dict(Counter(first.values()))
    ended = [s for s in subs if s["trial_end"] is not None and s["trial_end"] <= numbers["as_of"]]
    converted = [s for s in ended if s["ended_at"] is None or s["ended_at"] > s["trial_end"]]
    assert numbers["trials"] == [len(ended), len(converted)] and 0 < len(converted) < len(ended)


def test_net_revenue_includes_refunds_disputes_and_fees(numbers: dict[str, Any], raw: dict[str, Any]) -> None:
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for txn in raw["balance_transactions"]:
        category = txn["reporting_category"]
        if category == "payout":
            continue
        mine = sums[txn["currency"]]
        group = {"charge": "charges", "refund": "refunds", "dispute": "disputes", "dispute_reversal": "disputes"}
        mine[group.get(category, "other")] += txn["amount"]
        mine["fees"] += txn["fee"]
        mine["net"] += txn["net"]
    assert set(sums) == {"usd"}  # settled in USD
    for currency, mine in sums.items():
        assert mine["refunds"] < 0 and mine["disputes"] < 0 and mine["fees"] > 0
        assert mine["net"] == mine["charges"] + mine["refunds"] + mine["disputes"] + mine["other"] - mine["fees"]
        assert numbers["net_revenue"][currency] == {k: _major(mine[k], currency) for k in
                                                    ("charges", "refunds", "disputes", "other", "fees", "net")}


def test_refund_rate_invoices_top_customers_and_search(numbers: dict[str, Any], raw: dict[str, Any]) -> None:
    charged: Counter[str] = Counter()
    refunded: Counter[str] = Counter()
    revenue: dict[tuple[str, str], int] = defaultdict(int)
    for charge in raw["charges"]:
        if charge["status"] == "succeeded":
            charged[charge["currency"]] += charge["amount"]
            refunded[charge["currency"]] += charge["amount_refunded"]
            revenue[(charge["customer"], charge["currency"])] += charge["amount"] - charge["amount_refunded"]
    assert numbers["refund_rate"] == {c: round(refunded[c] / charged[c], 4) for c in charged}
    assert sum(refunded.values()) > 0
    statuses = Counter(i["status"] for i in raw["invoices"])
    assert numbers["invoices"] == dict(statuses) and statuses["paid"] > 0 and statuses["uncollectible"] > 0
    for currency, (customer, amount) in numbers["top_customer"].items():
        best = max(v for (_, c), v in revenue.items() if c == currency)
        assert revenue[(customer, currency)] == best
        assert amount == pytest.approx(_major(best, currency), abs=0.011)
    enterprise = [c for c in raw["customers"] if c["metadata"].get("segment") == "enterprise"]
    assert numbers["enterprise_customers"] == len(enterprise) > 0
