"""The MRR roll-forward (Stripe's movements) and each customer's change log, from a :class:`Ledger`.

For each customer (and currency), from one month's end to the next:

* **new** — from nothing to some MRR, the first time ever; **reactivation** — from nothing to some MRR
  after having had MRR before; **expansion** / **contraction** — from some MRR to more / less;
  **churned** — from some MRR to nothing (the MRR lost).

So ``starting_mrr + new + expansion + reactivation − contraction − churned = mrr`` holds exactly, every month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .ledger import Ledger
from .pricing import MICRO

__all__ = ["MOVEMENTS", "classify", "history_frame", "change_log_frame"]

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churned")


def classify(mrr: np.ndarray) -> dict[str, np.ndarray]:
    """Per customer and month, each movement's amount (positive), and the start of month MRR."""
    start = np.zeros_like(mrr)
    start[:, 1:] = mrr[:, :-1]
    ever = np.zeros(mrr.shape, dtype=bool)  # had MRR at some month's end before the previous one
    ever[:, 2:] = np.maximum.accumulate(mrr[:, :-2] > 0, axis=1)
    up = (start == 0) & (mrr > 0)
    delta = mrr - start
    return {
        "starting_mrr": start,
        "new": np.where(up & ~ever, mrr, 0),
        "reactivation": np.where(up & ever, mrr, 0),
        "expansion": np.where((start > 0) & (delta > 0), delta, 0),
        "contraction": np.where((start > 0) & (mrr > 0) & (delta < 0), -delta, 0),
        "churned": np.where((start > 0) & (mrr == 0), start, 0),
    }


def history_frame(ledger: Ledger, months: int | None) -> pd.DataFrame:
    """One row per month and currency: starting MRR, the movements, MRR, subscribers and churn rates."""
    moves = classify(ledger.mrr)
    window = ledger.window(months)
    currencies = ledger.keys["currency"].to_numpy(dtype=object)
    rows = []
    for currency in pd.unique(currencies):
        mine = currencies == currency
        sums = {name: table[mine][:, window].sum(axis=0) for name, table in moves.items()}
        mrr = ledger.mrr[mine][:, window]
        start = moves["starting_mrr"][mine][:, window]
        frame = pd.DataFrame({"month": ledger.months[window], "currency": currency,
                              "starting_mrr": sums["starting_mrr"]})
        for name in MOVEMENTS:
            frame[name] = sums[name]
        frame["mrr"] = mrr.sum(axis=0)
        frame["subscribers"] = (mrr > 0).sum(axis=0)
        frame["new_subscribers"] = ((moves["new"][mine][:, window] > 0)
                                    | (moves["reactivation"][mine][:, window] > 0)).sum(axis=0)
        frame["churned_subscribers"] = (moves["churned"][mine][:, window] > 0).sum(axis=0)
        starting = (start > 0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["subscriber_churn_rate"] = np.where(starting > 0, frame["churned_subscribers"] / starting, np.nan)
            base = frame["starting_mrr"].to_numpy(dtype="float64")
            lost = (frame["churned"] + frame["contraction"]).to_numpy(dtype="float64")
            frame["revenue_churn_rate"] = np.where(base > 0, lost / base, np.nan)
            frame["net_revenue_churn_rate"] = np.where(
                base > 0, (lost - frame["expansion"].to_numpy(dtype="float64")) / base, np.nan)
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=["month", "currency", "starting_mrr", *MOVEMENTS, "mrr"])
    out = pd.concat(rows, ignore_index=True).sort_values(["month", "currency"], kind="stable", ignore_index=True)
    for column in ("starting_mrr", *MOVEMENTS, "mrr", "subscribers", "new_subscribers", "churned_subscribers"):
        out[column] = out[column].astype("Int64")
    return out


