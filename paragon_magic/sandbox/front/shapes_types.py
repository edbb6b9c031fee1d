"""Per-type fixes from localstripe's objects to today's Stripe (used by ``shapes``).

Each fixer edits a shallow copy of one object before it is cut to the fixture's keys: it renames
legacy keys (``account_balance`` -> ``balance``), computes what Stripe derives (a subscription's
``currency``, its items' billing periods, an invoice's ``amount_remaining``, a line's ``pricing``)
and pushes a parent's context into nested objects (items learn their subscription and period).
Keys the fixture lacks are dropped afterwards, so fixers never need to delete.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ...client._base import DEFAULT_STRIPE_VERSION
from ..account import PLATFORM_NAME
from .shapes import ShapeContext

Fixer = Callable[[dict[str, Any], ShapeContext], None]
_DAY = 86_400


def invoice_prefix(customer_id: str) -> str:
    """A customer's stable 8-character invoice number prefix (Stripe: random uppercase hex)."""
    return hashlib.sha256(customer_id.encode()).hexdigest()[:8].upper()


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _add_interval(start: int, interval: str, count: int) -> int:
    """``start`` plus ``count`` intervals, months clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    if interval in ("day", "week"):
        return start + count * (_DAY if interval == "day" else 7 * _DAY)
    moment = datetime.fromtimestamp(start, tz=timezone.utc)
    months = moment.month - 1 + count * (12 if interval == "year" else 1)
    year, month = moment.year + months // 12, months % 12 + 1
    if year > 9999:
        return 2**32 - 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def billing_period(anchor: int, plan: Mapping[str, Any] | None, at: int) -> tuple[int, int]:
    """The (start, end) of the billing period of a plan anchored at ``anchor`` that contains ``at``
    (every boundary counted from the anchor, as Stripe bills on the anchor's day of the month)."""
    interval = str((plan or {}).get("interval") or "month")
    count = max(int((plan or {}).get("interval_count") or 1), 1)
    periods = 0
    if at > anchor:  # a first guess from the longest interval (never past ``at``), then walked forward
        longest = {"day": _DAY, "week": 7 * _DAY, "month": 31 * _DAY, "year": 366 * _DAY}.get(interval, 31 * _DAY)
        periods = (at - anchor) // (longest * count)
    while _add_interval(anchor, interval, count * (periods + 1)) <= at:
        periods += 1
    return _add_interval(anchor, interval, count * periods), _add_interval(anchor, interval, count * (periods + 1))


def plan_is_active(plan: Mapping[str, Any]) -> bool:
    """A plan's ``active`` (localstripe keeps an updated one as the string it was sent)."""
    return plan.get("active", True) not in (False, "false")


def price_from_plan(plan: Mapping[str, Any], prices: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The price that shares a plan's id: the stored one, else the one Stripe derives from the plan."""
    stored = prices.get(str(plan.get("id")))
    if stored is not None:
        return dict(stored)
    amount = plan.get("amount")
    return {
        "id": plan.get("id"), "object": "price", "active": plan_is_active(plan),
        "billing_scheme": plan.get("billing_scheme") or "per_unit", "created": plan.get("created"),
        "currency": plan.get("currency"), "livemode": plan.get("livemode", False), "lookup_key": None,
        "metadata": plan.get("metadata") or {}, "nickname": plan.get("nickname"),
        "product": _id_of(plan.get("product")),
        "recurring": {
            "interval": plan.get("interval"), "interval_count": plan.get("interval_count") or 1,
            "meter": None, "trial_period_days": plan.get("trial_period_days"),
            "usage_type": plan.get("usage_type") or "licensed",
        },
        "tax_behavior": "unspecified", "tiers_mode": plan.get("tiers_mode"), "type": "recurring",
        "unit_amount": amount, "unit_amount_decimal": None if amount is None else str(amount),
    }  # fmt: skip


def _customer(obj: dict[str, Any], ctx: ShapeContext) -> None:
    if "balance" not in obj:
        obj["balance"] = obj.get("account_balance") or 0
    if "subscriptions" in obj:  # localstripe's embedded list: the currency is that of their subscriptions
        subscriptions = (obj.get("subscriptions") or {}).get("data") or []
        plans = [(s.get("items") or {}).get("data", [{}])[0].get("plan") or {} for s in subscriptions]
        obj["currency"] = next((p.get("currency") for p in plans if p.get("currency")), None)
    if isinstance(obj.get("id"), str):
        obj.setdefault("invoice_prefix", invoice_prefix(obj["id"]))
    if obj.get("preferred_locales") is None:
        obj["preferred_locales"] = []


def items_in_subscription(sub: Mapping[str, Any], now: int) -> list[dict[str, Any]]:
    """A subscription's items (localstripe's), each told its subscription and current billing period."""
    items = (sub.get("items") or {}).get("data") or []
    plan = (items[0].get("plan") if items else None) or sub.get("plan") or {}
    anchor = int(sub.get("billing_cycle_anchor") or sub.get("start_date") or sub.get("created") or now)
    ended = sub.get("ended_at")
    at = max(anchor, int(ended) - 1) if ended else max(anchor, now or int(time.time()))
    if all("current_period_start" in item for item in items):
        return [dict(item) for item in items]
    start, end = billing_period(anchor, plan, at)
    return [item if "current_period_start" in item else
            {**item, "subscription": sub.get("id"), "current_period_start": start, "current_period_end": end}
            for item in items]  # fmt: skip


def _subscription(obj: dict[str, Any], ctx: ShapeContext) -> None:
    items = (obj.get("items") or {}).get("data") or []
    plan = (items[0].get("plan") if items else None) or obj.get("plan") or {}
    obj["currency"] = obj.get("currency") or plan.get("currency")
    obj["billing_cycle_anchor"] = obj.get("billing_cycle_anchor") or obj.get("start_date") or obj.get("created")
    obj["items"] = {**(obj.get("items") or {}), "data": items_in_subscription(obj, ctx.now)}
    if obj.get("discount") and not obj.get("discounts"):
        obj["discounts"] = [_id_of(obj["discount"])]
    if obj.get("status") == "canceled":
        obj["cancellation_details"] = {"comment": None, "feedback": None, "reason": "cancellation_requested"}


def _subscription_item(obj: dict[str, Any], ctx: ShapeContext) -> None:
    plan = obj.get("plan") if isinstance(obj.get("plan"), dict) else None
    if plan is not None and not isinstance(obj.get("price"), dict):
        obj["price"] = price_from_plan(plan, ctx.prices)
    if "current_period_start" not in obj:
        anchor = int(obj.get("created") or ctx.now)
        obj["current_period_start"], obj["current_period_end"] = billing_period(anchor, plan, ctx.now)


def _plan(obj: dict[str, Any], ctx: ShapeContext) -> None:
    obj["active"] = plan_is_active(obj)
    amount = obj.get("amount")
    obj["amount_decimal"] = None if amount is None else str(amount)
    obj["product"] = _id_of(obj.get("product"))


def _product(obj: dict[str, Any], ctx: ShapeContext) -> None:
    if "default_price" not in obj:
        obj["default_price"] = ctx.default_prices.get(str(obj.get("id")))
    obj["updated"] = obj.get("updated") or obj.get("created")
    obj["type"] = obj.get("type") or "service"


def _invoice(obj: dict[str, Any], ctx: ShapeContext) -> None:
    due, paid = int(obj.get("amount_due") or 0), int(obj.get("amount_paid") or 0)
    obj["amount_remaining"] = max(due - paid, 0)
    obj["account_country"], obj["account_name"] = "US", PLATFORM_NAME
    transitions = obj.get("status_transitions") or {}
    obj["effective_at"] = transitions.get("finalized_at")
    if obj.get("status") not in (None, "draft") and isinstance(obj.get("customer"), str):
        obj["number"] = obj.get("number") or f"{invoice_prefix(obj['customer'])}-0001"
    obj["subtotal_excluding_tax"] = obj.get("subtotal")
    obj["total_excluding_tax"] = obj.get("total")
    for key in ("total_taxes", "total_discount_amounts", "total_pretax_credit_amounts"):
        obj[key] = []
    details = (obj.get("parent") or {}).get("subscription_details") or {}
    obj["subscription"] = _id_of(obj.get("subscription") or details.get("subscription"))
    if obj["subscription"] and not obj.get("parent"):
        obj["parent"] = {
            "quote_details": None,
            "subscription_details": {"metadata": None, "subscription": obj["subscription"]},
            "type": "subscription_details",
        }
    lines = obj.get("lines")
    if isinstance(lines, dict):
        obj["lines"] = {**lines, "data": [{**line, "invoice": obj.get("id")} for line in lines.get("data") or []]}


def _pricing(plan: Any, unit_amount: Any) -> dict[str, Any]:
    details = {"price": plan.get("id"), "product": _id_of(plan.get("product"))} if isinstance(plan, dict) else None
    return {"price_details": details, "type": "price_details",
            "unit_amount_decimal": None if unit_amount is None else str(unit_amount)}  # fmt: skip


def _line_item(obj: dict[str, Any], ctx: ShapeContext) -> None:
    if "pricing" in obj and "parent" in obj:
        return  # already today's shape
    plan = obj.get("plan")
    quantity = int(obj.get("quantity") or 1)
    amount = int(obj.get("amount") or 0)
    unit = plan.get("amount") if isinstance(plan, dict) else amount // quantity
    obj["pricing"] = _pricing(plan, unit)
    subscription = _id_of(obj.get("subscription"))
    proration = bool(obj.get("proration"))
    common = {"proration": proration, "proration_details": {"credited_items": None}, "subscription": subscription}
    if obj.get("type") == "subscription" or obj.get("subscription_item"):
        item = _id_of(obj.get("subscription_item"))
        obj["parent"] = {
            "invoice_item_details": None,
            "subscription_item_details": {**common, "invoice_item": None, "subscription_item": item},
            "type": "subscription_item_details",
        }
    else:
        invoice_item = obj.get("invoice_item") or obj.get("id")
        obj["parent"] = {
            "invoice_item_details": {**common, "invoice_item": invoice_item},
            "subscription_item_details": None,
            "type": "invoice_item_details",
        }
    obj["subtotal"] = amount
    obj["quantity_decimal"] = str(quantity)
    for key in ("taxes", "pretax_credit_amounts", "discount_amounts", "discounts"):
        obj.setdefault(key, [])


def _invoiceitem(obj: dict[str, Any], ctx: ShapeContext) -> None:
    if "pricing" in obj:
        return  # already today's shape
    plan = obj.get("plan")
    quantity = int(obj.get("quantity") or 1)
    unit = plan.get("amount") if isinstance(plan, dict) else int(obj.get("amount") or 0) // quantity
    obj["pricing"] = _pricing(plan, unit)
    subscription = _id_of(obj.get("subscription"))
    obj["parent"] = {"subscription_details": {"subscription": subscription, "subscription_item": None},
                     "type": "subscription_details"} if subscription else None  # fmt: skip
    obj["net_amount"] = obj.get("amount")
    obj["quantity_decimal"] = str(quantity)
    if obj.get("created") is not None:  # localstripe's created (backdated when asked) is Stripe's `date`
        obj["date"] = obj["created"]


def _payment_intent(obj: dict[str, Any], ctx: ShapeContext) -> None:
    status, amount = obj.get("status"), int(obj.get("amount") or 0)
    obj["amount_received"] = amount if status == "succeeded" else 0
    obj["amount_capturable"] = amount if status == "requires_capture" else 0
    charge = obj.get("latest_charge")
    if isinstance(charge, dict) and str(obj.get("payment_method", "")).startswith("pm_card_"):
        obj["payment_method"] = charge.get("payment_method")  # the PaymentMethod the test card made


def _charge(obj: dict[str, Any], ctx: ShapeContext) -> None:
    obj["amount_captured"] = obj.get("amount") if obj.get("captured") else 0
    if obj.get("status") == "succeeded":
        obj["outcome"] = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                          "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                          "seller_message": "Payment complete.", "type": "authorized"}  # fmt: skip
    elif obj.get("status") == "failed":
        obj["outcome"] = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                          "network_status": "declined_by_network", "reason": obj.get("failure_code"),
                          "risk_level": "normal", "seller_message": obj.get("failure_message"),
                          "type": "issuer_declined"}  # fmt: skip
    obj["disputed"] = bool(obj.get("disputed"))
    refunds = obj.get("refunds")
    if isinstance(refunds, dict) and isinstance(refunds.get("data"), list):
        copied = {key: _id_of(obj.get(key)) for key in ("customer", "payment_intent", "payment_method")}
        obj["refunds"] = {**refunds, "data": [
            {**refund, **{k: v for k, v in copied.items() if refund.get(k) is None}} for refund in refunds["data"]
        ]}  # fmt: skip


def _balance(obj: dict[str, Any], ctx: ShapeContext) -> None:
    for key in ("available", "pending"):
        if isinstance(obj.get(key), dict):
            obj[key] = [obj[key]]


def _event(obj: dict[str, Any], ctx: ShapeContext) -> None:
    obj["api_version"] = DEFAULT_STRIPE_VERSION


FIXERS: dict[str, Fixer] = {
    "customer": _customer, "subscription": _subscription, "subscription_item": _subscription_item,
    "plan": _plan, "product": _product, "invoice": _invoice, "line_item": _line_item,
    "invoiceitem": _invoiceitem, "payment_intent": _payment_intent, "charge": _charge,
    "balance": _balance, "event": _event,
}  # fmt: skip
