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

from .. import accessor as _accessor  # noqa: F401  (registers df.stripe, used by as_lines)
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
    id_code, id_values = pd.factorize(subs["id"])
    customer_code, customer_values = pd.factorize(subs["customer"])
    currency_code, currency_values = pd.factorize(subs["currency"].str.lower())
    ids = np.asarray(id_values, dtype=object)[id_code]
    customers = np.asarray(customer_values, dtype=object)[customer_code]
    currencies = np.asarray(currency_values, dtype=object)[currency_code]
    items = subs["items.data"].to_numpy()
    discounts = subs["discounts"].to_numpy() if "discounts" in subs.columns else np.full(len(subs), None)
    at, amount, factor, prices, products = _items(rows, items, currencies, ids, book)
    ratio = np.ones(len(at))
    counted = np.unique(at)
    discounted = nonempty(discounts)
    if customer_discounts:
        discounted |= np.isin(customers, list(customer_discounts))
    with_discounts = counted[discounted[counted]]
    coupons = {i: c for i in with_discounts if (c := _subscription_coupons(
        discounts[i], customer_discounts.get(customers[i]), book))}
    if coupons:
        totals = pd.Series(amount).groupby(at).sum()
        for i, chosen in coupons.items():
            before = float(totals.get(i, 0.0))
            if before > 0:
                ratio[at == i] = apply_coupons(before, chosen, currencies[i]) / before
    frame = pd.DataFrame({
        "customer": _categorical(customer_code[at], customer_values),
        "currency": _categorical(currency_code[at], currency_values),
        "subscription": _categorical(id_code[at], id_values),
        "price": pd.Categorical(np.asarray(prices, dtype=object)),
        "product": pd.Categorical(np.asarray(products, dtype=object)),
    })
    frame["start"] = begin[at].astype(np.int64)
    frame["end"] = end[at].astype(np.int64)
    frame["value"] = np.rint(amount * ratio * factor * MICRO).astype(np.int64)
    return frame


def nonempty(cells: np.ndarray) -> np.ndarray:
    """Which cells of a list column hold a non-empty list (None, NaN and ``[]`` do not)."""
    try:  # lists everywhere (the usual frame): their lengths in one C loop
        return np.fromiter(map(len, cells), dtype=np.int64, count=len(cells)) > 0
    except TypeError:  # some rows hold None or NaN
        return np.fromiter((c.__class__ in (list, tuple) and len(c) > 0 for c in cells), dtype=bool,
                           count=len(cells))


