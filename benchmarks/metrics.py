"""MRR history of 100k subscriptions over 36 months (target ≤ 2 s): ``paragon_magic.metrics.mrr_history``.

Seeded business: ``--n`` subscriptions starting over the first 24 of 36 months (85% monthly over 10 prices,
15% yearly over 3), quantities 1–5, 20% canceled later, 10% upgraded once mid-period (a proration credit
and charge). Inputs are what the frames would be: the subscriptions through ``paragon_magic.frames.to_frame``,
the invoice lines (about 2.5M at 100k) built column by column with exactly the columns and dtypes
``invoices.stripe.explode("lines.data")`` gives (checked against ``to_frame`` on a sample first), the prices
through ``to_frame``. Generation is not timed; each timing is the best of ``--repeat`` runs.

Usage: ``python -m benchmarks.metrics [--n 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from paragon_magic import metrics
from paragon_magic.frames import to_frame

MONTHS = 36
NOW = np.datetime64("2026-01-15T00:00:00", "s")
FIRST = np.datetime64("2023-01", "M")
LINE_COLUMNS = ("parent_id", "id", "amount", "currency", "period.start", "period.end", "discount_amounts",
                "parent.invoice_item_details.subscription", "parent.subscription_item_details.proration",
                "parent.subscription_item_details.subscription", "pricing.price_details.price",
                "pricing.unit_amount_decimal", "quantity", "subscription")


def make_prices() -> list[dict[str, Any]]:
    out = []
    for n in range(13):
        yearly = n >= 10
        out.append({"id": f"price_{n}", "object": "price", "active": True, "billing_scheme": "per_unit",
                    "created": 1_600_000_000, "currency": "usd", "livemode": False, "product": f"prod_{n % 4}",
                    "recurring": {"interval": "year" if yearly else "month", "interval_count": 1,
                                  "usage_type": "licensed", "meter": None},
                    "type": "recurring", "unit_amount": (n + 1) * (9900 if yearly else 990),
                    "unit_amount_decimal": str((n + 1) * (9900 if yearly else 990))})
    return out


def make_business(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    prices = make_prices()
    unit = np.array([p["unit_amount"] for p in prices])
    yearly = rng.random(n) < 0.15
    price = np.where(yearly, rng.integers(10, 13, n), rng.integers(0, 9, n))
    quantity = rng.integers(1, 6, n)
    step = np.where(yearly, 12, 1)
    start_month = rng.integers(0, 24, n)
    day = rng.integers(1, 29, n)
    start = _moment(start_month, day)
    canceled = rng.random(n) < 0.20
    end_month = np.minimum(start_month + rng.integers(1, 14, n), MONTHS - 1)
    end = np.where(canceled, _moment(end_month, day) + 3 * 86_400, np.iinfo(np.int64).max)
    canceled &= end < NOW.astype(np.int64)
    end = np.where(canceled, end, np.iinfo(np.int64).max)
    upgraded = (rng.random(n) < 0.10) & ~yearly & (start_month < 20)
    upgrade_at = _moment(start_month + 2, np.minimum(day + 10, 28)) + 3600
    upgraded &= upgrade_at < np.minimum(end, NOW.astype(np.int64))
    new_price = price + 1

    periods = np.zeros(n, dtype=np.int64)  # periods begun before now and before the end
    horizon = np.minimum(end, NOW.astype(np.int64))
    for k in range(MONTHS + 1):
        begun = _moment(start_month + k * step, day) < horizon
        periods += begun
    sub_of = np.repeat(np.arange(n), periods)
    k = np.arange(len(sub_of)) - np.repeat(np.cumsum(periods) - periods, periods)
    p_start = _moment(start_month[sub_of] + k * step[sub_of], day[sub_of])
    p_end = _moment(start_month[sub_of] + (k + 1) * step[sub_of], day[sub_of])
    after = upgraded[sub_of] & (p_start >= upgrade_at[sub_of])
    line_price = np.where(after, new_price[sub_of], price[sub_of])
    # the proration pair of each upgrade: credit the old price, charge the new, to the period's end
    up = np.flatnonzero(upgraded)
    month_of_upgrade = start_month[up] + 2 - (_moment(start_month[up] + 2, day[up]) > upgrade_at[up])
    pr_end = _moment(month_of_upgrade + 1, day[up])
    pr_start = _moment(month_of_upgrade, day[up])
    share = (pr_end - upgrade_at[up]) / (pr_end - pr_start)
    subs_ids = np.array([f"sub_{i:06d}" for i in range(n)], dtype=object)
    lines = {
        "sub": np.concatenate([sub_of, up, up]),
        "start": np.concatenate([p_start, upgrade_at[up], upgrade_at[up]]),
        "end": np.concatenate([p_end, pr_end, pr_end]),
        "price": np.concatenate([line_price, price[up], new_price[up]]),
        "amount": np.concatenate([unit[line_price] * quantity[sub_of],
                                  -np.rint(unit[price[up]] * quantity[up] * share).astype(np.int64),
                                  np.rint(unit[new_price[up]] * quantity[up] * share).astype(np.int64)]),
        "proration": np.concatenate([np.zeros(len(sub_of), bool), np.ones(2 * len(up), bool)]),
    }
    lines["quantity"] = quantity[lines["sub"]]
    subscriptions = []
    for i in range(n):
        final = new_price[i] if upgraded[i] else price[i]
        subscriptions.append({
            "id": subs_ids[i], "object": "subscription", "customer": f"cus_{i:06d}",
            "status": "canceled" if canceled[i] else "active", "currency": "usd", "created": int(start[i]),
            "start_date": int(start[i]), "ended_at": int(end[i]) if canceled[i] else None,
            "canceled_at": int(end[i]) if canceled[i] else None, "trial_end": None, "discounts": [],
            "cancellation_details": {"reason": "cancellation_requested" if canceled[i] else None},
            "items": {"object": "list", "has_more": False, "data": [
                {"id": f"si_{i:06d}", "object": "subscription_item", "quantity": int(quantity[i]),
                 "price": prices[final], "discounts": []}]},
        })
    return {"prices": prices, "unit": unit, "lines": lines, "subs_ids": subs_ids, "subscriptions": subscriptions}


def _moment(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Epoch seconds of day ``day`` of month ``month`` (counted from 2023-01)."""
    dates = (FIRST + np.asarray(month)).astype("datetime64[D]") + (np.asarray(day) - 1)
    return dates.astype("datetime64[s]").astype(np.int64)


