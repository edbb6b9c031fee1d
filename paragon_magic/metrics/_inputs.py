"""Checks and conversions shared by the metrics: needed columns, instants, months, amount declarations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..dates import to_epoch_seconds, utc_now
from ..errors import UsageError

__all__ = ["require", "instant_ns", "month_starts", "declare_amounts", "NO_END", "now_of", "epoch_ns"]

#: "Still going": the end of a span that has not ended.
NO_END = np.iinfo(np.int64).max

_WHERE = {
    "subscriptions": "the frame of %stripe list_subscriptions --status all (session.list_subscriptions(status='all'))",
    "invoices": "the frame of %stripe list_invoices (or its lines: invoices.stripe.explode('lines.data'))",
    "prices": "the frame of %stripe list_prices",
    "coupons": "the frame of session.request('stripe', '/v1/coupons')",
    "customers": "the frame of %stripe list_customers",
    "balance_transactions": "the frame of %stripe list_balance_transactions",
}


def require(df: Any, columns: Iterable[str], what: str, function: str) -> pd.DataFrame:
    """``df`` itself when it is a DataFrame holding every one of ``columns``; else a one-line UsageError."""
    if not isinstance(df, pd.DataFrame):
        raise UsageError(f"{function}: {what} must be a DataFrame, {_WHERE.get(what, what)}; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UsageError(f"{function}: the {what} frame has no column {', '.join(repr(m) for m in missing)}; "
                         f"pass {_WHERE.get(what, what)}")
    return df


def instant_ns(value: Any, field: str) -> int:
    """Epoch nanoseconds (UTC) of a date the user gave: ``2026-03-01``, ``today``, a Timestamp, ..."""
    if isinstance(value, pd.Timestamp):
        stamp = value if value.tzinfo else value.tz_localize("UTC")
        return int(stamp.value)
    return int(to_epoch_seconds(value, field=field)) * 1_000_000_000


def epoch_ns(values: Any) -> np.ndarray:
    """Epoch nanoseconds of dates in any unit or form (pandas 3 parses to microseconds; NaT -> int64 min)."""
    return pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]").array.asi8


def now_of(*frames: pd.DataFrame | None) -> int:
    """When the data was fetched (the newest ``fetched_at`` of the frames), else now; epoch ns."""
    stamps = [f.attrs.get("stripe", {}).get("fetched_at") for f in frames if isinstance(f, pd.DataFrame)]
    stamps = [s for s in stamps if s]
    if stamps:
        return int(max(pd.Timestamp(s) for s in stamps).value)
    return int(pd.Timestamp(utc_now()).value)


def month_starts(first_ns: int, last_ns: int) -> np.ndarray:
    """Epoch ns of the first instant of every month from ``first_ns``'s month to ``last_ns``'s, inclusive."""
    first = pd.Timestamp(first_ns, tz="UTC").tz_localize(None).to_period("M")
    last = pd.Timestamp(last_ns, tz="UTC").tz_localize(None).to_period("M")
    periods = pd.period_range(first, last, freq="M")
    return periods.to_timestamp().as_unit("ns").asi8.astype(np.int64)


def declare_amounts(df: pd.DataFrame, columns: Iterable[str], object_type: str) -> pd.DataFrame:
    """Mark ``columns`` as minor-unit amounts paired with the ``currency`` column, for ``df.stripe.to_major()``."""
    meta = dict(df.attrs.get("stripe") or {})
    meta["object_type"] = object_type
    meta["amount_columns"] = [c for c in columns if c in df.columns]
    df.attrs["stripe"] = meta
    return df


def column_or(df: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    """``df[name]``, or a column of ``default`` when the frame lacks it (optional fields)."""
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)
