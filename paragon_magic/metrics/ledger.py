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

@dataclass
class Ledger:
    """``mrr[k, m]``: customer ``keys.iloc[k]`` (customer, currency) at month ``months[m]``, minor units."""

    keys: pd.DataFrame
    months: pd.PeriodIndex
    snapshots: np.ndarray  # epoch ns of each month's measuring instant
    mrr: np.ndarray  # int64 [keys, months]
    spans: pd.DataFrame  # the spans used, with ``key`` (row of ``keys``), ``first``/``stop`` month indexes and
    #: ``since``/``until``: the instants they are read over (start and end clipped to their source's months),
    #: ``line``: read from an invoice line (else from a subscription)
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
    parts = [s for s in (line_spans, subscription_spans) if s is not None]
    starts = [int(s["start"].to_numpy()[s["value"].to_numpy() != 0].min()) for s in parts
              if (s["value"].to_numpy() != 0).any()]
    first = min(starts + ([first_ns] if first_ns is not None else []), default=at_ns)
    first = min(first, at_ns)
    months, snaps = snapshots_for(first, at_ns)
    cut = int(np.searchsorted(snaps, current_month, side="left")) if line_spans is not None else 0
    bounds = [(0, cut)] * (line_spans is not None) + [(cut, len(snaps))]
    keys, key = _keys(parts)
    start = np.concatenate([s["start"].to_numpy(np.int64) for s in parts])
    end = np.concatenate([s["end"].to_numpy(np.int64) for s in parts])
    value = np.concatenate([s["value"].to_numpy(np.int64) for s in parts])
    lo = np.concatenate([np.full(len(s), b[0]) for s, b in zip(parts, bounds)])
    hi = np.concatenate([np.full(len(s), b[1]) for s, b in zip(parts, bounds)])
    first_m = np.maximum(np.searchsorted(snaps, start, side="left"), lo)
    stop_m = np.minimum(np.searchsorted(snaps, end, side="left"), hi)
    live = first_m < stop_m
    mrr = _accumulate(key[live], first_m[live], stop_m[live], value[live], len(keys), len(snaps))
    # the instants each span is read over: lines before the current month, subscriptions from it on
    cut_ns = np.int64(snaps[cut - 1] + 1) if cut > 0 else np.iinfo(np.int64).min
    sources = [(np.iinfo(np.int64).min, cut_ns)] * (line_spans is not None) + [(cut_ns, np.iinfo(np.int64).max)]
    since = np.maximum(start, np.concatenate([np.full(len(s), b[0], np.int64) for s, b in zip(parts, sources)]))
    until = np.minimum(end, np.concatenate([np.full(len(s), b[1], np.int64) for s, b in zip(parts, sources)]))
    spans = pd.DataFrame({"key": key, "start": start, "end": end, "value": value, "first": first_m, "stop": stop_m,
                          "since": since, "until": until,
                          "line": np.arange(len(start)) < (len(line_spans) if line_spans is not None else 0)})
    return Ledger(keys, months, snaps, mrr, spans, cut)


def _codes(parts: list[pd.DataFrame], column: str) -> tuple[list[np.ndarray], pd.Index]:
    """Each part's ``column`` as codes into one shared index of values (categoricals read without a copy)."""
    cats = [s[column] if isinstance(s[column].dtype, pd.CategoricalDtype) else s[column].astype("category")
            for s in parts]
    index = pd.Index(pd.unique(np.concatenate([np.asarray(c.cat.categories, dtype=object) for c in cats]))
                     if cats else [], dtype=object)
    codes = []
    for c in cats:
        mapping = index.get_indexer(np.asarray(c.cat.categories, dtype=object))
        raw = c.cat.codes.to_numpy()
        codes.append(np.where(raw >= 0, mapping[np.maximum(raw, 0)] if len(mapping) else -1, -1))
    return codes, index


def _keys(parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray]:
    customer_codes, customers = _codes(parts, "customer")
    currency_codes, currencies = _codes(parts, "currency")
    width = max(len(currencies), 1)
    combined = (np.concatenate(customer_codes).astype(np.int64) * width + np.concatenate(currency_codes)
                if parts else np.empty(0, np.int64))
    key, unique = pd.factorize(combined)
    keys = pd.DataFrame({"customer": np.asarray(customers, dtype=object)[unique // width] if len(unique) else [],
                         "currency": np.asarray(currencies, dtype=object)[unique % width] if len(unique) else []})
    return keys, key.astype(np.int64)


def _accumulate(key: np.ndarray, first: np.ndarray, stop: np.ndarray, value: np.ndarray, n_keys: int,
                n_months: int) -> np.ndarray:
    """Sum each span's value over its months, exactly (int64), rounded to minor units per cell.

    A span of one month (most invoice lines) adds to its cell; longer ones go through a difference table."""
    single = stop == first + 1
    cells = np.zeros(n_keys * n_months, dtype=np.int64)
    np.add.at(cells, key[single] * n_months + first[single], value[single])
    micro = cells.reshape(n_keys, n_months)
    if not single.all():
        many = ~single
        width = n_months + 1
        table = np.zeros(n_keys * width, dtype=np.int64)
        np.add.at(table, key[many] * width + first[many], value[many])
        np.add.at(table, key[many] * width + stop[many], -value[many])
        micro = micro + np.cumsum(table.reshape(n_keys, width), axis=1)[:, :n_months]
    # a customer's month below zero (a credit whose charge is not in the data) counts as no MRR
    return np.maximum(np.floor_divide(micro + MICRO // 2, MICRO), 0)
