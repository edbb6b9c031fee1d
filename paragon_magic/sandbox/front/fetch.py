"""What the front layer reads besides the request's own answer: objects an ``expand[]`` names, and the
subscription a subscription item belongs to (localstripe exports neither)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..account import account_object
from .list_specs import find_list_spec
from .prices import find_price
from .proxy import apply_backdates
from .shapes import Fetch, ShapeContext, to_current
from .shapes_types import items_in_subscription

if TYPE_CHECKING:
    from .app import FrontState


async def items_with_their_subscription(state: FrontState, data: Any) -> Any:
    """Subscription items read on their own, told their subscription and period (localstripe hides both)."""
    subs = await state.lists.ordered(find_list_spec("/v1/subscriptions"), (), state.upstream, state.backdates,
                                     state.backdate_fields, state.backdate_version)  # fmt: skip
    by_item = {
        item["id"]: item
        for sub in subs.objects
        for item in items_in_subscription(sub, int(time.time()))
    }
    if isinstance(data, dict) and data.get("object") == "list":
        return {**data, "data": [by_item.get(item.get("id"), item) for item in data.get("data") or []]}
    return by_item.get(data.get("id"), data) if isinstance(data, dict) else data


#: Id prefix -> the upstream collection an expansion fetches it from.
_EXPANDABLE_COLLECTIONS = {
    "cus_": "customers", "ch_": "charges", "in_": "invoices", "pi_": "payment_intents", "pm_": "payment_methods",
    "txn_": "balance_transactions", "sub_": "subscriptions", "si_": "subscription_items", "prod_": "products",
    "re_": "refunds", "po_": "payouts", "ii_": "invoiceitems", "src_": "sources", "card_": "sources",
    "plan_": "plans", "seti_": "setup_intents", "txr_": "tax_rates", "evt_": "events",
}  # fmt: skip


def expansion_fetcher(state: FrontState, ctx: ShapeContext) -> Fetch:
    """Fetch ``(field, id)`` for ``expand[]``: the object in today's shape, or None when unknown."""
    plain = ShapeContext(prices=ctx.prices, default_prices=ctx.default_prices, now=ctx.now)

    async def fetch(field_name: str, obj_id: str) -> dict[str, Any] | None:
        if field_name == "price" or (obj_id.startswith("price_") and field_name != "plan"):
            data: Any = await find_price(state, obj_id)
        elif obj_id.startswith("acct_"):
            data = account_object(obj_id)
        else:
            collection = "plans" if field_name == "plan" else next(
                (c for prefix, c in _EXPANDABLE_COLLECTIONS.items() if obj_id.startswith(prefix)), None)  # fmt: skip
            if collection is None or "/" in obj_id:
                return None
            reply = await state.upstream.call("GET", f"/v1/{collection}/{obj_id}")
            data = reply.data if reply.status == 200 and isinstance(reply.data, dict) else None
        if data is None:
            return None
        return to_current(apply_backdates(data, state.backdates, state.backdate_fields), plain)

    return fetch


def refund_from_charge(refund: dict[str, Any], charge: dict[str, Any]) -> dict[str, Any]:
    """A refund told what Stripe copies from its charge (customer, payment intent, payment method)."""
    copied = {key: charge.get(key) for key in ("customer", "payment_intent", "payment_method")}
    return {**refund, **{key: value for key, value in copied.items() if refund.get(key) is None}}


async def refunds_with_their_charge(state: FrontState, data: Any) -> Any:
    """Refunds (one, or a list page) completed from their charges (localstripe leaves those fields out)."""
    refunds = data.get("data") if isinstance(data, dict) and data.get("object") == "list" else [data]
    charges: dict[str, dict[str, Any]] = {}
    for refund in refunds or []:
        charge_id = refund.get("charge") if isinstance(refund, dict) else None
        if isinstance(charge_id, str) and charge_id not in charges and "/" not in charge_id:
            reply = await state.upstream.call("GET", f"/v1/charges/{charge_id}")
            charges[charge_id] = reply.data if reply.status == 200 and isinstance(reply.data, dict) else {}
    completed = [
        refund_from_charge(r, charges.get(r.get("charge"), {})) if isinstance(r, dict) else r for r in refunds or []
    ]
    if isinstance(data, dict) and data.get("object") == "list":
        return {**data, "data": completed}
    return completed[0] if completed else data