def _categorical(codes: np.ndarray, values: Any) -> pd.Categorical:
    """Codes into ``values`` (from ``pd.factorize``) as a Categorical, without touching each row's string."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=pd.Index(values))


def _items(rows: np.ndarray, items: np.ndarray, currencies: np.ndarray, ids: np.ndarray, book: CouponBook
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any], list[Any]]:
    """Per licensed item: its subscription's row, amount per interval after item coupons, months factor,
    price id and product id. Each price is read once per currency."""
    at: list[int] = []
    amount: list[float] = []
    factor: list[float] = []
    prices: list[Any] = []
    products: list[Any] = []
    known: dict[tuple[Any, str], tuple[float | None, float, bool, Any]] = {}
    for i in rows:
        cell = items[i]
        if not isinstance(cell, (list, tuple)):
            continue
        currency = currencies[i]
        for item in cell:
            price = item.get("price") or item.get("plan")
            if price.__class__ is not dict and not isinstance(price, Mapping):
                raise UsageError(f"mrr: the items of subscription {ids[i]} name their price by id only; pass the "
                                 "frame of list_subscriptions as Stripe returns it (items carry their price)")
            key = (price.get("id"), currency)
            info = known.get(key)
            if info is None:
                info = known[key] = _price_info(price, currency)
            unit, months_factor, metered, product = info
            if metered:
                continue
            quantity = item.get("quantity")
            quantity = 1 if quantity is None else quantity
            value = unit * quantity if unit is not None else per_interval_amount(_in_currency(price, currency),
                                                                                  float(quantity))
            if item.get("discounts"):
                for discount in item["discounts"]:
                    book.learn(discount)
                chosen = [c for c in (book.resolve(d) for d in item["discounts"]) if c is not None]
                value = apply_coupons(value, chosen, currency)
            at.append(i)
            amount.append(value)
            factor.append(months_factor)
            prices.append(key[0])
            products.append(product)
    return (np.asarray(at, dtype=np.int64), np.asarray(amount, dtype="float64"), np.asarray(factor, dtype="float64"),
            prices, products)


def _price_info(price: Mapping[str, Any], currency: str) -> tuple[float | None, float, bool, Any]:
    """(unit amount when a plain per-unit price, else None; months factor; metered; product id)."""
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval", price.get("interval"))
    count = recurring.get("interval_count", price.get("interval_count"))
    usage = recurring.get("usage_type", price.get("usage_type"))
    metered = usage == "metered" or bool(recurring.get("meter") or price.get("meter"))
    product = price.get("product")
    product = product.get("id") if isinstance(product, Mapping) else product
    in_currency = _in_currency(price, currency)
    simple = in_currency.get("billing_scheme") != "tiered" and not in_currency.get("transform_quantity")
    unit = per_interval_amount(in_currency, 1.0) if simple else None
    return unit, monthly_factor(interval, count), metered, product


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
        void = set(parents.loc[(parents["status"] == "void").fillna(False).to_numpy(), "id"].astype(object))
        if void:
            lines = lines[~lines["parent_id"].astype(object).isin(void).to_numpy()]
    sub_code, sub_ids = pd.factorize(_first_present(lines, _LINE_SUBSCRIPTION), use_na_sentinel=True)
    price_code, price_ids = pd.factorize(lines["pricing.price_details.price"], use_na_sentinel=True)
    amount = lines["amount"].to_numpy(dtype="float64", na_value=0.0)
    quantity = lines["quantity"].to_numpy(dtype="float64", na_value=1.0) if "quantity" in lines.columns \
        else np.ones(len(lines))
    # what each distinct price says, looked up once
    at_price = pd.Index(prices["id"].astype(object)).get_indexer(np.asarray(price_ids, dtype=object))
    known = at_price >= 0
    factors = monthly_factors(prices["recurring.interval"], prices["recurring.interval_count"])
    price_factor = np.where(known, factors[at_price], 0.0)
    price_usable = known & (price_factor > 0) & ~(_metered(prices)[at_price] & known)
    line_price = np.where(price_code >= 0, price_code, 0)
    usable = (price_code >= 0) & (sub_code >= 0) & (amount != 0)
    usable &= price_usable[line_price] if len(price_ids) else False
    per = _per_interval(lines, prices, at_price, price_code, quantity)
    share = _forever_share(lines, amount, book)
    value = np.sign(amount) * per * (1.0 - share) * price_factor[line_price] * MICRO if len(price_ids) else amount
    rows = np.flatnonzero(usable)

    subs = subscriptions.drop_duplicates("id")
    where = pd.Index(subs["id"]).get_indexer(sub_ids)
    ended = _ns(subs["ended_at"]) if "ended_at" in subs.columns else np.full(len(subs), NAT)
    ended = np.where(ended == NAT, NO_END, ended)
    sub_end = np.where(where >= 0, ended[where], NO_END)
    line_sub = sub_code[rows]
    owner_code, owners = pd.factorize(subs["customer"])
    sub_owner = np.where(where >= 0, owner_code[where], -1)
    if parents is not None and (where < 0).any():  # a subscription the frame lacks: the invoice's customer
        by_invoice = pd.Series(parents["customer"].astype(object).to_numpy(), index=parents["id"].astype(object))
        missing = sub_owner[line_sub] < 0
        fallback = lines["parent_id"].astype(object).to_numpy()[rows][missing]
        known_owners = pd.Index(np.asarray(owners, dtype=object))
        extra = pd.Index(pd.unique(pd.Series(fallback).map(by_invoice).dropna().to_numpy(dtype=object)))
        extra = extra.difference(known_owners)
        owners = known_owners.append(extra)
        customer_code = sub_owner[line_sub]
        customer_code[missing] = owners.get_indexer(pd.Series(fallback).map(by_invoice).to_numpy(dtype=object))
    else:
        customer_code = sub_owner[line_sub]
    currency_code, currencies = pd.factorize(lines["currency"])
    currencies = pd.Index(currencies).str.lower()
    product = (prices["product"].astype(object).to_numpy()[np.where(known, at_price, 0)] if "product" in prices.columns
               else np.full(len(price_ids), None))
    product = np.where(known, product, None)
    product_code, products = pd.factorize(product)
    frame = pd.DataFrame({
        "customer": _categorical(customer_code, owners),
        "currency": _categorical(currency_code[rows], currencies) if currencies.is_unique
        else pd.Categorical(np.asarray(currencies, dtype=object)[currency_code[rows]]),
        "subscription": _categorical(line_sub, sub_ids),
        "price": _categorical(price_code[rows], price_ids),
        "product": _categorical(product_code[price_code[rows]], products),
    })
    frame["start"] = _ns(lines["period.start"])[rows]
    frame["end"] = np.minimum(_ns(lines["period.end"])[rows], sub_end[line_sub])
    frame["value"] = np.rint(value[rows]).astype(np.int64)
    return frame[(frame["start"].to_numpy() < frame["end"].to_numpy()) & frame["customer"].notna().to_numpy()]


def _first_present(lines: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    found: pd.Series | None = None
    for column in columns:
        if column not in lines.columns:
            continue
        if found is None:
            found = lines[column]
        else:
            missing = found.isna().to_numpy()
            if missing.any():
                found = found.where(~missing, lines[column])
    if found is None:
        raise UsageError("mrr_history: the invoice lines name no subscription (no 'parent.subscription_item_details."
                         "subscription' column); pass the frame of list_invoices as Stripe returns it")
    return found


def _metered(prices: pd.DataFrame) -> np.ndarray:
    usage = prices["recurring.usage_type"].astype(object) if "recurring.usage_type" in prices.columns \
        else pd.Series(None, index=prices.index, dtype=object)
    meter = prices["recurring.meter"].notna() if "recurring.meter" in prices.columns else False
    return ((usage == "metered") | meter).to_numpy(dtype=bool)


def _per_interval(lines: pd.DataFrame, prices: pd.DataFrame, at_price: np.ndarray, price_code: np.ndarray,
                  quantity: np.ndarray) -> np.ndarray:
    """A line's full-interval amount before discounts: its unit amount × quantity (tiered prices priced whole)."""
    unit = np.full(len(lines), np.nan)
    if "pricing.unit_amount_decimal" in lines.columns:
        code, decimals = pd.factorize(lines["pricing.unit_amount_decimal"], use_na_sentinel=True)
        parsed = pd.to_numeric(pd.Series(np.asarray(decimals, dtype=object)), errors="coerce").to_numpy("float64")
        unit = np.where(code >= 0, parsed[np.maximum(code, 0)] if len(parsed) else np.nan, np.nan)
    price_unit = pd.Series(np.nan, index=prices.index)
    for column in ("unit_amount_decimal", "unit_amount"):
        if column in prices.columns:
            price_unit = price_unit.fillna(pd.to_numeric(prices[column], errors="coerce"))
    by_price = np.where(at_price >= 0, price_unit.to_numpy("float64")[np.maximum(at_price, 0)], np.nan) \
        if len(at_price) else np.empty(0)
    fallback = np.where(price_code >= 0, by_price[np.maximum(price_code, 0)], np.nan) if len(by_price) else unit
    per = np.where(np.isnan(unit), fallback, unit) * quantity
    if "billing_scheme" in prices.columns and len(at_price):
        tiered_price = (prices["billing_scheme"].astype(object) == "tiered").to_numpy()[np.maximum(at_price, 0)]
        tiered_price &= at_price >= 0
        tiered = np.flatnonzero((price_code >= 0) & tiered_price[np.maximum(price_code, 0)])
        records = prices.to_dict("records") if len(tiered) else []
        for i in tiered:
            per[i] = per_interval_amount(records[at_price[price_code[i]]], quantity[i])
    return np.nan_to_num(per)


def _forever_share(lines: pd.DataFrame, amount: np.ndarray, book: CouponBook) -> np.ndarray:
    """The share of each line's amount taken off by ``forever`` coupons (0 where it has no discount)."""
    share = np.zeros(len(lines))
    if "discount_amounts" not in lines.columns:
        return share
    cells = lines["discount_amounts"].to_numpy()
    for i in np.flatnonzero(nonempty(cells)):
        off = 0.0
        for entry in cells[i]:
            coupon = book.resolve(entry.get("discount"), strict=False)
            if coupon is not None and coupon.forever:
                off += float(entry.get("amount") or 0)
        share[i] = off / amount[i] if amount[i] else 0.0
    return share
