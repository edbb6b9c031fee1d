"""Each customer's MRR at each month's end, from spans: the table every movement, churn and cohort reads.

Months before the current one are read from invoice line spans (when given), the current month from the
subscriptions as they stand (fivetran's dbt_stripe does the same). A month's MRR is its value at the last
instant of the month; the current month's at ``at``. Values are summed exactly (integers of a millionth of a
minor unit) and each customer's month is rounded once to minor units, so every total and movement is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._inputs import month_starts
from .pricing import MICRO

__all__ = ["Ledger", "build"]

_SPLIT = 26  # values are summed as two float-exact halves (high and low 26 bits)


@dataclass
class Ledger:
    """``mrr[k, m]``: customer ``keys.iloc[k]`` (customer, currency) at month ``months[m]``, minor units."""

    keys: pd.DataFrame
    months: pd.PeriodIndex
    snapshots: np.ndarray  # epoch ns of each month's measuring instant
    mrr: np.ndarray  # int64 [keys, months]
    spans: pd.DataFrame  # the spans used, with ``key`` (row of ``keys``) and ``first``/``stop`` month indexes
    cut: int  # months before this index were read from invoice lines

    def window(self, months: int | None) -> slice:
        """The last ``months`` months (all when None)."""
        if months is None:
            return slice(0, len(self.months))
        return slice(max(0, len(self.months) - int(months)), len(self.months))


def snapshots_for(first_ns: int, at_ns: int) -> tuple[pd.PeriodIndex, np.ndarray]:
    """Months from ``first_ns``'s to ``at_ns``'s; each measured at its last nanosecond, the last one at ``at``."""
    starts = month_starts(first_ns, at_ns)
    ends = np.append(starts[1:], np.int64(0)) - 1
    ends[-1] = at_ns
    months = pd.PeriodIndex(pd.to_datetime(starts, utc=True).tz_localize(None), freq="M")
    return months, ends


def build(line_spans: pd.DataFrame | None, subscription_spans: pd.DataFrame, at_ns: int, now_ns: int,
          first_ns: int | None = None) -> Ledger:
    """The ledger from both kinds of spans: lines before ``now``'s month, subscriptions from it on."""
    current_month = int(month_starts(now_ns, now_ns)[0])
    parts = [s for s in (line_spans, subscription_spans) if s is not None and len(s)]
    starts = [int(s.loc[s["value"] != 0, "start"].min()) for s in parts if (s["value"] != 0).any()]
    first = min(starts + ([first_ns] if first_ns is not None else []), default=at_ns)
    first = min(first, at_ns)
    months, snaps = snapshots_for(first, at_ns)
    cut = int(np.searchsorted(snaps, current_month, side="left")) if line_spans is not None else 0

    frames = []
    if line_spans is not None and len(line_spans):
        frames.append(line_spans.assign(_lo=0, _hi=cut))
    if len(subscription_spans):
        frames.append(subscription_spans.assign(_lo=cut, _hi=len(snaps)))
    if frames:
        spans = pd.concat(frames, ignore_index=True)
    else:
        spans = subscription_spans.assign(_lo=0, _hi=0)
    keys, key = _keys(spans)
    first_m = np.maximum(np.searchsorted(snaps, spans["start"].to_numpy(), side="left"), spans["_lo"].to_numpy())
    stop_m = np.minimum(np.searchsorted(snaps, spans["end"].to_numpy(), side="left"), spans["_hi"].to_numpy())
    live = first_m < stop_m
    mrr = _accumulate(key[live], first_m[live], stop_m[live], spans["value"].to_numpy()[live], len(keys), len(snaps))
    spans = spans.drop(columns=["_lo", "_hi"]).assign(key=key, first=first_m, stop=stop_m)
    return Ledger(keys, months, snaps, mrr, spans, cut)


def _keys(spans: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    customer_code, customers = pd.factorize(spans["customer"].astype(object), use_na_sentinel=False)
    currency_code, currencies = pd.factorize(spans["currency"].astype(object), use_na_sentinel=False)
    combined = customer_code.astype(np.int64) * max(len(currencies), 1) + currency_code
    key, unique = pd.factorize(combined)
    width = max(len(currencies), 1)
    keys = pd.DataFrame({"customer": np.asarray(customers, dtype=object)[unique // width],
                         "currency": np.asarray(currencies, dtype=object)[unique % width]})
    return keys, key.astype(np.int64)


def _accumulate(key: np.ndarray, first: np.ndarray, stop: np.ndarray, value: np.ndarray, n_keys: int,
                n_months: int) -> np.ndarray:
    """Sum each span's value over its months (a difference table, exact), rounded to minor units per cell."""
    width = n_months + 1
    size = n_keys * width
    high = value >> _SPLIT
    low = value - (high << _SPLIT)
    table = np.zeros(size, dtype=np.int64)
    for index, sign in ((key * width + first, 1), (key * width + stop, -1)):
        for part, shift in ((high, _SPLIT), (low, 0)):
            summed = np.bincount(index, weights=part * sign, minlength=size)
            table += np.rint(summed).astype(np.int64) << shift
    micro = np.cumsum(table.reshape(n_keys, width), axis=1)[:, :n_months]
    return np.floor_divide(micro + MICRO // 2, MICRO)
