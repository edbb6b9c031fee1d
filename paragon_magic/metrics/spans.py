"""MRR spans: a value per month that holds from one instant to another, for one customer and currency.

Two sources, one shape (columns ``customer, currency, subscription, price, product, start, end, value``;
``start``/``end`` epoch ns, ``end`` exclusive; ``value`` in millionths of a minor unit, signed):

* :func:`subscription_spans` — the subscriptions as they stand: each licensed item of an ``active`` or
  ``past_due`` subscription (and of a ``canceled`` one until it ended, and of a ``trialing`` one from its
  trial's end) at its price × quantity, after ``forever`` coupons (item, subscription, else customer level).
* :func:`line_spans` — invoice line items: each subscription line holds its price × quantity over its
  service ``period``; a proration credit (negative amount) takes it away for its period, a proration charge
  adds the new price; a $0 line (trial, free price) holds nothing. Lines end when the subscription ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ._inputs import NO_END, require
from .pricing import MICRO, CouponBook, apply_coupons, monthly_factor, monthly_factors, per_interval_amount

__all__ = ["SPAN_COLUMNS", "subscription_spans", "line_spans", "COUNTED", "customer_coupons"]

SPAN_COLUMNS = ("customer", "currency", "subscription", "price", "product", "start", "end", "value")
#: Statuses whose subscriptions count, with canceled ones until they ended and trialing ones after the trial.
COUNTED = frozenset({"active", "past_due", "canceled", "trialing"})
_SUBSCRIPTION_COLUMNS = ("id", "customer", "status", "currency", "items.data", "start_date")


def _ns(series: pd.Series) -> np.ndarray:
    """Epoch ns of a datetime column (NaT -> the int64 minimum, test with ``== NAT``)."""
    return series.astype("datetime64[ns, UTC]").array.asi8.copy() if len(series) else np.empty(0, np.int64)


NAT = np.iinfo(np.int64).min


def customer_coupons(customers: pd.DataFrame | None, book: CouponBook) -> dict[str, Any]:
    """customer id -> its customer-level discount (an object with ``source.coupon``), learnt by ``book``."""
    if customers is None:
        return {}
    require(customers, ("id",), "customers", "mrr")
    if "discount.id" not in customers.columns:
        return {}
    found: dict[str, Any] = {}
    has = customers["discount.id"].notna().to_numpy()
    for row in customers.loc[has, [c for c in customers.columns if c.startswith("discount.") or c == "id"]
                             ].to_dict("records"):
        discount = {"id": row["discount.id"], "source.coupon": row.get("discount.source.coupon")}
        book.learn(discount)
        found[row["id"]] = discount
    return found


def subscription_spans(subscriptions: pd.DataFrame, book: CouponBook, customer_discounts: Mapping[str, Any],
                       function: str = "mrr") -> pd.DataFrame:
    """One span per licensed item of every subscription that counts (see the module docstring)."""
    subs = require(subscriptions, _SUBSCRIPTION_COLUMNS, "subscriptions", function)
    status = subs["status"].astype(object).to_numpy()
    keep = np.isin(status, list(COUNTED))
    start = _ns(subs["start_date"])
    trial_end = _ns(subs["trial_end"]) if "trial_end" in subs.columns else np.full(len(subs), NAT)
    ended = _ns(subs["ended_at"]) if "ended_at" in subs.columns else np.full(len(subs), NAT)
    if "canceled_at" in subs.columns:
        canceled = _ns(subs["canceled_at"])
        ended = np.where((ended == NAT) & (status == "canceled"), canceled, ended)
    begin = np.maximum(start, np.where(trial_end == NAT, start, trial_end))
    end = np.where(ended == NAT, NO_END, ended)
    keep &= begin < end
    rows = np.flatnonzero(keep)
    ids = subs["id"].astype(object).to_numpy()
    customers = subs["customer"].astype(object).to_numpy()
    currencies = subs["currency"].astype(object).to_numpy()
    items = subs["items.data"].to_numpy()
    discounts = subs["discounts"].to_numpy() if "discounts" in subs.columns else np.full(len(subs), None)
    out: dict[str, list[Any]] = {c: [] for c in SPAN_COLUMNS}
    for i in rows:
        currency = str(currencies[i]).lower()
        values, prices, products = _item_values(items[i], currency, book, ids[i])
        if not values:
            continue
        coupons = _subscription_coupons(discounts[i], customer_discounts.get(customers[i]), book)
        total = sum(v for v, _ in values)
        if coupons and total > 0:
            ratio = apply_coupons(total, coupons, currency) / total
        else:
            ratio = 1.0
        for (amount, factor), price, product in zip(values, prices, products):
            out["customer"].append(customers[i])
            out["currency"].append(currency)
            out["subscription"].append(ids[i])
            out["price"].append(price)
            out["product"].append(product)
            out["start"].append(begin[i])
            out["end"].append(end[i])
            out["value"].append(round(amount * ratio * factor * MICRO))
    return _frame(out)


def _item_values(items: Any, currency: str, book: CouponBook, subscription: Any
                 ) -> tuple[list[tuple[float, float]], list[Any], list[Any]]:
    """(amount per interval after item coupons, months factor), price id, product id of each licensed item."""
    values: list[tuple[float, float]] = []
    prices: list[Any] = []
    products: list[Any] = []
    if not isinstance(items, (list, tuple)):
        return values, prices, products
    for item in items:
        price = item.get("price") or item.get("plan")
        if not isinstance(price, Mapping):
            raise UsageError(f"mrr: the items of subscription {subscription} name their price by id only; pass "
                             "the frame of list_subscriptions as Stripe returns it (items carry their price)")
        recurring = price.get("recurring") or {}
        interval = recurring.get("interval", price.get("interval"))
        count = recurring.get("interval_count", price.get("interval_count"))
        usage = recurring.get("usage_type", price.get("usage_type"))
        if usage == "metered" or recurring.get("meter") or price.get("meter"):
            continue
        quantity = item.get("quantity")
        quantity = 1 if quantity is None else quantity
        amount = per_interval_amount(_in_currency(price, currency), float(quantity))
        item_coupons = [c for c in (book.resolve(d) for d in item.get("discounts") or []) if c is not None]
        amount = apply_coupons(amount, item_coupons, currency)
        values.append((amount, monthly_factor(interval, count)))
        prices.append(price.get("id"))
        product = price.get("product")
        products.append(product.get("id") if isinstance(product, Mapping) else product)
    return values, prices, products


def _in_currency(price: Mapping[str, Any], currency: str) -> Mapping[str, Any]:
    """The price as charged in ``currency`` (its ``currency_options`` when the subscription is in another)."""
    if str(price.get("currency") or currency).lower() == currency:
        return price
    option = (price.get("currency_options") or {}).get(currency)
    return {**price, **option} if isinstance(option, Mapping) else price


def _subscription_coupons(discounts: Any, customer_discount: Any, book: CouponBook) -> list[Any]:
    """The subscription's own discounts; the customer's discount only when the subscription has none."""
    own = list(discounts) if isinstance(discounts, (list, tuple)) else []
    chosen = own or ([customer_discount] if customer_discount is not None else [])
    return [c for c in (book.resolve(d) for d in chosen) if c is not None]


def _frame(out: Mapping[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(out[c], dtype=object) for c in SPAN_COLUMNS[:5]})
    for c in ("start", "end", "value"):
        frame[c] = np.asarray(out[c], dtype=np.int64)
    return frame


# -- invoice lines ----------------------------------------------------------------------------------------

_LINE_SUBSCRIPTION = ("parent.subscription_item_details.subscription", "parent.invoice_item_details.subscription",
                      "subscription")
_PRICE_COLUMNS = ("id", "currency", "recurring.interval", "recurring.interval_count")


def as_lines(invoices: pd.DataFrame, function: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(line items, invoices or None) from either an invoices frame or its exploded ``lines.data``."""
    if isinstance(invoices, pd.DataFrame) and "lines.data" in invoices.columns:
        lines = invoices.stripe.explode("lines.data")
        return lines, invoices
    require(invoices, ("period.start", "period.end", "amount", "pricing.price_details.price"), "invoices", function)
    return invoices, None


