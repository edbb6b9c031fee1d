"""Pairing each amount column of a frame with its currency, for ``df.stripe.to_major()``.

An amount goes with the nearest ``currency`` column (``a.b.currency`` for ``a.b.amount``, else the top-level
one). After a merge, ``amount_plan`` goes with ``currency_plan`` (the suffix pandas added to both). When more
than one currency column could apply and they disagree, or a row has an amount but no currency, a
``CurrencyPairingWarning`` names the column; ``currency=`` settles it (a column, an ISO code, or a mapping
amount column -> currency column or code).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from decimal import Decimal
from typing import Union

import numpy as np
import pandas as pd

from .errors import UsageError
from .frame_schema import THREE_DECIMAL, ZERO_DECIMAL, is_amount_name, schema_for

__all__ = ["CurrencyPairingWarning", "CurrencySpec", "amount_columns", "to_major"]

CurrencySpec = Union[str, Mapping[str, str], None]
_CODE = re.compile(r"[A-Za-z]{3}")


class CurrencyPairingWarning(UserWarning):
    """An amount column's currency is missing for some rows, or more than one currency column could apply."""


def amount_columns(df: pd.DataFrame, object_type: str | None) -> list[str]:
    """Integer columns holding money in minor units, merge suffixes (``amount_plan``) included."""
    schema = schema_for(object_type)
    out = []
    for column in df.columns:
        if not isinstance(column, str) or not pd.api.types.is_integer_dtype(df[column].dtype):
            continue
        for name in dict.fromkeys((column, _without_suffix(df, column))):
            kind = schema.get(name)  # the model's word wins; the name counts where it is silent
            if kind == "amount" or (kind is None and is_amount_name(name)):
                out.append(column)
                break
    return out


def to_major(df: pd.DataFrame, columns: list[str], currency: CurrencySpec, exact: bool) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` in major units (see ``StripeAccessor.to_major``)."""
    chosen = _explicit(df, columns, currency)
    out = df.copy()
    for column in columns:
        codes = _codes(df, column, chosen.get(column))
        exponent = _exponents(codes)
        values = df[column]
        lost = int((values.notna() & exponent.isna()).sum())
        if lost:
            source = chosen.get(column) or _nearest(df, column)[0]
            warnings.warn(f"to_major: {lost} row(s) of '{column}' have an amount but no currency in '{source}'; "
                          f"they are left missing (choose with currency=...)", CurrencyPairingWarning, stacklevel=3)
        if exact:
            out[column] = [None if pd.isna(v) or pd.isna(e) else _decimal(v).scaleb(-int(e))
                           for v, e in zip(values, exponent)]
        else:
            minor = values.to_numpy(dtype="float64", na_value=np.nan)
            out[column] = np.where(minor == 0, 0.0, minor / 10.0 ** exponent.to_numpy(dtype="float64"))
    return out


def _decimal(value: object) -> Decimal:
    """A minor-unit amount as a Decimal: whole numbers exactly, a fractional one (a mean) as it prints."""
    number = float(value)  # type: ignore[arg-type]
    return Decimal(int(value)) if number.is_integer() else Decimal(repr(number))  # type: ignore[call-overload]


def _explicit(df: pd.DataFrame, columns: list[str], currency: CurrencySpec) -> dict[str, str]:
    """amount column -> currency column or ISO code, from ``currency=`` (empty: pair automatically)."""
    if currency is None:
        return {}
    if isinstance(currency, str):
        _check_source(df, currency, "currency")
        return dict.fromkeys(columns, currency)
    if isinstance(currency, Mapping):
        for amount, source in currency.items():
            if amount not in columns:
                raise UsageError(f"to_major: '{amount}' is not an amount column of this frame "
                                 f"(amount columns: {', '.join(columns) or 'none'})")
            _check_source(df, source, amount)
        return dict(currency)
    raise UsageError("to_major: currency= takes a column name, a three-letter ISO code, "
                     "or a mapping of amount column -> currency column or code")


def _check_source(df: pd.DataFrame, source: object, what: str) -> None:
    if not isinstance(source, str) or (source not in df.columns and not _CODE.fullmatch(source)):
        raise UsageError(f"to_major: the currency for '{what}', {source!r}, is neither a column of this frame "
                         f"nor a three-letter ISO currency code")


def _codes(df: pd.DataFrame, column: str, source: str | None) -> pd.Series:
    if source is None:
        source, others = _nearest(df, column)
        _warn_if_ambiguous(df, column, source, others)
    if source in df.columns:
        return df[source]
    return pd.Series(source, index=df.index, dtype="string")


def _nearest(df: pd.DataFrame, column: str) -> tuple[str, list[str]]:
    """The currency column for ``column`` and the other candidates at the same level (after a merge)."""
    parts = column.split(".")
    leaf = parts.pop()
    while True:
        prefix = ".".join(parts) + "." if parts else ""
        candidates = [c for c in df.columns if isinstance(c, str) and c.startswith(prefix + "currency")
                      and re.fullmatch(r"currency(_\w+)?", c[len(prefix):])]
        suffixed = sorted((c for c in candidates if leaf.endswith(c[len(prefix) + len("currency"):])
                           and c != prefix + "currency"), key=len, reverse=True)
        if suffixed:  # ``amount_plan`` -> ``currency_plan``
            return suffixed[0], []
        if prefix + "currency" in candidates:
            return prefix + "currency", [c for c in candidates if c != prefix + "currency"]
        if candidates:
            return candidates[0], candidates[1:]
        if not parts:
            raise UsageError(f"Cannot convert '{column}' to major units: the frame has no 'currency' column "
                             f"(pass currency='usd', a column name, or a mapping)")
        parts.pop()


def _warn_if_ambiguous(df: pd.DataFrame, column: str, source: str, others: list[str]) -> None:
    present = df[column].notna()
    mine = df[source].astype("string").str.lower()
    for other in others:
        theirs = df[other].astype("string").str.lower()
        differ = present & theirs.notna() & (mine.isna() | (mine != theirs).fillna(True))
        if bool(differ.any()):
            warnings.warn(f"to_major: '{column}' is paired with '{source}', but '{other}' (from a merge?) differs "
                          f"on {int(differ.sum())} row(s); pass currency={{'{column}': '{other}'}} if that is "
                          f"its currency", CurrencyPairingWarning, stacklevel=5)


def _without_suffix(df: pd.DataFrame, column: str) -> str:
    """``amount_plan`` -> ``amount`` when the frame has ``currency_plan`` (a merge suffix), else ``column``."""
    prefix, _, leaf = column.rpartition(".")
    head = prefix + "." if prefix else ""
    for candidate in df.columns:
        if isinstance(candidate, str) and candidate.startswith(head + "currency_"):
            suffix = candidate[len(head) + len("currency"):]
            if "." not in suffix and leaf.endswith(suffix) and leaf != suffix:
                return head + leaf[: -len(suffix)]
    return column


def _exponents(currency: pd.Series) -> pd.Series:
    """Decimal places of each row's currency (0, 2 or 3); NaN where the currency is missing."""
    codes = currency.astype("string").str.upper()
    exponent = pd.Series(2.0, index=currency.index)
    exponent[codes.isin(ZERO_DECIMAL).fillna(False).astype(bool)] = 0.0
    exponent[codes.isin(THREE_DECIMAL).fillna(False).astype(bool)] = 3.0
    exponent[codes.isna().to_numpy()] = np.nan
    return exponent
