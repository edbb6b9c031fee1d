"""Money helpers: to_major on derived and aggregated columns, convert with rates you have, net revenue."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from paragon_magic.accessor import NothingToConvertWarning
from paragon_magic.errors import UsageError
from paragon_magic.frames import to_frame
from paragon_magic.metrics import net_revenue, rates_from_balance_transactions

DAY = 86_400
T0 = 1_780_000_000  # 2026-05-28


def txn(n: int, amount: int, fee: int, currency: str, category: str, *, created: int = T0,
        rate: float | None = None, source: Any = None) -> dict[str, Any]:
    return {"id": f"txn_{n}", "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee,
            "currency": currency, "type": category, "reporting_category": category, "created": created,
            "available_on": created, "exchange_rate": rate, "source": source or f"ch_{n}", "status": "available",
            "fee_details": []}


@pytest.fixture
def transactions() -> pd.DataFrame:
    rows = [
        txn(1, 10000, 320, "usd", "charge"), txn(2, 5000, 175, "usd", "charge"),
        txn(3, -2000, 0, "usd", "refund"), txn(4, -5000, 1500, "usd", "dispute"),
        txn(5, -500, 0, "usd", "fee"), txn(6, -7000, 0, "usd", "payout"),
        txn(7, 250, 0, "usd", "dispute_reversal"), txn(8, 3000, 0, "jpy", "charge", created=T0 + 10 * DAY),
    ]
    return to_frame(rows, "balance_transaction")


def test_net_revenue_includes_refunds_disputes_and_fees_not_payouts(transactions: pd.DataFrame) -> None:
    result = net_revenue(transactions, by=None).set_index("currency")
    usd = result.loc["usd"]
    fees = 320 + 175 + 1500 + 500
    assert (usd["charges"], usd["refunds"], usd["disputes"], usd["fees"]) == (15000, -2000, -4750, fees)
    assert usd["net"] == 15000 - 2000 - 4750 - 2495
    for _, row in result.iterrows():
        assert row["net"] == row["charges"] + row["refunds"] + row["disputes"] + row["other"] - row["fees"]
    naive = transactions[transactions["reporting_category"] == "charge"].groupby("currency")["net"].sum()["usd"]
    assert naive != usd["net"]  # the old one-liner left refunds and disputes out
    by_month = net_revenue(transactions)
    assert list(zip(by_month["currency"], by_month["month"].astype(str))) == [("jpy", "2026-06"), ("usd", "2026-05")]
    major = net_revenue(transactions, by=None).stripe.to_major().set_index("currency")
    assert (major.loc["usd", "net"], major.loc["jpy", "net"]) == (57.55, 3000.0)


def test_net_revenue_from_types_alone_and_bad_input(transactions: pd.DataFrame) -> None:
    legacy = transactions.drop(columns=["reporting_category"])
    legacy.loc[legacy["type"] == "fee", "type"] = "stripe_fee"
    legacy.loc[legacy["type"] == "dispute", "type"] = "adjustment"
    result = net_revenue(legacy, by=None).set_index("currency")
    assert result.loc["usd", "net"] == net_revenue(transactions, by=None).set_index("currency").loc["usd", "net"]
    with pytest.raises(UsageError, match=r"no column 'fee'; pass the frame of %stripe list_balance_transactions"):
        net_revenue(transactions.drop(columns=["fee"]))


def test_to_major_on_aggregated_and_derived_columns(transactions: pd.DataFrame) -> None:
    grouped = transactions.groupby("currency")[["amount", "fee", "net"]].sum()
    major = grouped.stripe.to_major()
    assert major.loc["jpy", "amount"] == 3000.0 and major.loc["usd", "fee"] == 19.95
    derived = pd.DataFrame({"currency": ["usd", "jpy", "kwd"], "mrr": [1234, 500, 1500], "label": ["a", "b", "c"]})
    assert derived.stripe.to_major(currency={"mrr": "currency"})["mrr"].tolist() == [12.34, 500.0, 1.5]
    assert derived.stripe.to_major(columns=["mrr"])["mrr"].tolist() == [12.34, 500.0, 1.5]
    assert derived.stripe.to_major(columns={"mrr": "usd"})["mrr"].tolist() == [12.34, 5.0, 15.0]
    exact = derived.assign(avg=[1234.5, 3.0, 1.0]).stripe.to_major(columns=["avg"], exact=True)["avg"].tolist()
    assert exact == [Decimal("12.345"), Decimal("3"), Decimal("0.001")]
    with pytest.warns(NothingToConvertWarning, match="nothing to convert.*columns="):
        unchanged = derived.stripe.to_major()
    assert unchanged["mrr"].tolist() == [1234, 500, 1500]
    with pytest.raises(UsageError, match="'label' is not a numeric column"):
        derived.stripe.to_major(columns=["label"])


def test_convert_with_a_mapping_a_dated_frame_and_balance_transactions(transactions: pd.DataFrame) -> None:
    frame = pd.DataFrame({"currency": ["usd", "eur", "jpy"], "amount": pd.array([1000, 1000, 10000], dtype="Int64"),
                          "created": pd.to_datetime([T0, T0, T0 + 20 * DAY], unit="s", utc=True)})
    out = frame.stripe.convert("usd", {"eur": 1.08, "jpy": 0.0067})
    assert out["amount"].tolist() == [1000, 1080, 6700]
    assert out["currency"].tolist() == ["usd"] * 3 and out["original_currency"].tolist() == ["usd", "eur", "jpy"]
    assert out.stripe.to_major()["amount"].tolist() == [10.0, 10.8, 67.0]
    dated = pd.DataFrame({"currency": ["eur", "eur", "jpy"], "rate": [1.05, 1.10, 0.0070],
                          "date": pd.to_datetime([T0 - DAY, T0 + DAY, T0], unit="s", utc=True)})
    assert frame.stripe.convert("usd", dated)["amount"].tolist() == [1000, 1050, 7000]
    with pytest.raises(UsageError, match=r"no rate from jpy to usd; pass rates=\{'jpy': 1.08\}"):
        frame.stripe.convert("usd", {"eur": 1.08})
    with pytest.raises(UsageError, match="no column 'when'"):
        frame.stripe.convert("usd", {"eur": 1.08, "jpy": 0.0067}, date="when")


def test_rates_come_from_balance_transactions_exchange_rate() -> None:
    rows = [txn(1, 1080, 60, "usd", "charge", rate=1.08, source={"id": "ch_1", "object": "charge", "currency": "eur",
                                                                 "amount": 1000}),
            # Stripe's exchange_rate maps smallest units: ¥1,000,000 -> $6,700.00 (670000 cents) is 0.67
            txn(2, 670000, 0, "usd", "charge", rate=0.67, source={"id": "ch_2", "object": "charge",
                                                                  "currency": "jpy", "amount": 1000000}),
            txn(3, 500, 0, "usd", "charge")]
    expanded = to_frame(rows, "balance_transaction")
    rates = rates_from_balance_transactions(expanded)
    assert sorted(zip(rates["currency"], rates["rate"].round(10))) == [("eur", 1.08), ("jpy", 0.0067)]
    plain = to_frame([{**r, "source": r["source"]["id"] if isinstance(r["source"], dict) else r["source"]}
                      for r in rows], "balance_transaction")
    with pytest.raises(UsageError, match="--expand source, or pass charges="):
        rates_from_balance_transactions(plain)
    charges = to_frame([{"id": "ch_1", "object": "charge", "currency": "eur", "amount": 1000},
                        {"id": "ch_2", "object": "charge", "currency": "jpy", "amount": 1000000}], "charge")
    assert len(rates_from_balance_transactions(plain, charges)) == 2
    sales = pd.DataFrame({"currency": ["eur", "jpy"], "amount": pd.array([2000, 1000000], dtype="Int64")})
    assert sales.stripe.convert("usd", expanded)["amount"].tolist() == [2160, 670000]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sales.stripe.to_major()
