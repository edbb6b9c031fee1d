"""The finance notebook's numbers are right: it runs top to bottom against a seeded sandbox, and its key
numbers (MRR now, fees, net, refund rate, invoice statuses, top customers, the search) equal values
computed here independently from the raw API JSON (httpx against the same sandbox), not from the notebook's
pandas code.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from kernel_env import CREDENTIAL_VARIABLES, NOTEBOOKS, kernel_overrides
from paragon_magic.sandbox import LocalStripe
from paragon_magic.sandbox.seed import seed

pytestmark = pytest.mark.slow

ZERO_DECIMAL = {"jpy"}
MONTHS_PER_INTERVAL = {"day": 12 / 365, "week": 12 / 52, "month": 1, "year": 12}


def _major(amount: float, currency: str) -> float:
    return amount if currency in ZERO_DECIMAL else amount / 100


def _all(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 100, **params}
    while True:
        body = api.get(path, params=query).raise_for_status().json()
        objects += body["data"]
        if not body["has_more"]:
            return objects
        query["starting_after"] = body["data"][-1]["id"]


@pytest.fixture(scope="module")
def business() -> Iterator[LocalStripe]:
    with LocalStripe() as server:
        seed(server.url, server.key, control_headers=server.control_headers)
        yield server


@pytest.fixture(scope="module")
def raw(business: LocalStripe) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {business.key}"}
    with httpx.Client(base_url=business.url, headers=headers, timeout=60) as api:
        return {
            "subscriptions": _all(api, "/v1/subscriptions", status="all"),
            "prices": _all(api, "/v1/prices"),
            "balance_transactions": _all(api, "/v1/balance_transactions"),
            "invoices": _all(api, "/v1/invoices"),
            "charges": _all(api, "/v1/charges"),
            "customers": _all(api, "/v1/customers"),
        }


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


def _key_numbers(nb: nbformat.NotebookNode) -> dict[str, Any]:
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("key_numbers = {")]
    return json.loads("".join(o["text"] for o in cell.outputs if o.output_type == "stream"))


def _mrr(raw: dict[str, Any], at: int) -> dict[str, float]:
    prices = {p["id"]: p for p in raw["prices"]}
    mrr: dict[str, float] = defaultdict(float)
    for sub in raw["subscriptions"]:
        starts = sub["trial_end"] or sub["created"]
        if starts > at or (sub["canceled_at"] is not None and sub["canceled_at"] <= at):
            continue
        for item in sub["items"]["data"]:
            price = prices[item["price"]["id"]]
            months = MONTHS_PER_INTERVAL[price["recurring"]["interval"]] * price["recurring"]["interval_count"]
            mrr[price["currency"]] += _major(price["unit_amount"] * (item["quantity"] or 1), price["currency"]) / months
    return dict(mrr)


def test_the_notebook_runs_and_plots(notebook: nbformat.NotebookNode) -> None:
    images = [o["data"]["image/png"] for c in notebook.cells if c.cell_type == "code"
              for o in c.outputs if "image/png" in o.get("data", {})]  # fmt: skip
    assert len(images) == 4  # MRR, new and churned MRR, revenue/fees/net, invoices by status
    assert all(len(png) > 5_000 for png in images)
    stderr = "".join(o.text for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream" and o.name == "stderr")  # fmt: skip
    assert "Traceback" not in stderr and "Warning" not in stderr


def test_mrr_now_matches_items_times_prices(notebook: nbformat.NotebookNode, raw: dict[str, Any]) -> None:
    numbers = _key_numbers(notebook)
    expected = _mrr(raw, numbers["as_of"])
    assert set(expected) == {"usd", "eur", "gbp", "jpy"} and all(v > 0 for v in expected.values())
    assert numbers["mrr_now"] == pytest.approx({c: round(v, 2) for c, v in expected.items()}, abs=0.011)


def test_fees_net_and_refund_rate_match_the_ledger(notebook: nbformat.NotebookNode, raw: dict[str, Any]) -> None:
    numbers = _key_numbers(notebook)
    fees: Counter[str] = Counter()
    net: Counter[str] = Counter()
    charged: Counter[str] = Counter()
    refunded: Counter[str] = Counter()
    for txn in raw["balance_transactions"]:
        fees[txn["currency"]] += txn["fee"]
        if txn["type"] in ("charge", "refund"):
            net[txn["currency"]] += txn["net"]
        if txn["type"] == "charge":
            charged[txn["currency"]] += txn["amount"]
        if txn["type"] == "refund":
            refunded[txn["currency"]] -= txn["amount"]
    assert all(fees[c] > 0 for c in ("usd", "eur", "gbp", "jpy"))
    assert numbers["fees"] == pytest.approx({c: _major(v, c) for c, v in fees.items()}, abs=0.011)
    assert numbers["net"] == pytest.approx({c: _major(v, c) for c, v in net.items()}, abs=0.011)
    rates = {c: round(refunded[c] / charged[c], 4) for c in charged}
    assert numbers["refund_rate"] == pytest.approx(rates, abs=1e-4)
    assert sum(refunded.values()) > 0


def test_invoice_statuses_top_customers_and_search(notebook: nbformat.NotebookNode, raw: dict[str, Any]) -> None:
    numbers = _key_numbers(notebook)
    statuses = Counter(i["status"] for i in raw["invoices"])
    assert numbers["invoices"] == dict(statuses)
    assert set(statuses) == {"paid", "open", "void", "uncollectible"}
    revenue: dict[tuple[str, str], int] = defaultdict(int)
    for charge in raw["charges"]:
        if charge["status"] == "succeeded":
            revenue[(charge["customer"], charge["currency"])] += charge["amount"] - charge["amount_refunded"]
    for currency, (customer, amount) in numbers["top_customer"].items():
        best = max(v for (_, c), v in revenue.items() if c == currency)
        assert revenue[(customer, currency)] == best
        assert amount == pytest.approx(_major(best, currency), abs=0.011)
    enterprise = [c for c in raw["customers"] if c["metadata"].get("segment") == "enterprise"]
    assert numbers["enterprise_customers"] == len(enterprise) > 0
