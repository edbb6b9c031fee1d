"""``df.stripe``: provenance, the raw objects and major-unit amounts of a frame built by ``paragon_magic.frames``.

Registered on import (``paragon_magic.frames`` imports this module).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .errors import UsageError
from .frame_currency import CurrencyPairingWarning, CurrencySpec, amount_columns, to_major
from .frame_explode import explode

__all__ = ["RawObjects", "StripeAccessor", "CurrencyPairingWarning", "NothingToConvertWarning"]


class NothingToConvertWarning(UserWarning):
    """``to_major`` found no amount column: name them with ``columns=``."""


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


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
    """Stripe helpers on a DataFrame: ``.meta``, ``.request_ids``, ``.complete``, ``.raw``, ``.to_major()``,
    ``.convert()``, ``.explode()``."""

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
        """Whether every row the call asked for is in the frame: False when a listing was stopped early
        (Ctrl-C keeps the rows fetched so far) or ``request --page`` returned a page with more after it.
        A ``--limit`` that cut the list is what was asked for: True. None if unknown."""
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
        """Integer columns holding money in minor units (``amount``, ``fee``, ``net``, ``unit_amount``, ...), and
        the columns a metric declared as amounts (``df.attrs["stripe"]["amount_columns"]``: ``mrr``, ...)."""
        declared = [c for c in self.meta.get("amount_columns") or () if c in self._df.columns]
        return list(dict.fromkeys(amount_columns(self._df, self.object_type) + declared))

    def to_major(self, currency: CurrencySpec = None, *, columns: Sequence[str] | Mapping[str, str] | None = None,
                 exact: bool = False) -> pd.DataFrame:
        """A copy with every amount column in major units, using each row's currency.

        ``JPY 500`` -> 500, ``USD 1999`` -> 19.99, ``KWD 1500`` -> 1.5 (zero-decimal currencies divide by 1,
        three-decimal BHD JOD KWD OMR TND by 1000, all others by 100). The currency is the nearest
        ``currency`` column (``a.b.currency`` for ``a.b.amount``, else the top-level ``currency``, or a
        ``currency`` index level after a groupby); after a merge, ``amount_plan`` uses ``currency_plan``.
        ``currency=`` chooses instead: a column name, an ISO code (``"usd"``), or a mapping of amount column
        -> currency column or code (the others stay automatic). A ``CurrencyPairingWarning`` names any column
        whose currency is missing for a row (left NaN) or ambiguous (another currency column from a merge
        disagrees).

        ``columns=`` names the columns to convert (derived or aggregated ones: ``["mrr", "total"]``, or a
        mapping column -> currency column or code); by default the amount columns the frame knows. When
        nothing would convert, a ``NothingToConvertWarning`` says so and the copy is unchanged.

        By default the result is ``float64`` (NaN where the amount or the currency is missing; an amount of 0
        stays 0.0), good for sums and plots. With ``exact=True`` each value is a ``decimal.Decimal`` (object
        column, ``None`` when missing) with no rounding at all.
        """
        df = self._df
        if isinstance(columns, Mapping):
            if currency is not None:
                raise UsageError("to_major: give the currencies once: columns={column: currency} or currency=...")
            currency, columns = dict(columns), list(columns)
        if columns is None:
            chosen = self.amount_columns()
            if isinstance(currency, Mapping):  # a currency named for a column makes it an amount column
                chosen += [c for c in currency if c not in chosen and c in df.columns and _numeric(df[c])]
        else:
            chosen = [columns] if isinstance(columns, str) else list(columns)
            for column in chosen:
                if column not in df.columns or not _numeric(df[column]):
                    raise UsageError(f"to_major: {column!r} is not a numeric column of this frame "
                                     f"(columns: {', '.join(map(str, df.columns))})")
        if not chosen:
            warnings.warn("to_major: nothing to convert: the frame has no amount columns; name them: "
                          "to_major(columns=['total'])", NothingToConvertWarning, stacklevel=2)
            return df.copy()
        levels = [n for n in df.index.names if n is not None and str(n).endswith("currency")]
        if levels and not any(str(c).endswith("currency") for c in df.columns):
            flat = df.reset_index(levels)
            return to_major(flat, chosen, currency, exact).set_index(levels, append=len(levels) < df.index.nlevels)
        return to_major(df, chosen, currency, exact)

    def convert(self, to: str, rates: Any = None, *, columns: Sequence[str] | None = None,
                date: str | None = None) -> pd.DataFrame:
        """A copy with the amount columns converted into ``to`` (minor units of ``to``), ``currency`` set to it
        and the row's own currency kept in ``original_currency``. Never a network call: ``rates`` is a
        mapping (``{"eur": 1.08}``: 1 EUR = 1.08 USD), a frame with ``currency, rate[, date]`` (each row
        takes the latest rate on or before its ``date`` column, default ``created``) or balance transactions
        (their ``exchange_rate``). A currency with no rate is a UsageError naming it."""
        from .metrics.money import convert_frame

        chosen = self.amount_columns() if columns is None else list(columns)
        return convert_frame(self._df, chosen, to, rates, date)

    def explode(self, column: str) -> pd.DataFrame:
        """A nested list column (``items.data``, ``fee_details``, ``lines.data``, ``tiers``, ``refunds.data``,
        ``discounts``, ...) or object column as its own frame: one row per element, ``parent_id`` (the parent
        row's ``id``) first, then the element's columns typed by its Stripe object type. No elements: an
        empty frame with every column of the element's type."""
        return explode(self._df, column)
