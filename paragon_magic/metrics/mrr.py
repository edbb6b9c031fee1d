"""MRR now or at a date, its history with Stripe's movements, and each customer's change log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import ledger as ledger_module
from ._inputs import declare_amounts, instant_ns, month_starts, now_of, require
from .frames import MrrHistory
from .movements import MOVEMENTS, change_log_frame, history_frame
from .pricing import MICRO, CouponBook
from .spans import customer_coupons, line_spans, nonempty, subscription_spans

__all__ = ["mrr", "mrr_history", "change_log", "customer_mrr", "Inputs"]

_BY = ("currency", "product", "price", "customer", "subscription")


@dataclass
class Inputs:
    """The frames a metric reads, checked once: subscriptions (needed), invoices and prices (history)."""

    subscriptions: pd.DataFrame
    invoices: pd.DataFrame | None = None
    prices: pd.DataFrame | None = None
    coupons: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None

    def spans(self, function: str) -> tuple[pd.DataFrame | None, pd.DataFrame, int]:
        """(line spans or None, subscription spans, now in epoch ns)."""
        require(self.subscriptions, ("id",), "subscriptions", function)
        book = CouponBook(self.coupons, function)
        discounts = customer_coupons(self.customers, book)
        _learn(self.subscriptions, book)
        subs = subscription_spans(self.subscriptions, book, discounts, function)
        lines = None
        if self.invoices is not None:
            if self.prices is None:
                raise UsageError(f"{function}: reading invoices needs the prices too: pass prices=<the frame of "
                                 "%stripe list_prices>")
            lines = line_spans(self.invoices, self.prices, self.subscriptions, book, function)
        return lines, subs, now_of(self.subscriptions, self.invoices)


def _learn(subscriptions: pd.DataFrame, book: CouponBook) -> None:
    """Remember the expanded discounts of subscriptions (lines name them by id; items' are learnt as read)."""
    if "discounts" in subscriptions.columns:
        cells = subscriptions["discounts"].to_numpy()
        for i in np.flatnonzero(nonempty(cells)):
            for discount in cells[i]:
                book.learn(discount)


def _at(at: Any, now: int, first: int | None, function: str) -> int:
    if at is None:
        return now
    moment = instant_ns(at, "at")
    if moment > now:
        shown = pd.Timestamp(now, tz="UTC").strftime("%Y-%m-%d %H:%M")
        raise UsageError(f"{function}: --at {at} is after the data (fetched {shown} UTC); pass a date up to then")
    if first is not None and moment < first:
        shown = pd.Timestamp(first, tz="UTC").strftime("%Y-%m-%d")
        raise UsageError(f"{function}: --at {at} is before the data (the first subscription starts {shown}); "
                         f"pass a date from {shown} on")
    return moment


def _first_start(subscriptions: pd.DataFrame) -> int | None:
    if "start_date" not in subscriptions.columns or not subscriptions["start_date"].notna().any():
        return None
    return int(subscriptions["start_date"].min().value)


def mrr(subscriptions: pd.DataFrame, *, at: Any = None, by: str = "currency", invoices: pd.DataFrame | None = None,
        prices: pd.DataFrame | None = None, coupons: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None, to: str | None = None, rates: Any = None) -> pd.DataFrame:
    """MRR as Stripe defines it, per currency (and ``by`` product, price, customer or subscription).

    The monthly value of ``active`` and ``past_due`` subscriptions: licensed prices × quantity, normalised
    to a month (year ÷ 12, ``interval_count`` too), less ``forever`` coupons; no trials, taxes, metered or
    free prices. ``at`` (default: when the data was fetched) in an earlier month reads ``invoices`` (with
    ``prices``) when given, else the subscriptions as they stand. Amounts are minor units (``to_major()``
    converts them); ``to="usd"`` with ``rates=`` converts before summing across currencies.
    """
    if by not in _BY:
        raise UsageError(f"mrr: --by takes {', '.join(_BY)}; got {by!r}")
    inputs = Inputs(subscriptions, invoices, prices, coupons, customers)
    lines, subs, now = inputs.spans("mrr")
    moment = _at(at, now, _first_start(subscriptions), "mrr")
    current_month = int(month_starts(now, now)[0])
    spans = lines if lines is not None and moment < current_month else subs
    covering = spans[(spans["start"] <= moment) & (spans["end"] > moment)]
    group = ["customer", "currency"] + ([by] if by not in ("currency", "customer") else [])
    per = covering.groupby(group, dropna=False, sort=False, observed=True).agg(value=("value", "sum"),
                                                              subscriptions=("subscription", "nunique"))
    per = per.reset_index()
    for column in group:
        per[column] = per[column].astype(object)
    per["mrr"] = np.floor_divide(per["value"].to_numpy(dtype=np.int64) + MICRO // 2, MICRO)
    per = per[per["mrr"] != 0]
    if to is not None:
        from .money import convert_values

        per["mrr"] = convert_values(per["mrr"].to_numpy(), per["currency"].to_numpy(dtype=object), to, rates,
                                    np.full(len(per), moment), "mrr")
        per["currency"] = to.lower()
    keys = ["currency"] + ([by] if by != "currency" else [])
    out = per.groupby(keys, dropna=False, sort=False).agg(
        mrr=("mrr", "sum"), subscribers=("customer", "nunique"), subscriptions=("subscriptions", "sum"))
    out = out.reset_index().sort_values(["currency", "mrr"], ascending=[True, False], ignore_index=True)
    for column in ("mrr", "subscribers", "subscriptions"):
        out[column] = out[column].astype("Int64")
    for column in keys:
        out[column] = out[column].astype("string")
    out.attrs["stripe"] = {"at": pd.Timestamp(moment, tz="UTC").isoformat()}
    return declare_amounts(out, ["mrr"], "mrr")


def customer_mrr(inputs: Inputs, at: Any, function: str, to: str | None = None, rates: Any = None
                 ) -> ledger_module.Ledger:
    """Each customer's MRR at each month's end (the ledger), converted to ``to`` when asked."""
    lines, subs, now = inputs.spans(function)
    first = _first_start(inputs.subscriptions)
    moment = _at(at, now, first, function)
    book = ledger_module.build(lines, subs, moment, now, first)
    if to is not None:
        from .money import convert_values

        currencies = book.keys["currency"].to_numpy(dtype=object)
        for m in range(book.mrr.shape[1]):
            book.mrr[:, m] = convert_values(book.mrr[:, m], currencies, to, rates,
                                            np.full(len(currencies), book.snapshots[m]), function)
        book.keys["currency"] = to.lower()
    return book


def mrr_history(subscriptions: pd.DataFrame, invoices: pd.DataFrame | None = None,
                prices: pd.DataFrame | None = None, *, coupons: pd.DataFrame | None = None,
                customers: pd.DataFrame | None = None, at: Any = None, months: int | None = None,
                to: str | None = None, rates: Any = None) -> MrrHistory:
    """MRR at each month's end with the roll-forward: ``starting_mrr + new + expansion + reactivation −
    contraction − churned = mrr``, exactly, per currency; subscribers and churn rates beside.

    Past months come from ``invoices`` (line items, prorations included; needs ``prices``), the current
    month from the subscriptions. Without invoices every month is read from the subscriptions as they
    stand (upgrades and downgrades before their current items are then not seen). ``months``: the last N.
    ``.plot()`` draws the stacked movements and the MRR line.
    """
    _months(months, "mrr_history")
    book = customer_mrr(Inputs(subscriptions, invoices, prices, coupons, customers), at, "mrr_history", to, rates)
    frame = declare_amounts(history_frame(book, months), ["starting_mrr", *MOVEMENTS, "mrr"], "mrr_history")
    return MrrHistory.of(frame)


def change_log(subscriptions: pd.DataFrame, invoices: pd.DataFrame | None = None,
               prices: pd.DataFrame | None = None, *, coupons: pd.DataFrame | None = None,
               customers: pd.DataFrame | None = None, at: Any = None, months: int | None = None) -> pd.DataFrame:
    """One row per customer and month whose MRR changed: ``new``, ``upgrade``, ``downgrade``,
    ``reactivation`` or ``churn``, the signed ``amount``, MRR before and after, and the ``date`` it moved."""
    _months(months, "change_log")
    book = customer_mrr(Inputs(subscriptions, invoices, prices, coupons, customers), at, "change_log")
    return declare_amounts(change_log_frame(book, months), ["amount", "mrr_before", "mrr_after"], "mrr_change")


def _months(months: int | None, function: str) -> None:
    if months is not None and (isinstance(months, bool) or not isinstance(months, (int, np.integer))
                               or months < 1):
        raise UsageError(f"{function}: --months takes a positive whole number of months; got {months!r}")
