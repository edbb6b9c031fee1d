"""A price's value per month and what ``forever`` coupons take off it (Stripe's MRR glossary).

Values are in the price currency's minor units. A month is a twelfth of a year: a yearly price counts
``1/12`` of its amount, a quarterly one (``month`` × 3) a third, a weekly one ``52/12`` times, a daily one
``365/12`` times. Metered (usage-based) prices have no MRR. Only ``forever`` coupons reduce MRR: percent off
as a share, amount off per invoice (so per interval, then normalised like the price).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError

__all__ = ["Coupon", "CouponBook", "monthly_factor", "per_interval_amount", "apply_coupons", "MICRO"]

#: Values are carried as integers of a millionth of a minor unit, so sums and differences are exact.
MICRO = 1_000_000

_MONTHS_PER_INTERVAL = {"month": 1.0, "year": 12.0, "week": 12.0 / 52.0, "day": 12.0 / 365.0}


def monthly_factor(interval: Any, interval_count: Any) -> float:
    """How many times one interval's amount fits a month: ``year`` × 1 -> 1/12, ``month`` × 3 -> 1/3."""
    months = _MONTHS_PER_INTERVAL.get(str(interval))
    if months is None or interval_count is None or pd.isna(interval_count) or int(interval_count) < 1:
        return 0.0
    return 1.0 / (months * int(interval_count))


def monthly_factors(interval: pd.Series, interval_count: pd.Series) -> np.ndarray:
    """:func:`monthly_factor` for whole columns (0 where the interval is unknown: not recurring)."""
    months = interval.astype(object).map(_MONTHS_PER_INTERVAL).astype("float64").to_numpy()
    counts = pd.to_numeric(interval_count, errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = 1.0 / (months * counts)
    return np.where(np.isfinite(factor) & (counts >= 1), factor, 0.0)


def per_interval_amount(price: Mapping[str, Any], quantity: float) -> float:
    """What one interval of ``price`` × ``quantity`` costs before discounts, in minor units (tiers included)."""
    if price.get("billing_scheme") == "tiered" and price.get("tiers"):
        return _tiered(price["tiers"], price.get("tiers_mode"), quantity)
    unit = _unit(price)
    divide = price.get("transform_quantity.divide_by") or (price.get("transform_quantity") or {}).get("divide_by")
    if divide:
        how = price.get("transform_quantity.round") or (price.get("transform_quantity") or {}).get("round")
        quantity = math.ceil(quantity / divide) if how == "up" else math.floor(quantity / divide)
    return unit * quantity


def _unit(price: Mapping[str, Any]) -> float:
    decimal = price.get("unit_amount_decimal")
    if decimal is not None and not _missing(decimal):
        return float(Decimal(str(decimal)))
    unit = price.get("unit_amount")
    return 0.0 if unit is None or _missing(unit) else float(unit)


def _tiered(tiers: Sequence[Mapping[str, Any]], mode: Any, quantity: float) -> float:
    def unit(tier: Mapping[str, Any]) -> float:
        decimal = tier.get("unit_amount_decimal")
        return float(Decimal(str(decimal))) if decimal is not None else float(tier.get("unit_amount") or 0)

    def flat(tier: Mapping[str, Any]) -> float:
        decimal = tier.get("flat_amount_decimal")
        return float(Decimal(str(decimal))) if decimal is not None else float(tier.get("flat_amount") or 0)

    if mode == "volume":
        for tier in tiers:
            if tier.get("up_to") is None or quantity <= tier["up_to"]:
                return unit(tier) * quantity + flat(tier)
        return 0.0
    total, below = 0.0, 0.0  # graduated: each tier prices the units that fall in it
    for tier in tiers:
        top = float("inf") if tier.get("up_to") is None else float(tier["up_to"])
        units = max(0.0, min(quantity, top) - below)
        if units > 0 or below == 0:
            total += unit(tier) * units + (flat(tier) if units > 0 else 0.0)
        below = top
        if quantity <= top:
            break
    return total


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Coupon:
    """The part of a coupon that MRR needs."""

    id: str
    duration: str
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    currency_options: Mapping[str, Any] | None = None

    @property
    def forever(self) -> bool:
        return self.duration == "forever"

    def amount_off_in(self, currency: str) -> float:
        if self.amount_off is None:
            return 0.0
        if self.currency is None or self.currency.lower() == currency.lower():
            return float(self.amount_off)
        option = (self.currency_options or {}).get(currency.lower()) or {}
        return float(option.get("amount_off") or 0.0)


def apply_coupons(amount: float, coupons: Sequence[Coupon], currency: str) -> float:
    """``amount`` (one interval) after the ``forever`` coupons, in order, never below zero."""
    for coupon in coupons:
        if not coupon.forever:
            continue
        if coupon.percent_off:
            amount *= 1.0 - float(coupon.percent_off) / 100.0
        amount -= coupon.amount_off_in(currency)
        amount = max(amount, 0.0)
    return amount


class CouponBook:
    """Finds the coupon behind a discount: an expanded discount, a coupon object, or ids looked up in the
    ``coupons`` frame and the discounts seen on customers and subscriptions."""

    def __init__(self, coupons: pd.DataFrame | None = None, function: str = "mrr") -> None:
        self.function = function
        self.coupons: dict[str, Coupon] = {}
        self.discounts: dict[str, str] = {}  # discount id -> coupon id
        if coupons is not None:
            from ._inputs import require

            require(coupons, ("id", "duration"), "coupons", function)
            for row in coupons.to_dict("records"):
                self.coupons[row["id"]] = _coupon(row)

    def learn(self, discount: Any) -> None:
        """Remember an expanded discount's id -> coupon (so lines naming the discount by id resolve)."""
        if isinstance(discount, Mapping) and discount.get("id"):
            coupon = self._coupon_from(discount)
            if coupon is not None:
                self.discounts[discount["id"]] = coupon.id
                self.coupons.setdefault(coupon.id, coupon)

    def resolve(self, discount: Any, *, strict: bool = True) -> Coupon | None:
        """The coupon of one discount (expanded object or id); a UsageError (``strict``) or None if unknown."""
        if isinstance(discount, Mapping):
            coupon = self._coupon_from(discount)
            if coupon is not None:
                return coupon
            discount = discount.get("id")
        if isinstance(discount, str):
            if discount in self.discounts and self.discounts[discount] in self.coupons:
                return self.coupons[self.discounts[discount]]
            if discount in self.coupons:
                return self.coupons[discount]
        if strict:
            raise UsageError(f"{self.function}: cannot tell which coupon discount {discount!r} applies; fetch "
                             "subscriptions with expand=['data.discounts', 'data.items.data.discounts'] and "
                             "pass coupons=<the coupons frame> (session.mrr() does both)")
        return None

    def _coupon_from(self, discount: Mapping[str, Any]) -> Coupon | None:
        source = discount.get("source")
        coupon: Any = source.get("coupon") if isinstance(source, Mapping) else discount.get("source.coupon")
        if coupon is None:
            coupon = discount.get("coupon")  # before the 2025 discount shape
        if isinstance(coupon, Mapping):
            return _coupon(coupon)
        if isinstance(coupon, str):
            return self.coupons.get(coupon)
        return None


def _coupon(row: Mapping[str, Any]) -> Coupon:
    def value(key: str) -> Any:
        found = row.get(key)
        return None if found is None or _missing(found) else found

    return Coupon(id=str(row.get("id")), duration=str(value("duration") or ""), percent_off=value("percent_off"),
                  amount_off=value("amount_off"), currency=value("currency"),
                  currency_options=value("currency_options"))
