"""Billing periods: calendar intervals from a subscription's anchor, as Stripe counts them.

Stripe bills a monthly price on the anchor's day of the month, clamped to the month's length (an
anchor on Jan 31 renews Feb 28, then Mar 31): each period end is the anchor plus a whole number of
intervals, never the previous end plus one (which would drift to the 28th). The calendar arithmetic
is the catalog's :func:`~paragon_magic.sandbox.engine.prices.add_interval` (one implementation).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..prices import add_interval

__all__ = ["DAY", "add_interval", "is_metered", "period_amount", "period_end_after", "recurring_of"]

DAY = 86_400
_SECONDS = {"day": DAY, "week": 7 * DAY}


def recurring_of(price: dict[str, Any]) -> tuple[str, int]:
    """A recurring price's ``(interval, interval_count)``."""
    recurring = price.get("recurring") or {}
    return str(recurring.get("interval") or "month"), int(recurring.get("interval_count") or 1)


def is_metered(price: dict[str, Any]) -> bool:
    """Whether ``price`` is metered (``recurring.usage_type``): Stripe bills its usage in arrears."""
    return (price.get("recurring") or {}).get("usage_type") == "metered"


def period_amount(price: dict[str, Any], quantity: int) -> int:
    """What one period of ``price × quantity`` bills. A metered price bills the usage reported during
    the period, at its end; the sandbox records no usage, so a metered item always bills 0."""
    return 0 if is_metered(price) else int(price.get("unit_amount") or 0) * quantity


def period_end_after(anchor: int, price: dict[str, Any], moment: int) -> int:
    """The first period boundary (anchor + k intervals, k ≥ 1) strictly after ``moment``."""
    interval, every = recurring_of(price)
    k = 1
    if interval in ("month", "year") and moment > anchor:  # start close: whole months between the two
        a, m = datetime.fromtimestamp(anchor, tz=timezone.utc), datetime.fromtimestamp(moment, tz=timezone.utc)
        months = (m.year - a.year) * 12 + m.month - a.month
        k = max(1, months // (every * (12 if interval == "year" else 1)) - 1)
    elif interval in _SECONDS and moment > anchor:
        k = max(1, (moment - anchor) // (_SECONDS[interval] * every))
    while add_interval(anchor, interval, k * every) <= moment:
        k += 1
    return add_interval(anchor, interval, k * every)