def lines_frame(business: dict[str, Any]) -> pd.DataFrame:
    raw = business["lines"]
    count = len(raw["sub"])
    sub = pd.array(business["subs_ids"][raw["sub"]], dtype="string")
    price_ids = np.array([p["id"] for p in business["prices"]], dtype=object)
    unit = np.array([p["unit_amount_decimal"] for p in business["prices"]], dtype=object)
    stamp = lambda s: pd.to_datetime(s, unit="s", utc=True).astype("datetime64[ns, UTC]")  # noqa: E731
    return pd.DataFrame({
        "parent_id": pd.array([f"in_{i}" for i in range(count)], dtype="string"),
        "id": pd.array([f"il_{i}" for i in range(count)], dtype="string"),
        "amount": pd.array(raw["amount"], dtype="Int64"),
        "currency": pd.array(np.full(count, "usd", dtype=object), dtype="string"),
        "period.start": stamp(raw["start"]), "period.end": stamp(raw["end"]),
        "discount_amounts": pd.Series([[]] * count, dtype=object),
        "parent.invoice_item_details.subscription": pd.array([None] * count, dtype="string"),
        "parent.subscription_item_details.proration": pd.array(raw["proration"], dtype="boolean"),
        "parent.subscription_item_details.subscription": sub,
        "pricing.price_details.price": pd.array(price_ids[raw["price"]], dtype="string"),
        "pricing.unit_amount_decimal": pd.array(unit[raw["price"]], dtype="string"),
        "quantity": pd.array(raw["quantity"], dtype="Int64"),
        "subscription": sub,
    })


def check_shape(lines: pd.DataFrame) -> None:
    """The hand-built columns have the dtypes the real line items frame has."""
    sample = {"id": "in_0", "object": "invoice", "lines": {"object": "list", "has_more": False, "data": [{
        "id": "il_0", "object": "line_item", "amount": 990, "currency": "usd", "discount_amounts": [],
        "period": {"start": 1_700_000_000, "end": 1_702_592_000}, "quantity": 1, "subscription": "sub_0",
        "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                   "subscription_item_details": {"subscription": "sub_0", "proration": False,
                                                 "subscription_item": "si_0"}},
        "pricing": {"type": "price_details", "unit_amount_decimal": "990",
                    "price_details": {"price": "price_0", "product": "prod_0"}}}]}}
    real = to_frame([sample], "invoice").stripe.explode("lines.data")
    for column in LINE_COLUMNS:
        assert str(real[column].dtype) == str(lines[column].dtype), (column, real[column].dtype, lines[column].dtype)


def best(repeat: int, call: Any) -> tuple[float, float, Any]:
    """(best wall seconds, best CPU seconds of this process, result): CPU time shows the work when other
    processes share the cores."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    business = make_business(args.n)
    subscriptions = to_frame(business["subscriptions"], "subscription")
    fetched = pd.Timestamp(NOW.astype("datetime64[ns]"), tz="UTC").isoformat()
    subscriptions.attrs.setdefault("stripe", {})["fetched_at"] = fetched
    prices = to_frame(business["prices"], "price")
    lines = lines_frame(business)
    check_shape(lines)
    print(f"generated {len(subscriptions):,} subscriptions, {len(lines):,} invoice lines "
          f"({int(lines['parent.subscription_item_details.proration'].sum()):,} prorations) "
          f"in {time.perf_counter() - began:.1f} s")
    wall, cpu, history = best(args.repeat, lambda: metrics.mrr_history(subscriptions, lines, prices))
    moved = history["new"] + history["expansion"] + history["reactivation"] - history["contraction"] - history[
        "churned"]
    assert (history["starting_mrr"] + moved == history["mrr"]).all()
    print(f"mrr_history  {wall:6.2f} s wall  {cpu:6.2f} s CPU  ({len(history)} months; target ≤ 2 s: "
          f"{wall / 2:.2f}× the budget)")
    for name, call in (("mrr (now)", lambda: metrics.mrr(subscriptions)),
                       ("change_log", lambda: metrics.change_log(subscriptions, lines, prices)),
                       ("cohorts", lambda: metrics.cohorts(subscriptions, lines, prices))):
        wall, cpu, result = best(args.repeat, call)
        print(f"{name:<12} {wall:6.2f} s wall  {cpu:6.2f} s CPU  ({len(result):,} rows)")
    print(f"load average while running: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