def change_log_frame(ledger: Ledger, months: int | None) -> pd.DataFrame:
    """One row per moment a customer's MRR changed (up to the ledger's last instant): ``new`` (the first
    time), ``reactivation`` (from nothing again), ``upgrade``, ``downgrade``, ``churn``, the signed amount, MRR
    before and after. A plan change in the month a customer arrived or left is its own row, so a month's
    rows for a customer sum to that month's movement in the roll-forward. ``date`` is when it happened; a
    change seen only where the ledger switches from invoice lines to the subscriptions (the current month's
    first instant) is dated by the invoice lines' last change in the current month (a proration), else
    left without a date."""
    columns = ["customer", "currency", "month", "date", "type", "amount", "mrr_before", "mrr_after"]
    spans = ledger.spans
    at = int(ledger.snapshots[-1]) if len(ledger.snapshots) else 0
    since, until = spans["since"].to_numpy(), spans["until"].to_numpy()
    value, key = spans["value"].to_numpy(), spans["key"].to_numpy()
    live = (since < until) & (value != 0) & (since <= at)
    ends = live & (until <= at)
    points = pd.DataFrame({
        "key": np.concatenate([key[live], key[ends]]),
        "t": np.concatenate([since[live], until[ends]]),
        "v": np.concatenate([value[live], -value[ends]]),
        "own": np.concatenate([since[live] == spans["start"].to_numpy()[live],
                               until[ends] == spans["end"].to_numpy()[ends]]),
    })
    points = points.groupby(["key", "t"], sort=True, as_index=False).agg(v=("v", "sum"), own=("own", "any"))
    micro = points.groupby("key", sort=False)["v"].cumsum().to_numpy()
    after = np.maximum(np.floor_divide(micro + MICRO // 2, MICRO), 0)
    keys = points["key"].to_numpy()
    first_of_key = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
    before = np.where(first_of_key, 0, np.r_[0, after[:-1]] if len(after) else after)
    moved = after != before
    arrived = (before == 0) & (after > 0)
    seen = pd.Series(arrived).groupby(keys).cumsum().to_numpy()  # arrivals so far, this one included
    kind = np.select([arrived & (seen == 1), arrived, after == 0, after > before],
                     ["new", "reactivation", "churn", "upgrade"], "downgrade")
    rows = np.flatnonzero(moved)
    own = points["own"].to_numpy()[rows]
    times = points["t"].to_numpy()[rows].copy()
    if not own.all():
        times, own = _date_from_lines(spans, keys[rows], times, own, at)
    stamps = pd.to_datetime(times, utc=True)
    found = pd.DataFrame({
        "customer": ledger.keys["customer"].to_numpy(dtype=object)[keys[rows]],
        "currency": ledger.keys["currency"].to_numpy(dtype=object)[keys[rows]],
        "month": pd.PeriodIndex(stamps.tz_localize(None), freq="M") if len(rows) else pd.PeriodIndex([], freq="M"),
        "date": pd.Series(stamps).where(own).to_numpy(),
        "type": kind[rows], "amount": (after - before)[rows], "mrr_before": before[rows], "mrr_after": after[rows],
    })
    window = ledger.window(months)
    if window.start > 0:
        found = found[found["month"] >= ledger.months[window.start]]
    found = found.sort_values(["month", "date", "customer"], kind="stable", na_position="first", ignore_index=True)
    for column in ("amount", "mrr_before", "mrr_after"):
        found[column] = found[column].astype("Int64")
    for column in ("customer", "currency", "type"):
        found[column] = found[column].astype("string")
    found["date"] = pd.to_datetime(found["date"], utc=True)
    return found[columns]


def _date_from_lines(spans: pd.DataFrame, keys: np.ndarray, times: np.ndarray, own: np.ndarray, at: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """For changes with no dated edge (the line -> subscription switch): the last instant after it, up to
    ``at``, at which the customer's invoice lines (read on past the switch) changed value."""
    lines = spans[spans["line"].to_numpy() & (spans["value"].to_numpy() != 0)]
    start, end = lines["start"].to_numpy(), lines["end"].to_numpy()
    edges = pd.DataFrame({"key": np.concatenate([lines["key"].to_numpy(), lines["key"].to_numpy()]),
                          "t": np.concatenate([start, end]),
                          "v": np.concatenate([lines["value"].to_numpy(), -lines["value"].to_numpy()])})
    edges = edges[edges["t"].to_numpy() <= at].groupby(["key", "t"], as_index=False)["v"].sum()
    edges = edges[edges["v"].to_numpy() != 0]
    last_after: dict[tuple[int, int], int] = {}
    for n in np.flatnonzero(~own):
        mine = edges[(edges["key"].to_numpy() == keys[n]) & (edges["t"].to_numpy() > times[n])]
        if len(mine):
            last_after[(int(keys[n]), n)] = int(mine["t"].max())
    times, own = times.copy(), own.copy()
    for (_, n), moment in last_after.items():
        times[n], own[n] = moment, True
    return times, own
