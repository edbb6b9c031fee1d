"""Discounts on subscriptions and invoices: which apply when, and how much each takes off each line.

Stripe's rules: a discount is a coupon applied at ``start``; ``forever`` never ends, ``repeating``
ends ``duration_in_months`` after ``start``, ``once`` covers one invoice (billing removes it from
the subscription once an invoice used it); a subscription item's discounts apply to its lines only.
``percent_off`` takes that share of every discountable
line (rounded half up); ``amount_off`` (same currency only) is spread over the positive
discountable lines in proportion, never more than they add up to.
"""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse
from ..coupons import coupon_of, coupon_terms as _coupon_terms, new_discount, remove_discount

__all__ = ["active", "coupon_terms", "line_amounts", "new_discount", "parse", "remove_discount", "take_off",
           "with_item_discounts"]


def coupon_terms(engine: Any, discount: dict[str, Any]) -> dict[str, Any] | None:
    """The coupon a discount was made of, or None if the catalog no longer knows it."""
    try:
        return _coupon_terms(engine, discount)
    except StripeErrorResponse:
        return None


def parse(engine: Any, given: Any, *, at: int, param: str = "discounts") -> list[dict[str, Any]]:
    """The coupons a ``discounts=[{coupon}]`` parameter names (checked, nothing created)."""
    if given in (None, ""):
        return []
    if not isinstance(given, list):
        raise StripeErrorResponse(400, "Invalid array", param=param, code="parameter_invalid_array")
    coupons = []
    for index, entry in enumerate(given):
        entry = entry if isinstance(entry, dict) else {}
        if not entry.get("coupon"):
            raise StripeErrorResponse(400, "The sandbox applies coupons only: pass `coupon`.", param=f"{param}[{index}]",
                                      code="parameter_invalid_empty")  # fmt: skip
        coupons.append(coupon_of(engine, entry["coupon"], param=f"{param}[{index}][coupon]", at=at))
    return coupons


def active(engine: Any, discount_ids: list[str], at: int) -> list[dict[str, Any]]:
    """The discounts among ``discount_ids`` running at ``at`` (started, and a repeating one not ended)."""
    found = [engine.store.get(d, "discount") for d in discount_ids or []]
    return [d for d in found if d is not None and d["start"] <= at and (d.get("end") is None or at < d["end"])]


def line_amounts(engine: Any, discounts: list[dict[str, Any]], lines: list[dict[str, Any]],
                 currency: str) -> list[list[dict[str, Any]]]:  # fmt: skip
    """Per line, ``[{amount, discount}]`` for each discount (the lines' ``discount_amounts``)."""
    out: list[list[dict[str, Any]]] = [[] for _ in lines]
    for discount in discounts:
        coupon = coupon_terms(engine, discount)
        if coupon is None:
            continue
        taken = take_off(coupon, [line["amount"] if line.get("discountable", True) else 0 for line in lines], currency)
        for index, amount in enumerate(taken):
            if amount:
                out[index].append({"amount": amount, "discount": discount["id"]})
    return out


def with_item_discounts(engine: Any, lines: list[dict[str, Any]], per_line: list[list[dict[str, Any]]],
                        currency: str, at: int) -> list[list[dict[str, Any]]]:  # fmt: skip
    """``per_line`` plus the running discounts of each line's subscription item, on that line alone."""
    for line, amounts in zip(lines, per_line):
        details = (line.get("parent") or {}).get("subscription_item_details") or {}
        item = engine.store.get(details.get("subscription_item") or "", "subscription_item")
        if item is None or not line.get("discountable", True):
            continue
        for discount in active(engine, list(item.get("discounts") or []), at):
            coupon = coupon_terms(engine, discount)
            (amount,) = take_off(coupon, [int(line["amount"])], currency) if coupon else (0,)
            if amount:
                amounts.append({"amount": amount, "discount": discount["id"]})
    return per_line


def take_off(coupon: dict[str, Any], amounts: list[int], currency: str) -> list[int]:
    """What ``coupon`` takes off each of ``amounts``."""
    if coupon.get("percent_off") is not None:
        share = float(coupon["percent_off"]) / 100
        return [int(amount * share + 0.5) if amount > 0 else -int(-amount * share + 0.5) for amount in amounts]
    off = int(coupon.get("amount_off") or 0)
    positive = [max(0, amount) for amount in amounts]
    base = sum(positive)
    if not off or not base or (coupon.get("currency") or currency) != currency:
        return [0] * len(amounts)
    off = min(off, base)
    taken = [off * amount // base for amount in positive]
    for index in range(len(taken) - 1, -1, -1):  # the rounding remainder goes to the last positive line
        if positive[index]:
            taken[index] += off - sum(taken)
            break
    return taken
