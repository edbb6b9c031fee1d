"""Money that stays honest: currency conversion from rates you have (never a network call) and net revenue.

Rates are major unit to major unit: ``{"eur": 1.08}`` means 1 EUR = 1.08 of the target currency. They can be
a mapping, a frame with ``currency``, ``rate`` and optionally ``date`` (each amount uses the latest rate on or
before its date, else the earliest), or the balance transactions themselves: Stripe sets ``exchange_rate``
on those it converted to the settlement currency, amount to amount in smallest units (so ¥1 -> $0.0067 is
0.67 there, 0.0067 here); the charge's currency comes from ``source.currency`` when ``source`` was expanded,
else from the ``charges`` frame you pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..frame_schema import THREE_DECIMAL, ZERO_DECIMAL
from ._inputs import declare_amounts, epoch_ns, require

__all__ = ["rates_from_balance_transactions", "convert_values", "convert_frame", "net_revenue", "exponent"]

_NO_RATES = ("pass rates={{'{cur}': 1.08}} (1 {CUR} = 1.08 {TO}), a frame with currency, rate[, date] columns, "
             "or the balance transactions (their exchange_rate)")


def exponent(currency: str) -> int:
    code = str(currency).upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def rates_from_balance_transactions(transactions: pd.DataFrame, charges: pd.DataFrame | None = None) -> pd.DataFrame:
    """``date, currency, rate, to`` from balance transactions that Stripe converted (``exchange_rate`` set)."""
    require(transactions, ("exchange_rate", "currency", "created"), "balance_transactions", "convert")
    converted = transactions[transactions["exchange_rate"].notna().to_numpy()]
    expanded = [c.get("currency") if isinstance(c, Mapping) else None
                for c in (converted["source"] if "source" in converted.columns else ())]
    if "source.currency" in converted.columns:
        source_currency = converted["source.currency"].astype(object)
    elif expanded and all(c is not None for c in expanded):
        source_currency = pd.Series(expanded, index=converted.index, dtype=object)
    elif charges is not None:
        require(charges, ("id", "currency"), "charges", "convert")
        owner = pd.Series(charges["currency"].astype(object).to_numpy(), index=charges["id"].astype(object))
        source_currency = converted["source"].map(lambda c: c.get("id") if isinstance(c, Mapping) else c).map(owner)
    elif len(converted):
        raise UsageError("convert: the balance transactions do not say which currency they were converted from; "
                         "list them with --expand source, or pass charges=<the frame of %stripe list_charges>")
    else:
        source_currency = pd.Series([], dtype=object)
    source_currency = source_currency.astype(object).str.lower()
    to = converted["currency"].astype(object).str.lower()
    # Stripe's exchange_rate maps amounts (smallest units): ¥1,000,000 -> $6,700.00 is 670000 / 1000000 = 0.67;
    # the rates here are major unit to major unit (0.0067), so the units' exponents are taken out
    shift = np.array([exponent(c) - exponent(t) if isinstance(c, str) else 0
                      for c, t in zip(source_currency.to_numpy(dtype=object), to.to_numpy(dtype=object))], dtype=float)
    out = pd.DataFrame({"date": converted["created"].to_numpy(), "currency": source_currency.to_numpy(dtype=object),
                        "rate": converted["exchange_rate"].to_numpy(dtype="float64") * 10.0 ** shift,
                        "to": to.to_numpy(dtype=object)})
    return out[out["currency"].notna().to_numpy()].sort_values("date", ignore_index=True)


def _table(rates: Any, to: str, function: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """currency -> (dates ns sorted, rates) into ``to``."""
    if rates is None:
        return {}
    if isinstance(rates, Mapping):
        return {str(c).lower(): (np.array([np.iinfo(np.int64).min]), np.array([float(r)])) for c, r in rates.items()}
    if not isinstance(rates, pd.DataFrame):
        raise UsageError(f"{function}: rates= takes a mapping, a DataFrame or the balance transactions; got "
                         f"{type(rates).__name__}")
    if "exchange_rate" in rates.columns:
        rates = rates_from_balance_transactions(rates)
    require(rates, ("currency", "rate"), "rates (columns currency, rate[, date])", function)
    if "to" in rates.columns:
        other = set(rates["to"].dropna().astype(str).str.lower()) - {to}
        if other:
            raise UsageError(f"{function}: the rates convert into {', '.join(sorted(other))}, not {to}; "
                             f"convert to {sorted(other)[0]} or pass rates into {to}")
    dates = (epoch_ns(rates["date"]) if "date" in rates.columns
             else np.full(len(rates), np.iinfo(np.int64).min))
    table: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    frame = pd.DataFrame({"currency": rates["currency"].astype(str).str.lower(), "date": dates,
                          "rate": pd.to_numeric(rates["rate"], errors="coerce")}).dropna()
    for currency, group in frame.sort_values("date").groupby("currency"):
        table[str(currency)] = (group["date"].to_numpy(np.int64), group["rate"].to_numpy("float64"))
    return table


def convert_values(values: np.ndarray, currencies: np.ndarray, to: str, rates: Any, times: np.ndarray,
                   function: str) -> np.ndarray:
    """Minor-unit ``values`` in each row's currency -> minor units of ``to`` (rounded to the unit)."""
    to = str(to).lower()
    table = _table(rates, to, function)
    out = np.asarray(values, dtype="float64").copy()
    lower = np.array([str(c).lower() for c in currencies], dtype=object)
    for currency in pd.unique(lower):
        if currency == to:
            continue
        if currency not in table:
            raise UsageError(f"{function}: no rate from {currency} to {to}; "
                             + _NO_RATES.format(cur=currency, CUR=currency.upper(), TO=to.upper()))
        dates, factors = table[currency]
        mine = lower == currency
        at = np.clip(np.searchsorted(dates, np.asarray(times, dtype=np.int64)[mine], side="right") - 1, 0, None)
        out[mine] = out[mine] * factors[at] * 10.0 ** (exponent(to) - exponent(currency))
    return np.rint(out).astype(np.int64)