def line_spans(invoices: pd.DataFrame, prices: pd.DataFrame, subscriptions: pd.DataFrame, book: CouponBook,
               function: str = "mrr_history") -> pd.DataFrame:
    """One span per subscription line item of a recurring, licensed price (see the module docstring)."""
    lines, parents = as_lines(invoices, function)
    require(prices, _PRICE_COLUMNS, "prices", function)
    require(subscriptions, ("id", "customer"), "subscriptions", function)
    if parents is not None and "status" in parents.columns and len(lines):
        void = set(parents.loc[parents["status"] == "void", "id"].astype(object))
        if void:
            lines = lines[~lines["parent_id"].astype(object).isin(void).to_numpy()]
    subscription = _first_present(lines, _LINE_SUBSCRIPTION)
    amount = lines["amount"].to_numpy(dtype="float64", na_value=0.0)
    quantity = lines["quantity"].to_numpy(dtype="float64", na_value=1.0) if "quantity" in lines.columns \
        else np.ones(len(lines))
    price_ids = lines["pricing.price_details.price"]
    price_index = pd.Index(prices["id"].astype(object))
    at = price_index.get_indexer(price_ids.astype(object))
    known = at >= 0
    factor = np.where(known, monthly_factors(prices["recurring.interval"], prices["recurring.interval_count"])[at], 0)
    metered = _metered(prices)[at] & known
    usable = known & (factor > 0) & ~metered & (amount != 0) & subscription.notna().to_numpy()
    per = _per_interval(lines, prices, at, quantity)
    share = _forever_share(lines, amount, book)
    value = np.sign(amount) * per * (1.0 - share) * factor * MICRO
    rows = np.flatnonzero(usable)

    sub_ids = subscription.astype(object).to_numpy()[rows]
    subs = subscriptions.drop_duplicates("id")
    sub_index = pd.Index(subs["id"].astype(object))
    where = sub_index.get_indexer(sub_ids)
    customer = np.where(where >= 0, subs["customer"].astype(object).to_numpy()[where], None)
    if parents is not None and (where < 0).any():
        owner = pd.Series(parents["customer"].astype(object).to_numpy(), index=parents["id"].astype(object))
        fallback = lines["parent_id"].astype(object).map(owner).to_numpy()[rows]
        customer = np.where(where >= 0, customer, fallback)
    ended = _ns(subs["ended_at"]) if "ended_at" in subs.columns else np.full(len(subs), NAT)
    ended = np.where(ended == NAT, NO_END, ended)
    stop = np.minimum(_ns(lines["period.end"])[rows], np.where(where >= 0, ended[where], NO_END))
    product = prices["product"].astype(object).to_numpy()[at[rows]] if "product" in prices.columns \
        else np.full(len(rows), None)
    frame = pd.DataFrame({
        "customer": customer, "currency": lines["currency"].astype(object).str.lower().to_numpy()[rows],
        "subscription": sub_ids, "price": price_ids.astype(object).to_numpy()[rows], "product": product,
    })
    frame["start"] = _ns(lines["period.start"])[rows]
    frame["end"] = stop
    frame["value"] = np.rint(value[rows]).astype(np.int64)
    return frame[(frame["start"] < frame["end"]).to_numpy() & frame["customer"].notna().to_numpy()]


