"""Churn as Stripe defines it, voluntary vs involuntary, signup cohorts and trial conversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ._inputs import declare_amounts, epoch_ns, instant_ns, require
from .frames import CohortTable
from .mrr import Inputs, _at, _first_start, _months, customer_mrr
from .pricing import MICRO

__all__ = ["churn", "cohorts", "trial_conversion", "INVOLUNTARY"]

#: ``cancellation_details.reason`` values that mean the customer did not choose to leave.
INVOLUNTARY = frozenset({"payment_failed", "payment_disputed"})
_DAY = 86_400 * 1_000_000_000


def _values_at(spans: pd.DataFrame, moment: int) -> pd.Series:
    """Each (customer, currency)'s MRR at ``moment``, minor units (only those with some)."""
    covering = spans[(spans["start"] <= moment) & (spans["end"] > moment)]
    summed = covering.groupby(["customer", "currency"], sort=False, observed=True)["value"].sum()
    rounded = (summed + MICRO // 2) // MICRO
    return rounded[rounded > 0]


def churn(subscriptions: pd.DataFrame, *, at: Any = None, days: int = 30, coupons: pd.DataFrame | None = None,
          customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per currency over the ``days`` before ``at``: subscriber churn rate as Stripe defines it — churned ÷
    (subscribers ``days`` ago + new since) —, the MRR churned, and churned subscriptions split by
    ``cancellation_details.reason``: involuntary (``payment_failed``, ``payment_disputed``), voluntary
    (``cancellation_requested``) and other (no reason given). ``churned_mrr``: what the churned subscribers
    paid a month just before they left (new ones of the window included, as they are counted as churned)."""
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise UsageError(f"churn: --days takes a positive whole number; got {days!r}")
    inputs = Inputs(subscriptions, coupons=coupons, customers=customers)
    _, spans, now = inputs.spans("churn")
    end = _at(at, now, _first_start(subscriptions), "churn")
    start = end - int(days) * _DAY
    before, after = _values_at(spans, start), _values_at(spans, end)
    positive = spans[spans["value"] > 0]
    arriving = positive[(positive["start"] > start) & (positive["start"] <= end)]
    had, has = set(before.index), set(after.index)
    new = set(zip(arriving["customer"], arriving["currency"])) - had
    churned = (had | new) - has
    leaving = _canceled_between(subscriptions, spans, start, end)
    lost = _last_values(spans, churned, start, end)
    rows = []
    for currency in sorted({c for _, c in had | new} | set(leaving["currency"])):
        base = sum(1 for _, c in had | new if c == currency)
        gone = [k for k in churned if k[1] == currency]
        mine = leaving[leaving["currency"] == currency]
        row = {"currency": currency, "start": pd.Timestamp(start, tz="UTC"), "end": pd.Timestamp(end, tz="UTC"),
               "subscribers_at_start": sum(1 for _, c in had if c == currency),
               "new_subscribers": sum(1 for _, c in new if c == currency), "churned_subscribers": len(gone),
               "subscriber_churn_rate": len(gone) / base if base else np.nan,
               "churned_mrr": int(sum(int(lost.get(k, 0)) for k in gone))}
        for kind in ("voluntary", "involuntary", "other"):
            chosen = mine[mine["kind"] == kind]
            row[f"{kind}_churned"] = len(chosen)
            row[f"{kind}_mrr"] = int(chosen["mrr"].sum())
        rows.append(row)
    out = pd.DataFrame(rows, columns=["currency", "start", "end", "subscribers_at_start", "new_subscribers",
                                      "churned_subscribers", "subscriber_churn_rate", "churned_mrr",
                                      "voluntary_churned", "voluntary_mrr", "involuntary_churned",
                                      "involuntary_mrr", "other_churned", "other_mrr"])
    for column in out.columns[3:]:
        if column != "subscriber_churn_rate":
            out[column] = out[column].astype("Int64")
    out["currency"] = out["currency"].astype("string")
    return declare_amounts(out, ["churned_mrr", "voluntary_mrr", "involuntary_mrr", "other_mrr"], "churn")


def _last_values(spans: pd.DataFrame, keys: set[tuple[Any, Any]], start: int, end: int) -> pd.Series:
    """Each churned (customer, currency)'s MRR just before it left (its last span ending in (start, end]):
    what churned, whether it was a subscriber at ``start`` or arrived in the window."""
    if not keys:
        return pd.Series(dtype=np.int64)
    ending = spans[(spans["end"] > start) & (spans["end"] <= end)]
    last = ending.groupby(["customer", "currency"], sort=False, observed=True)["end"].max().rename("last")
    mine = spans.merge(last.reset_index(), on=["customer", "currency"], how="inner")
    moment = mine["last"].to_numpy() - 1
    covering = mine[(mine["start"].to_numpy() <= moment) & (mine["end"].to_numpy() > moment)]
    summed = covering.groupby(["customer", "currency"], sort=False, observed=True)["value"].sum()
    return (summed + MICRO // 2) // MICRO


def _canceled_between(subscriptions: pd.DataFrame, spans: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Subscriptions that ended in (start, end] while they had MRR: currency, kind of churn, MRR lost."""
    ended = spans[(spans["end"] > start) & (spans["end"] <= end) & (spans["start"] < spans["end"])]
    lost = ended.groupby(["subscription", "currency"], sort=False, observed=True)["value"].sum()
    lost = ((lost + MICRO // 2) // MICRO).reset_index()
    lost = lost[lost["value"] > 0]
    reason = (subscriptions.set_index(subscriptions["id"].astype(object))["cancellation_details.reason"]
              if "cancellation_details.reason" in subscriptions.columns else pd.Series(dtype=object))
    why = lost["subscription"].astype(object).map(reason.astype(object)).to_numpy(dtype=object, na_value=None)
    kind = np.where(np.isin(why, list(INVOLUNTARY)), "involuntary",
                    np.where(why == "cancellation_requested", "voluntary", "other"))
    return pd.DataFrame({"currency": lost["currency"].astype(object).to_numpy(dtype=object), "kind": kind,
                         "mrr": lost["value"].to_numpy(dtype=np.int64)})


def cohorts(subscriptions: pd.DataFrame, invoices: pd.DataFrame | None = None, prices: pd.DataFrame | None = None,
            *, coupons: pd.DataFrame | None = None, customers: pd.DataFrame | None = None, at: Any = None,
            months: int | None = None) -> CohortTable:
    """Signup-month cohorts: customers grouped by the month they first had MRR (``cohort_size``, those who
    left within that month included), then per month since, how many have MRR at the month's end
    (``retention``: share of the cohort) and their MRR (``mrr_retention``: share of the cohort's MRR at the
    end of its first month). ``months``: only cohorts of the last N months. ``.plot()``: the heatmap."""
    _months(months, "cohorts")
    book = customer_mrr(Inputs(subscriptions, invoices, prices, coupons, customers), at, "cohorts")
    paying = book.mrr > 0
    n_months = len(book.months)
    first, has = _first_months(book)
    currency_code, currencies = pd.factorize(book.keys["currency"])
    width = max(len(currencies), 1)
    # per (cohort month, currency) and months since: subscribers still paying and their MRR, by bincount
    since = np.arange(n_months)[None, :] - first[:, None]
    cell = ((first * width + currency_code)[:, None] * n_months + since)
    live = paying & has[:, None] & (since >= 0)
    size = n_months * width * n_months
    subscribers = np.bincount(cell[live], minlength=size)
    mrr_sum = np.zeros(size, dtype=np.int64)
    np.add.at(mrr_sum, cell[live], book.mrr[live])
    cohort_size = np.bincount((first * width + currency_code)[has], minlength=n_months * width)
    cohort_m, cur, months_since = np.unravel_index(np.arange(size), (n_months, width, n_months))
    present = np.zeros((n_months, width), dtype=bool)
    present[first[has], currency_code[has]] = True
    rows = present[cohort_m, cur] & (months_since < n_months - cohort_m)
    full = pd.DataFrame({"cohort_m": cohort_m[rows], "currency": np.asarray(currencies, dtype=object)[cur[rows]],
                         "months_since": months_since[rows],
                         "cohort_size": cohort_size[(cohort_m * width + cur)[rows]],
                         "subscribers": subscribers[rows], "mrr": mrr_sum[rows]})
    head = mrr_sum[(cohort_m[rows] * width + cur[rows]) * n_months].astype("float64")
    full["retention"] = full["subscribers"].to_numpy() / full["cohort_size"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        full["mrr_retention"] = np.where(head > 0, full["mrr"].to_numpy(dtype="float64") / head, np.nan)
    full.insert(0, "cohort", book.months[full["cohort_m"].to_numpy()])
    if months is not None:
        full = full[full["cohort_m"] >= len(book.months) - int(months)]
    full = full.drop(columns="cohort_m").reset_index(drop=True)
    full["currency"] = full["currency"].astype("string")
    for column in ("cohort_size", "subscribers", "mrr"):
        full[column] = full[column].astype("Int64")
    frame = declare_amounts(full, ["mrr"], "cohorts")
    return CohortTable.of(frame)


def _first_months(book: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per ledger key: the month (index) it first had MRR at any instant up to the ledger's end, and
    whether it ever had."""
    spans = book.spans
    end = int(book.snapshots[-1]) if len(book.snapshots) else 0
    since, until, value = spans["since"].to_numpy(), spans["until"].to_numpy(), spans["value"].to_numpy()
    paid = (value > 0) & (since < until) & (since <= end)
    earliest = pd.Series(since[paid]).groupby(spans["key"].to_numpy()[paid]).min()
    first = np.zeros(len(book.keys), dtype=np.int64)
    has = np.zeros(len(book.keys), dtype=bool)
    where = earliest.index.to_numpy(dtype=np.int64)
    first[where] = np.clip(np.searchsorted(book.snapshots, earliest.to_numpy(), side="left"), 0,
                           max(len(book.snapshots) - 1, 0))
    has[where] = True
    return first, has


def trial_conversion(subscriptions: pd.DataFrame, *, at: Any = None) -> pd.DataFrame:
    """Per month trials ended: how many ended, how many became paying subscriptions, and the rate.

    A trial converted when its subscription went on past ``trial_end`` (still ``active``/``past_due``/
    ``unpaid``/``paused``, or canceled after it); trials still running at ``at`` are not counted."""
    subs = require(subscriptions, ("id", "status", "trial_end"), "subscriptions", "trial_conversion")
    moment = instant_ns(at, "at") if at is not None else None
    trial_end = subs["trial_end"]
    done = trial_end.notna()
    if moment is not None:
        done &= epoch_ns(trial_end) <= moment
    rows = subs[done.to_numpy()]
    status = rows["status"].astype(object)
    went_on = status.isin(["active", "past_due", "unpaid", "paused"]).to_numpy(dtype=bool).copy()
    if "ended_at" in rows.columns:
        went_on |= (status.eq("canceled") & (rows["ended_at"] > rows["trial_end"]).fillna(False)).to_numpy(bool)
    month = rows["trial_end"].dt.tz_localize(None).dt.to_period("M")
    out = pd.DataFrame({"month": month, "converted": went_on}).groupby("month", sort=True).agg(
        trials_ended=("converted", "size"), converted=("converted", "sum")).reset_index()
    out["conversion_rate"] = out["converted"] / out["trials_ended"]
    out[["trials_ended", "converted"]] = out[["trials_ended", "converted"]].astype("Int64")
    return out
