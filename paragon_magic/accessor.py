"""``df.stripe``: provenance, the raw objects and major-unit amounts of a frame built by ``paragon_magic.frames``.

Registered on import (``paragon_magic.frames`` imports this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .errors import UsageError
from .frame_currency import CurrencyPairingWarning, CurrencySpec, amount_columns, to_major
from .frame_explode import explode

__all__ = ["RawObjects", "StripeAccessor", "CurrencyPairingWarning"]


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
    ``.explode()``."""

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
        """Integer columns holding money in minor units (``amount``, ``fee``, ``net``, ``unit_amount``, ...)."""
        return amount_columns(self._df, self.object_type)

    def to_major(self, currency: CurrencySpec = None, *, exact: bool = False) -> pd.DataFrame:
        """A copy with every amount column in major units, using each row's currency.

        ``JPY 500`` -> 500, ``USD 1999`` -> 19.99, ``KWD 1500`` -> 1.5 (zero-decimal currencies divide by 1,
        three-decimal BHD JOD KWD OMR TND by 1000, all others by 100). The currency is the nearest
        ``currency`` column (``a.b.currency`` for ``a.b.amount``, else the top-level ``currency``); after a
        merge, ``amount_plan`` uses ``currency_plan``. ``currency=`` chooses instead: a column name, an ISO code
        (``"usd"``), or a mapping of amount column -> currency column or code (the others stay automatic).
        A ``CurrencyPairingWarning`` names any column whose currency is missing for a row (left NaN) or
        ambiguous (another currency column from a merge disagrees).

        By default the result is ``float64`` (NaN where the amount or the currency is missing; an amount of 0
        stays 0.0), good for sums and plots. With ``exact=True`` each value is a ``decimal.Decimal`` (object
        column, ``None`` when missing) with no rounding at all.
        """
        return to_major(self._df, self.amount_columns(), currency, exact)

    def explode(self, column: str) -> pd.DataFrame:
        """A nested list column (``items.data``, ``fee_details``, ``lines.data``, ``tiers``, ``refunds.data``,
        ``discounts``, ...) or object column as its own frame: one row per element, ``parent_id`` (the parent
        row's ``id``) first, then the element's columns typed by its Stripe object type. No elements: an
        empty frame with every column of the element's type."""
        return explode(self._df, column)