def convert_frame(df: pd.DataFrame, columns: list[str], to: str, rates: Any, date: str | None) -> pd.DataFrame:
    """``df.stripe.convert``: the amount ``columns`` in ``to``'s minor units, ``currency`` set to ``to``, the
    row's own currency kept in ``original_currency``."""
    if "currency" not in df.columns:
        raise UsageError("convert: the frame has no 'currency' column saying what each row's amounts are in")
    if not columns:
        raise UsageError("convert: the frame has no amount columns; name them: convert('usd', rates, "
                         "columns=['mrr'])")
    if date is None:
        date = "created" if "created" in df.columns else None
    elif date not in df.columns:
        raise UsageError(f"convert: the frame has no column {date!r} to date the rates by")
    times = (epoch_ns(df[date]) if date is not None
             else np.full(len(df), np.iinfo(np.int64).max))
    currencies = df["currency"].astype(object).fillna("").to_numpy()
    out = df.copy()
    for column in columns:
        values = df[column]
        present = values.notna().to_numpy()
        converted = convert_values(values.to_numpy(dtype="float64", na_value=0.0), currencies, to, rates, times,
                                   "convert")
        out[column] = pd.array(np.where(present, converted, 0), dtype="Int64")
        out.loc[~present, column] = pd.NA
    out["original_currency"] = df["currency"]
    out["currency"] = pd.array([str(to).lower()] * len(df), dtype="string")
    return out


_EXCLUDED = {"payout", "payout_reversal", "transfer", "transfer_reversal", "topup", "topup_reversal"}
_BY_TYPE = {"charge": "charge", "payment": "charge", "refund": "refund", "payment_refund": "refund",
            "payment_failure_refund": "refund", "refund_failure": "refund_failure", "payout": "payout",
            "payout_cancel": "payout_reversal", "payout_failure": "payout_reversal", "transfer": "transfer",
            "transfer_refund": "transfer_reversal", "topup": "topup", "topup_reversal": "topup_reversal",
            "stripe_fee": "fee", "application_fee": "platform_earning"}


def net_revenue(transactions: pd.DataFrame, *, by: str | None = "month") -> pd.DataFrame:
    """Per currency (and month of ``created``): charges, refunds, disputes, other, fees and net, minor units.

    Every balance transaction except payouts, transfers and top-ups: ``net = charges + refunds + disputes +
    other − fees`` exactly (refunds and disputes are negative, fees positive, Stripe's fee bills included).
    """
    require(transactions, ("amount", "fee", "net", "currency", "created"), "balance_transactions", "net_revenue")
    if by not in ("month", None):
        raise UsageError(f"net_revenue: by= takes 'month' or None; got {by!r}")
    if "reporting_category" in transactions.columns:
        category = transactions["reporting_category"].astype(object)
    else:
        require(transactions, ("type",), "balance_transactions", "net_revenue")
        category = transactions["type"].astype(object).map(lambda t: _BY_TYPE.get(t, t))
    keep = ~category.isin(_EXCLUDED).to_numpy()
    rows = transactions[keep]
    category = category[keep].to_numpy(dtype=object)
    amount = rows["amount"].to_numpy(dtype=np.int64, na_value=0)
    fee = rows["fee"].to_numpy(dtype=np.int64, na_value=0)
    frame = pd.DataFrame({"currency": rows["currency"].astype("string").str.lower().to_numpy()})
    if by == "month":
        frame["month"] = rows["created"].dt.tz_localize(None).dt.to_period("M").to_numpy()
    is_fee = category == "fee"
    frame["charges"] = np.where(category == "charge", amount, 0)
    frame["refunds"] = np.where(np.isin(category, ["refund", "refund_failure"]), amount, 0)
    frame["disputes"] = np.where(np.isin(category, ["dispute", "dispute_reversal"]), amount, 0)
    known = np.isin(category, ["charge", "refund", "refund_failure", "dispute", "dispute_reversal", "fee"])
    frame["other"] = np.where(known, 0, amount)
    frame["fees"] = fee - np.where(is_fee, amount, 0)
    frame["net"] = rows["net"].to_numpy(dtype=np.int64, na_value=0)
    keys = ["currency"] + (["month"] if by == "month" else [])
    out = frame.groupby(keys, sort=True).sum().reset_index()
    for column in ("charges", "refunds", "disputes", "other", "fees", "net"):
        out[column] = out[column].astype("Int64")
    return declare_amounts(out, ["charges", "refunds", "disputes", "other", "fees", "net"], "net_revenue")
