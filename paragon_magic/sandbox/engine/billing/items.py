"""Subscription items: their objects, the checks on an ``items`` parameter, and applying a change
with Stripe's prorations.

Since basil each item carries its period (``current_period_start/_end``); the subscription embeds
its items as a list (``url: /v1/subscription_items?subscription=…``). ``price`` and ``plan`` on an
item are the full objects, not ids. A change mid-period with ``create_prorations`` makes two
invoice items per changed item (``proration: true``, period = now → period end): a credit for the
unused time on the old price and quantity, and a charge for the remaining time on the new one, each
``round(amount × remaining / period length)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ...front.errors import StripeErrorResponse, no_such
from ..common import as_bool, as_int, merged_metadata
from . import index
from ..prices import plan_view, price_of
from .invoiceitems import new_invoiceitem
from .lines import describe_item
from .periods import add_interval, is_metered, recurring_of

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


def plan_of(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price (what ``item.plan`` shows)."""
    return plan_view(price)


def items_of(engine: Any, sub_id: str) -> list[dict[str, Any]]:
    return index.related(engine, "items", sub_id)


def embedded(engine: Any, sub_id: str) -> dict[str, Any]:
    """The subscription's ``items`` list (copies, so events keep what they saw)."""
    return {"object": "list", "data": copy.deepcopy(items_of(engine, sub_id)), "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}"}  # fmt: skip


def new_item(engine: Any, sub: dict[str, Any], price: dict[str, Any], quantity: int, period: tuple[int, int],
             metadata: dict[str, Any] | None, clock: str) -> dict[str, Any]:  # fmt: skip
    item = engine.create(
        "subscription_item", "si_", clock=clock, event=None, subscription=sub["id"], price=copy.deepcopy(price),
        plan=plan_of(price), quantity=quantity, metadata=dict(metadata or {}), current_period_start=period[0],
        current_period_end=period[1], discounts=[], tax_rates=[])  # fmt: skip
    index.add(engine, "items", sub["id"], item["id"])
    return item


def check_price(engine: Any, price_id: Any, param: str, currency: str | None) -> dict[str, Any]:
    """A recurring, active price in ``currency`` (Stripe's 400s otherwise)."""
    price = price_of(engine, price_id, param=param)
    if price.get("object") == "price" and (price.get("type") != "recurring" or not price.get("recurring")):
        raise StripeErrorResponse(400, "The price specified is set to `type=one_time` but this field only accepts "
                                       "prices with `type=recurring`.", param=param)  # fmt: skip
    if price.get("active") is False:
        raise StripeErrorResponse(400, "The price specified is inactive. This field only accepts active prices.", param=param)
    if currency is not None and price["currency"] != currency:
        raise StripeErrorResponse(400, f"The price specified ({price['id']}) is in {price['currency']}, but this "
                                       f"subscription is in {currency}. All prices must be in the same currency.",
                                  param=param)  # fmt: skip
    return price


