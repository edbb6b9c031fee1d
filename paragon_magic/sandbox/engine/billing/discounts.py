"""Discounts on subscriptions and invoices: which apply when, and how much each takes off each line.

Stripe's rules: a discount is a coupon applied at ``start``; ``forever`` never ends, ``repeating``
ends ``duration_in_months`` after ``start``, ``once`` covers the first invoice only (it is removed
from the subscription once an invoice used it). ``percent_off`` takes that share of every
discountable line; ``amount_off`` (same currency only) is spread over the positive discountable
lines in proportion, never more than they add up to.
"""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse
from ._seams import coupon_of
from .periods import add_interval


def parse(engine: Any, given: Any, *, param: str = "discounts") -> list[dict[str, Any]]:
    """The coupons a ``discounts=[{coupon}]`` parameter names (validated, nothing created)."""
    if given in (None, ""):
        return []
    if not isinstance(given, list):
        raise StripeErrorResponse(400, "Invalid array", param=param, code="parameter_invalid_array")
    coupons = []
    for index, entry in enumerate(given):
        entry = entry if isinstance(entry, dict) else {}
        if not entry.get("coupon"):
            raise StripeErrorResponse(400, "Only `coupon` discounts are supported by the sandbox.",
                                      param=f"{param}[{index}]")  # fmt: skip
        coupon = coupon_of(engine, entry["coupon"], param=f"{param}[{index}][coupon]")
        if coupon.get("valid") is False:
            raise StripeErrorResponse(400, f"Coupon expired: {coupon['id']}", param=f"{param}[{index}][coupon]",
                                      code="coupon_expired")  # fmt: skip
        coupons.append(coupon)
    return coupons


def new_discount(engine: Any, coupon: dict[str, Any], *, customer: str, clock: str,
                 subscription: str | None = None, invoice: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A ``discount`` object applying ``coupon`` from now (its ``end`` from the coupon's duration)."""
    start = engine.now(clock)
    end = None
    if coupon.get("duration") == "repeating" and coupon.get("duration_in_months"):
        end = add_interval(start, "month", int(coupon["duration_in_months"]))
    discount = engine.create(
        "discount", "di_", clock=clock, event=None, source={"coupon": coupon["id"], "type": "coupon"},
        customer=customer, subscription=subscription, invoice=invoice, start=start, end=end)  # fmt: skip
    if "times_redeemed" in coupon:
        engine.update(coupon, {"times_redeemed": int(coupon.get("times_redeemed") or 0) + 1}, clock=clock)
    return discount


def coupon_of_discount(engine: Any, discount: dict[str, Any]) -> dict[str, Any] | None:
    coupon_id = (discount.get("source") or {}).get("coupon")
    return engine.store.get(coupon_id, "coupon") if coupon_id else None


def active(engine: Any, discount_ids: list[str], at: int) -> list[dict[str, Any]]:
    """The discounts among ``discount_ids`` still running at ``at``."""
    found = [engine.store.get(d, "discount") for d in discount_ids or []]
    return [d for d in found if d is not None and (d.get("end") is None or at < d["end"])]


def line_amounts(engine: Any, discounts: list[dict[str, Any]], lines: list[dict[str, Any]],
                 currency: str) -> list[list[dict[str, Any]]]:  # fmt: skip
    """Per line, ``[{amount, discount}]`` for each discount (the lines' ``discount_amounts``)."""
    out: list[list[dict[str, Any]]] = [[] for _ in lines]
    for discount in discounts:
        coupon = coupon_of_discount(engine, discount)
        if coupon is None:
            continue
        taken = _split(coupon, [line["amount"] if line.get("discountable", True) else 0 for line in lines], currency)
        for index, amount in enumerate(taken):
            if amount:
                out[index].append({"amount": amount, "discount": discount["id"]})
    return out


def _split(coupon: dict[str, Any], amounts: list[int], currency: str) -> list[int]:
    if coupon.get("percent_off") is not None:
        share = float(coupon["percent_off"]) / 100
        return [round(amount * share) for amount in amounts]
    off = int(coupon.get("amount_off") or 0)
    if not off or (coupon.get("currency") or currency) != currency:
        return [0] * len(amounts)
    positive = [max(0, amount) for amount in amounts]
    base = sum(positive)
    off = min(off, base)
    if not base:
        return [0] * len(amounts)
    taken = [off * amount // base for amount in positive]
    for index in range(len(taken) - 1, -1, -1):  # the rounding remainder goes to the last positive line
        if positive[index]:
            taken[index] += off - sum(taken)
            break
    return taken
