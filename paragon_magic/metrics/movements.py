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

__all__ = ["MOVEMENTS", "classify", "history_frame", "change_log_frame"]

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churned")
_EVENTS = {"new": "new", "expansion": "upgrade", "reactivation": "reactivation", "contraction": "downgrade",
           "churned": "churn"}


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
    """One row per customer and month whose MRR changed: type, amount (signed), MRR before and after, date."""
    moves = classify(ledger.mrr)
    window = ledger.window(months)
    columns = ["customer", "currency", "month", "date", "type", "amount", "mrr_before", "mrr_after"]
    parts = []
    for name in MOVEMENTS:
        table = moves[name][:, window]
        k, m = np.nonzero(table)
        m = m + window.start
        amount = moves[name][k, m] * (-1 if name in ("contraction", "churned") else 1)
        parts.append(pd.DataFrame({"key": k, "m": m, "type": _EVENTS[name], "amount": amount,
                                   "mrr_before": moves["starting_mrr"][k, m], "mrr_after": ledger.mrr[k, m]}))
    found = pd.concat(parts, ignore_index=True)
    found["date"] = _change_dates(ledger, found["key"].to_numpy(), found["m"].to_numpy())
    found["customer"] = ledger.keys["customer"].to_numpy(dtype=object)[found["key"]]
    found["currency"] = ledger.keys["currency"].to_numpy(dtype=object)[found["key"]]
    found["month"] = ledger.months[found["m"].to_numpy()]
    found = found.sort_values(["date", "customer"], kind="stable", na_position="last", ignore_index=True)
    for column in ("amount", "mrr_before", "mrr_after"):
        found[column] = found[column].astype("Int64")
    found["customer"] = found["customer"].astype("string")
    found["currency"] = found["currency"].astype("string")
    return found[columns]


def _change_dates(ledger: Ledger, key: np.ndarray, month: np.ndarray) -> pd.Series:
    """When each change happened: the customer's last instant in the month at which its value moved.

    Only a span's own start and end count: where the ledger switches from invoice lines to subscriptions
    (the current month) a change with no dated edge (an upgrade read from the live items) gets no date."""
    spans = ledger.spans
    snaps = ledger.snapshots
    first, stop = spans["first"].to_numpy(), spans["stop"].to_numpy()
    start, end, value = spans["start"].to_numpy(), spans["end"].to_numpy(), spans["value"].to_numpy()
    live = (first < stop) & (value != 0)
    own_start = live & (first == np.searchsorted(snaps, start, side="left"))
    own_end = live & (stop == np.searchsorted(snaps, end, side="left"))
    keys = np.concatenate([spans["key"].to_numpy()[own_start], spans["key"].to_numpy()[own_end]])
    times = np.concatenate([start[own_start], end[own_end]])
    months = np.searchsorted(snaps, times, side="left")  # the month whose window (previous end, end] holds t
    width = len(snaps) + 1
    wanted = np.isin(keys.astype(np.int64) * width + months, key.astype(np.int64) * width + month)
    points = pd.DataFrame({"key": keys[wanted], "t": times[wanted],
                           "v": np.concatenate([value[own_start], -value[own_end]])[wanted]})
    points = points.groupby(["key", "t"], sort=True, as_index=False)["v"].sum()
    points = points[points["v"] != 0]
    shift, second = np.int64(1 << 34), 1_000_000_000
    code = points["key"].to_numpy(dtype=np.int64) * shift + points["t"].to_numpy() // second
    times = points["t"].to_numpy()
    upper = key.astype(np.int64) * shift + snaps[month] // second
    lower = key.astype(np.int64) * shift + np.where(month > 0, snaps[np.maximum(month - 1, 0)] // second, -1)
    at = np.searchsorted(code, upper, side="right") - 1
    ok = (at >= 0) & (code[np.maximum(at, 0)] > lower) if len(code) else np.zeros(len(key), dtype=bool)
    stamps = np.where(ok, times[np.maximum(at, 0)] if len(code) else 0, 0)
    return pd.Series(pd.to_datetime(stamps, utc=True)).where(ok)