@dataclass
class ItemPlan:
    """A validated ``items`` parameter: what to add, change and delete (nothing applied yet)."""

    adds: list[tuple[dict[str, Any], int, dict[str, Any]]] = field(default_factory=list)  # price, qty, metadata
    changes: list[tuple[dict[str, Any], dict[str, Any], int, dict[str, Any] | None]] = field(default_factory=list)
    deletes: list[dict[str, Any]] = field(default_factory=list)

    def resulting_prices(self, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
        changed = {item["id"]: price for item, price, _, _ in self.changes}
        gone = {item["id"] for item in self.deletes}
        kept = [changed.get(item["id"], item["price"]) for item in current if item["id"] not in gone]
        return kept + [price for price, _, _ in self.adds]


def parse_items(engine: Any, given: Any, *, current: list[dict[str, Any]], currency: str | None,
                param: str = "items") -> ItemPlan:  # fmt: skip
    """Check an ``items`` parameter against the subscription's ``current`` items."""
    if not isinstance(given, list):
        raise StripeErrorResponse(400, "Invalid array", param=param, code="parameter_invalid_array")
    by_id = {item["id"]: item for item in current}
    plan = ItemPlan()
    for position, spec in enumerate(given):
        at = f"{param}[{position}]"
        spec = spec if isinstance(spec, dict) else {}
        price_id = spec.get("price") or spec.get("plan")
        quantity = as_int(spec["quantity"], f"{at}[quantity]") if spec.get("quantity") not in (None, "") else None
        if quantity is not None and quantity < 0:
            raise StripeErrorResponse(400, "Invalid non-negative integer", param=f"{at}[quantity]",
                                      code="parameter_invalid_integer")  # fmt: skip
        if spec.get("id"):
            item = by_id.get(spec["id"])
            if item is None:
                raise no_such("subscription_item", str(spec["id"]), param=f"{at}[id]")
            if as_bool(spec.get("deleted", False), f"{at}[deleted]"):
                plan.deletes.append(item)
                continue
            price = check_price(engine, price_id, f"{at}[price]", currency) if price_id else item["price"]
            metadata = merged_metadata(item.get("metadata"), spec["metadata"]) if "metadata" in spec else None
            plan.changes.append((item, price, item["quantity"] if quantity is None else quantity, metadata))
            continue
        if not price_id:
            raise StripeErrorResponse(400, f"Missing required param: {at}[price].", param=f"{at}[price]",
                                      code="parameter_missing")  # fmt: skip
        price = check_price(engine, price_id, f"{at}[price]", currency)
        plan.adds.append((price, 1 if quantity is None else quantity, merged_metadata({}, spec.get("metadata"))))
    result = plan.resulting_prices(current)
    if not result:
        raise StripeErrorResponse(400, "A subscription must have at least one active item.", param=param)
    ids = [price["id"] for price in result]
    if len(set(ids)) != len(ids):
        raise StripeErrorResponse(400, "Cannot add multiple subscription items with the same price.", param=param)
    if len({recurring_of(price) for price in result}) > 1:
        raise StripeErrorResponse(400, "Currently all prices on a subscription must have the same `recurring.interval` "
                                       "and `recurring.interval_count`.", param=param)  # fmt: skip
    return plan


def _day(moment: int) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%d %b %Y")


def proration(price: dict[str, Any], quantity: int, *, at: int, period: tuple[int, int], credit: bool) -> int | None:
    """Stripe's proration of ``price × quantity`` from ``at`` to the period end: ``round(amount ×
    remaining / length)``, negative for a ``credit``; None when ``at`` is outside the period or the
    price is metered (Stripe prorates licensed prices only: usage is billed as used)."""
    start, end = period
    if not start <= at < end or is_metered(price):
        return None
    amount = round(int(price.get("unit_amount") or 0) * quantity * (end - at) / (end - start))
    return -amount if credit else amount


def proration_text(engine: Any, price: dict[str, Any], quantity: int, at: int, credit: bool) -> str:
    """``Unused time on 1 × Basic after 10 Feb 2026`` / ``Remaining time on …``."""
    name = describe_item(engine, price, quantity).split(" (at ")[0]
    return f"{'Unused' if credit else 'Remaining'} time on {name} after {_day(at)}"


def prorate(engine: Any, sub: dict[str, Any], item_id: str, price: dict[str, Any], quantity: int, *,
            at: int, period: tuple[int, int], credit: bool) -> dict[str, Any] | None:  # fmt: skip
    """One proration invoice item (:func:`proration`), pending for the next invoice."""
    amount = proration(price, quantity, at=at, period=period, credit=credit)
    if amount is None:
        return None
    customer = engine.get("customer", sub["customer"])
    return new_invoiceitem(engine, customer, amount=amount, currency=price["currency"],
                           description=proration_text(engine, price, quantity, at, credit), period=(at, period[1]),
                           price=price, quantity=quantity, proration=True, subscription=sub["id"],
                           subscription_item=item_id, livemode=sub.get("livemode", False))  # fmt: skip


def first_period_amount(price: dict[str, Any], quantity: int, start: int, anchor: int, behavior: str) -> int:
    """The first invoice's charge for a period cut short by ``billing_cycle_anchor``: the full period
    ending at the anchor, prorated (``create_prorations``), or nothing (``none``)."""
    if behavior == "none" or is_metered(price):
        return 0
    interval, every = recurring_of(price)
    full_start = add_interval(anchor, interval, -every)
    return round(int(price.get("unit_amount") or 0) * quantity * (anchor - start) / (anchor - full_start))


def planned_prorations(plan: ItemPlan) -> list[tuple[str | None, dict[str, Any], int, bool]]:
    """The prorations a plan makes, as ``(item id, price, quantity, credit)`` (a new item has no id yet)."""
    out: list[tuple[str | None, dict[str, Any], int, bool]] = []
    for item, price, quantity, _ in plan.changes:
        if price["id"] != item["price"]["id"] or quantity != item["quantity"]:
            out += [(item["id"], item["price"], item["quantity"], True), (item["id"], price, quantity, False)]
    out += [(item["id"], item["price"], item["quantity"], True) for item in plan.deletes]
    out += [(None, price, quantity, False) for price, quantity, _ in plan.adds]
    return out


def apply(engine: Any, sub: dict[str, Any], plan: ItemPlan, *, prorations: bool, at: int,
          period: tuple[int, int], credits_only: bool = False) -> int:  # fmt: skip
    """Apply a checked plan at ``at`` (items keep ``period``); returns how many proration items it made
    (``credits_only``: just the unused time, when a new billing cycle bills the new prices in full)."""
    clock = engine.clock_of(sub["customer"])
    made = 0
    for item, price, quantity, metadata in plan.changes:
        if prorations and (price["id"] != item["price"]["id"] or quantity != item["quantity"]):
            made += prorate(engine, sub, item["id"], item["price"], item["quantity"], at=at, period=period, credit=True) is not None
            if not credits_only:
                made += prorate(engine, sub, item["id"], price, quantity, at=at, period=period, credit=False) is not None
        changes: dict[str, Any] = {"price": copy.deepcopy(price), "plan": plan_of(price), "quantity": quantity}
        if metadata is not None:
            changes["metadata"] = metadata
        engine.update(item, changes, clock=clock, event=None)
    for item in plan.deletes:
        if prorations:
            made += prorate(engine, sub, item["id"], item["price"], item["quantity"], at=at, period=period, credit=True) is not None
        engine.delete(item, clock=clock, event=None)
    for price, quantity, metadata in plan.adds:
        item = new_item(engine, sub, price, quantity, period, metadata, clock)
        if prorations and not credits_only:
            made += prorate(engine, sub, item["id"], price, quantity, at=at, period=period, credit=False) is not None
    return made
