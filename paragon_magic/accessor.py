"""``df.stripe``: provenance, the raw objects and major-unit amounts of a frame built by ``paragon_magic.frames``.

Registered on import (``paragon_magic.frames`` imports this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .errors import UsageError
from .frame_schema import THREE_DECIMAL, ZERO_DECIMAL, is_amount_name, schema_for

__all__ = ["RawObjects", "StripeAccessor"]


class RawObjects:
    """The raw objects behind a frame, kept in ``df.attrs["stripe_raw"]`` when built with ``keep_raw=True``.

    pandas deep-copies ``attrs`` on most operations; this holder is immutable and copies as itself.
    """

    __slots__ = ("objects", "_by_id")

    def __init__(self, objects: tuple[Mapping[str, Any], ...]) -> None:
        self.objects = objects
        self._by_id: dict[Any, Mapping[str, Any]] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> RawObjects:
        return self

    def __len__(self) -> int:
        return len(self.objects)

    def __repr__(self) -> str:
        return f"RawObjects({len(self.objects)} objects)"

    def by_id(self) -> dict[Any, Mapping[str, Any]]:
        if self._by_id is None:
            self._by_id = {o.get("id"): o for o in self.objects}
        return self._by_id


@pd.api.extensions.register_dataframe_accessor("stripe")
class StripeAccessor:
    """Stripe helpers on a DataFrame: ``.meta``, ``.request_ids``, ``.complete``, ``.raw``, ``.to_major()``."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._df = df

    @property
    def meta(self) -> dict[str, Any]:
        """``df.attrs["stripe"]``: object_type, action, params, request_ids, livemode, fetched_at, complete."""
        return dict(self._df.attrs.get("stripe") or {})

    @property
    def object_type(self) -> str | None:
        return self.meta.get("object_type")

    @property
    def request_ids(self) -> list[str]:
        """Stripe ``Request-Id`` of every request that fetched this frame (quote them to Stripe support)."""
        return list(self.meta.get("request_ids") or [])

    @property
    def complete(self) -> bool | None:
        """False when the fetch stopped early (limit, interruption, error); None if unknown."""
        return self.meta.get("complete")

    @property
    def raw(self) -> list[Mapping[str, Any]]:
        """The original Stripe objects of the rows still in this frame (matched by ``id``), in row order."""
        holder = self._df.attrs.get("stripe_raw")
        if not isinstance(holder, RawObjects):
            raise UsageError("This frame kept no raw objects; fetch it again with keep_raw=True to use .stripe.raw.")
        if "id" not in self._df.columns:
            if len(holder) != len(self._df):
                raise UsageError("Rows were added or removed and the frame has no 'id' column to match raw objects.")
            return list(holder.objects)
        by_id = holder.by_id()
        return [by_id[i] for i in self._df["id"] if i in by_id]

    def amount_columns(self) -> list[str]:
        """Integer columns holding money in minor units (``amount``, ``fee``, ``net``, ``unit_amount``, ...)."""
        schema = schema_for(self.object_type)
        return [c for c in self._df.columns
                if pd.api.types.is_integer_dtype(self._df[c].dtype)
                and (schema.get(c) == "amount" or is_amount_name(c))]

    def to_major(self, *, exact: bool = False) -> pd.DataFrame:
        """A copy with every amount column in major units, using each row's currency.

        ``JPY 500`` -> 500, ``USD 1999`` -> 19.99, ``KWD 1500`` -> 1.5 (zero-decimal currencies divide by 1,
        three-decimal BHD JOD KWD OMR TND by 1000, all others by 100). The currency is the nearest
        ``currency`` column (``a.b.currency`` for ``a.b.amount``, else the top-level ``currency``).

        By default the result is ``float64`` (NaN where the amount or the currency is missing; an amount of 0
        stays 0.0), good for sums and plots. With ``exact=True`` each value is a ``decimal.Decimal`` (object
        column, ``None`` when missing) with no rounding at all.
        """
        out = self._df.copy()
        for column in self.amount_columns():
            currency = self._currency_column(column)
            exponent = _exponents(out[currency])
            values = out[column]
            if exact:
                out[column] = [None if pd.isna(v) or pd.isna(e) else Decimal(int(v)).scaleb(-int(e))
                               for v, e in zip(values, exponent)]
            else:
                minor = values.to_numpy(dtype="float64", na_value=np.nan)
                out[column] = np.where(minor == 0, 0.0, minor / 10.0 ** exponent.to_numpy(dtype="float64"))
        return out

    def _currency_column(self, column: str) -> str:
        parts = column.split(".")[:-1]
        while True:
            candidate = ".".join([*parts, "currency"])
            if candidate in self._df.columns:
                return candidate
            if not parts:
                raise UsageError(f"Cannot convert '{column}' to major units: the frame has no 'currency' column.")
            parts.pop()


def _exponents(currency: pd.Series) -> pd.Series:
    """Decimal places of each row's currency (0, 2 or 3); NaN where the currency is missing."""
    codes = currency.astype("string").str.upper()
    exponent = pd.Series(2.0, index=currency.index)
    exponent[codes.isin(ZERO_DECIMAL).fillna(False).astype(bool)] = 0.0
    exponent[codes.isin(THREE_DECIMAL).fillna(False).astype(bool)] = 3.0
    exponent[codes.isna().to_numpy()] = np.nan
    return exponent