def _first_present(lines: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    found: pd.Series | None = None
    for column in columns:
        if column in lines.columns:
            found = lines[column] if found is None else found.fillna(lines[column])
    if found is None:
        raise UsageError("mrr_history: the invoice lines name no subscription (no 'parent.subscription_item_details."
                         "subscription' column); pass the frame of list_invoices as Stripe returns it")
    return found


def _metered(prices: pd.DataFrame) -> np.ndarray:
    usage = prices["recurring.usage_type"].astype(object) if "recurring.usage_type" in prices.columns \
        else pd.Series(None, index=prices.index, dtype=object)
    meter = prices["recurring.meter"].notna() if "recurring.meter" in prices.columns else False
    return ((usage == "metered") | meter).to_numpy(dtype=bool)


def _per_interval(lines: pd.DataFrame, prices: pd.DataFrame, at: np.ndarray, quantity: np.ndarray) -> np.ndarray:
    """A line's full-interval amount before discounts: its unit amount × quantity (tiered prices priced whole)."""
    if "pricing.unit_amount_decimal" in lines.columns:
        unit = pd.to_numeric(lines["pricing.unit_amount_decimal"], errors="coerce").to_numpy(dtype="float64")
    else:
        unit = np.full(len(lines), np.nan)
    price_unit = pd.to_numeric(prices.get("unit_amount_decimal", prices.get("unit_amount")), errors="coerce")
    if "unit_amount" in prices.columns:
        price_unit = price_unit.fillna(pd.to_numeric(prices["unit_amount"], errors="coerce"))
    fallback = np.where(at >= 0, price_unit.to_numpy(dtype="float64", na_value=np.nan)[at], np.nan)
    per = np.where(np.isnan(unit), fallback, unit) * quantity
    if "billing_scheme" in prices.columns:
        tiered = np.flatnonzero((prices["billing_scheme"].astype(object) == "tiered").to_numpy()[at] & (at >= 0))
        records = prices.to_dict("records") if len(tiered) else []
        for i in tiered:
            per[i] = per_interval_amount(records[at[i]], quantity[i])
    return np.nan_to_num(per)


def _forever_share(lines: pd.DataFrame, amount: np.ndarray, book: CouponBook) -> np.ndarray:
    """The share of each line's amount taken off by ``forever`` coupons (0 where it has no discount)."""
    share = np.zeros(len(lines))
    if "discount_amounts" not in lines.columns:
        return share
    cells = lines["discount_amounts"].to_numpy()
    for i in [i for i, cell in enumerate(cells) if isinstance(cell, (list, tuple)) and cell]:
        off = 0.0
        for entry in cells[i]:
            coupon = book.resolve(entry.get("discount"), strict=False)
            if coupon is not None and coupon.forever:
                off += float(entry.get("amount") or 0)
        share[i] = off / amount[i] if amount[i] else 0.0
    return share
