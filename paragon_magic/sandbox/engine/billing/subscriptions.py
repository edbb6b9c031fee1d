"""Subscriptions: create, retrieve, update (items with prorations, trials, cancel at period end,
discounts, payment method), cancel; ``cancel_now`` for the rest of the engine.

A request is checked in full before anything is made. The one outcome that cannot be known in
advance, a declined first payment under ``payment_behavior=error_if_incomplete``, is undone by
restoring the store as it was (Stripe answers 402 and keeps no subscription).
"""

from __future__ import annotations

import copy
from typing import Any

from ...front.errors import StripeErrorResponse, missing_param
from .. import Request, route
from ..common import as_bool, as_int, merged_metadata
from .invoiceitems import settle_currency
from . import cycle, discounts as discounts_mod, items as items_mod
from ..payment_methods import attached_to, default_method
from .cycle import cancel_now
from .periods import DAY, add_interval, period_amount, period_end_after, recurring_of

__all__ = ["cancel_now"]

PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
COLLECTION_METHODS = ("charge_automatically", "send_invoice")
MAX_TRIAL_DAYS = 730
#: Parameters Stripe takes that the sandbox does not bill by (refused, rather than silently ignored).
UNSUPPORTED = ("add_invoice_items", "application_fee_percent", "backdate_start_date", "billing_cycle_anchor_config",
               "billing_schedules", "billing_thresholds", "pending_invoice_item_interval",
               "transfer_data", "on_behalf_of", "customer_account")  # fmt: skip
UNSUPPORTED_ITEM = ("price_data", "billing_thresholds", "current_trial")


def refuse_unsupported(p: dict[str, Any], *, creating: bool) -> None:
    """A clear 400 for what the sandbox does not do (tiers of billing it has no model for)."""
    names = [*UNSUPPORTED, *(("cancel_at",) if creating else ())]
    if (p.get("automatic_tax") or {}).get("enabled") in (True, "true"):
        names.append("automatic_tax")
    if p.get("default_tax_rates"):
        names.append("default_tax_rates")
    if p.get("payment_behavior") == "pending_if_incomplete":  # updates applied only once paid: no model here
        raise StripeErrorResponse(400, "The sandbox does not support payment_behavior=pending_if_incomplete.",
                                  param="payment_behavior", code="parameter_invalid_string")  # fmt: skip
    for name in names:
        if p.get(name) not in (None, "", [], {}, False):
            raise StripeErrorResponse(400, f"The sandbox does not support `{name}` on subscriptions.", param=name,
                                      code="parameter_invalid_empty")  # fmt: skip
    for index, item in enumerate(p.get("items") or []):
        for name in (*UNSUPPORTED_ITEM, "tax_rates", *(() if creating else ("discounts",))):
            if isinstance(item, dict) and item.get(name) not in (None, "", []):
                raise StripeErrorResponse(400, f"The sandbox does not support `{name}` on subscription items.",
                                          param=f"items[{index}][{name}]", code="parameter_invalid_empty")  # fmt: skip


def enum_param(p: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    value = p.get(name, default)
    if value is not None and value not in allowed:
        raise StripeErrorResponse(400, f"Invalid {name}: must be one of {', '.join(allowed)}", param=name,
                                  code="parameter_invalid_string")  # fmt: skip
    return value


def collection_of(p: dict[str, Any], current: dict[str, Any] | None) -> tuple[str, int | None]:
    current = current or {}
    method = enum_param(p, "collection_method", COLLECTION_METHODS, current.get("collection_method", "charge_automatically"))
    given = p.get("days_until_due") not in (None, "")
    days = as_int(p["days_until_due"], "days_until_due") if given else current.get("days_until_due")
    if method == "send_invoice" and days is None:
        raise missing_param("days_until_due")
    if method == "charge_automatically" and p.get("days_until_due") not in (None, ""):
        raise StripeErrorResponse(400, "Invalid days_until_due: only valid for collection_method=send_invoice.",
                                  param="days_until_due")  # fmt: skip
    return str(method), days if method == "send_invoice" else None


def _trial_end(p: dict[str, Any], now: int, prices: list[dict[str, Any]]) -> int | None:
    """The trial end a create asks for (``trial_end``, ``trial_period_days``, ``trial_from_plan``)."""
    if p.get("trial_end") not in (None, ""):
        if p["trial_end"] == "now":
            return None
        end = as_int(p["trial_end"], "trial_end")
        if end <= now:
            raise StripeErrorResponse(400, "Invalid timestamp: must be an integer Unix timestamp in the future.",
                                      param="trial_end")  # fmt: skip
        if end > now + MAX_TRIAL_DAYS * DAY:
            raise StripeErrorResponse(400, "Invalid timestamp: can be no more than two years in the future.", param="trial_end")
        return end
    days = p.get("trial_period_days")
    if days in (None, "") and as_bool(p.get("trial_from_plan", False), "trial_from_plan"):
        days = next(((pr.get("recurring") or {}).get("trial_period_days") for pr in prices
                     if (pr.get("recurring") or {}).get("trial_period_days")), None)  # fmt: skip
    if days in (None, ""):
        return None
    count = as_int(days, "trial_period_days")
    if not 0 <= count <= MAX_TRIAL_DAYS:
        raise StripeErrorResponse(400, f"Invalid trial_period_days: must be between 0 and {MAX_TRIAL_DAYS}.",
                                  param="trial_period_days")  # fmt: skip
    return now + count * DAY if count else None


def _anchor(p: dict[str, Any], now: int, prices: list[dict[str, Any]], trial_end: int | None) -> int | None:
    """A future ``billing_cycle_anchor`` (Stripe: no later than the first natural period end)."""
    if p.get("billing_cycle_anchor") in (None, ""):
        return None
    anchor = as_int(p["billing_cycle_anchor"], "billing_cycle_anchor")
    if trial_end is not None:
        raise StripeErrorResponse(400, "The sandbox does not combine a trial with billing_cycle_anchor.",
                                  param="billing_cycle_anchor", code="parameter_invalid_empty")  # fmt: skip
    if anchor <= now:
        raise StripeErrorResponse(400, "Invalid timestamp: must be an integer Unix timestamp in the future.",
                                  param="billing_cycle_anchor")  # fmt: skip
    natural = min(add_interval(now, interval, every) for interval, every in map(recurring_of, prices))
    if anchor > natural:
        raise StripeErrorResponse(400, f"billing_cycle_anchor cannot be later than next natural billing date ({natural}) "
                                       "for plan.", param="billing_cycle_anchor")  # fmt: skip
    return anchor


def _first_due(engine: Any, prices: list[tuple[dict[str, Any], int]], coupons: list[dict[str, Any]], currency: str,
               now: int, anchor: int | None, behavior: str, item_coupons: list[list[dict[str, Any]]]) -> int:  # fmt: skip
    """What the first invoice will ask for (to know whether a payment method is needed)."""
    amounts = [period_amount(price, quantity) if anchor is None
               else items_mod.first_period_amount(price, quantity, now, anchor, behavior)
               for price, quantity in prices]  # fmt: skip
    amounts = [amount - sum(sum(discounts_mod.take_off(c, [amount], currency)) for c in its)
               for amount, its in zip(amounts, item_coupons)]  # fmt: skip
    off = sum(sum(discounts_mod.take_off(coupon, amounts, currency)) for coupon in coupons)
    return max(0, sum(amounts) - off)


@route("POST", "/v1/subscriptions")
def create_subscription(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    if not p.get("customer"):
        raise missing_param("customer")
    customer = engine.get("customer", p["customer"], param="customer")
    clock = engine.clock_of(customer)
    now = engine.now(clock)
    refuse_unsupported(p, creating=True)
    if not p.get("items"):
        raise missing_param("items")
    plan = items_mod.parse_items(engine, p["items"], current=[], currency=None)
    currencies = {price["currency"] for price, _, _ in plan.adds}
    if len(currencies) > 1:
        raise StripeErrorResponse(400, "All prices on a subscription must have the same currency.", param="items")
    currency = currencies.pop()
    method, days = collection_of(p, None)
    behavior = enum_param(p, "payment_behavior", PAYMENT_BEHAVIORS, "allow_incomplete")
    proration = str(enum_param(p, "proration_behavior", ("create_prorations", "none"), "create_prorations"))
    payment_method = p.get("default_payment_method") or None
    if payment_method:
        payment_method = attached_to(engine, payment_method, customer["id"], param="default_payment_method")["id"]
    coupons = discounts_mod.parse(engine, p.get("discounts"), at=now)
    item_coupons = [discounts_mod.parse(engine, spec.get("discounts") if isinstance(spec, dict) else None, at=now,
                                        param=f"items[{index}][discounts]") for index, spec in enumerate(p["items"])]  # fmt: skip
    trial_end = _trial_end(p, now, [price for price, _, _ in plan.adds])
    anchor = _anchor(p, now, [price for price, _, _ in plan.adds], trial_end)
    metadata = merged_metadata({}, p.get("metadata"))
    cancel_at_period_end = as_bool(p.get("cancel_at_period_end", False), "cancel_at_period_end")
    missing = ((p.get("trial_settings") or {}).get("end_behavior") or {}).get("missing_payment_method") or "create_invoice"
    if missing not in ("cancel", "create_invoice", "pause"):
        raise StripeErrorResponse(400, "Invalid trial_settings[end_behavior][missing_payment_method]: must be one of "
                                       "cancel, create_invoice or pause", code="parameter_invalid_string",
                                  param="trial_settings[end_behavior][missing_payment_method]")  # fmt: skip
    due = _first_due(engine, [(price, qty) for price, qty, _ in plan.adds], coupons, currency, now, anchor, proration,
                     item_coupons)  # fmt: skip
    if (method == "charge_automatically" and trial_end is None and due > 0 and behavior != "default_incomplete"
            and not payment_method and not default_method(engine, customer)):  # fmt: skip
        raise StripeErrorResponse(400, "This customer has no attached payment source or default payment method. "
                                       "Please consider adding a default payment method.", param="customer",
                                  code="resource_missing")  # fmt: skip
    snapshot = _snapshot(engine) if behavior == "error_if_incomplete" else None
    try:
        return _create(engine, req, customer, plan, currency=currency, method=method, days=days, behavior=str(behavior),
                       payment_method=payment_method, coupons=coupons, item_coupons=item_coupons,
                       trial_end=trial_end, metadata=metadata,
                       cancel_at_period_end=cancel_at_period_end, anchor=anchor, proration=proration,
                       missing_payment_method=missing)  # fmt: skip
    except StripeErrorResponse:
        if snapshot is not None:
            _restore(engine, snapshot)
        raise


def _create(engine: Any, req: Request, customer: dict[str, Any], plan: items_mod.ItemPlan, *, currency: str,
            method: str, days: int | None, behavior: str, payment_method: str | None,
            coupons: list[dict[str, Any]], item_coupons: list[list[dict[str, Any]]], trial_end: int | None,
            metadata: dict[str, Any],
            cancel_at_period_end: bool, anchor: int | None, proration: str,
            missing_payment_method: str) -> dict[str, Any]:  # fmt: skip
    p = req.params
    clock = engine.clock_of(customer)
    now = engine.now(clock)
    first_end = trial_end or anchor
    anchor = first_end or now
    sub = engine.create(
        "subscription", "sub_", clock=clock, event=None, customer=customer["id"], currency=currency,
        status="trialing" if trial_end else "incomplete", billing_cycle_anchor=anchor, start_date=now,
        collection_method=method, days_until_due=days, default_payment_method=payment_method,
        description=p.get("description") or None, metadata=metadata, cancel_at_period_end=cancel_at_period_end,
        trial_start=now if trial_end else None, trial_end=trial_end, test_clock=customer.get("test_clock"),
        trial_settings={"end_behavior": {"missing_payment_method": missing_payment_method}}, livemode=req.livemode)  # fmt: skip
    settle_currency(engine, customer, currency)
    for (price, quantity, item_metadata), its_coupons in zip(plan.adds, item_coupons):
        end = first_end or period_end_after(anchor, price, now)
        item = items_mod.new_item(engine, sub, price, quantity, (now, end), item_metadata, clock)
        if its_coupons:
            made = [discounts_mod.new_discount(engine, c, customer=customer["id"], subscription=sub["id"], invoice=None,
                                               start=now) for c in its_coupons]  # fmt: skip
            for discount in made:
                engine.update(discount, {"subscription_item": item["id"]}, clock=clock, event=None)
            engine.update(item, {"discounts": [d["id"] for d in made]}, clock=clock, event=None)
    sub["items"] = items_mod.embedded(engine, sub["id"])
    sub["discounts"] = [discounts_mod.new_discount(engine, c, customer=customer["id"], subscription=sub["id"], invoice=None,
                                                   start=now)["id"]
                        for c in coupons]  # fmt: skip
    if cancel_at_period_end:
        sub["cancel_at"], sub["canceled_at"] = sub["items"]["data"][0]["current_period_end"], now
    engine.announce("customer.subscription.created", sub, clock=clock)
    cycle.start(engine, sub, payment_behavior=behavior, proration_behavior=proration)
    return sub


def _snapshot(engine: Any) -> tuple[Any, ...]:
    """The store as it is (events are never changed once made, so they are kept, not copied)."""
    store = engine.store
    objects = {i: o if o.get("object") == "event" else copy.deepcopy(o) for i, o in store.objects.items()}
    return objects, {k: dict(v) for k, v in store.kinds.items()}, dict(store.deleted), store._rng.getstate(), store.generation


def _restore(engine: Any, snapshot: tuple[Any, ...]) -> None:
    """Put the store back as :func:`_snapshot` saw it, in place: objects that existed keep their
    identity (a test clock is the same dict in the store and in the clocks), new ones go."""
    objects, kinds, deleted, rng, generation = snapshot
    store = engine.store
    for obj_id in [i for i in store.objects if i not in objects]:
        del store.objects[obj_id]
    for obj_id, saved in objects.items():
        live = store.objects.setdefault(obj_id, saved)
        if live is not saved:
            live.clear()
            live.update(saved)
    store.kinds.clear()
    store.kinds.update(kinds)
    store.deleted.clear()
    store.deleted.update(deleted)
    store._rng.setstate(rng)
    store.generation = generation + 1


@route("GET", "/v1/subscriptions/{}")
def retrieve_subscription(req: Request) -> dict[str, Any]:
    return req.engine.get("subscription", req.arg())


@route("POST", "/v1/subscriptions/{}")
def update_subscription(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    sub = engine.get("subscription", req.arg())
    if sub["status"] in ("canceled", "incomplete_expired"):
        allowed = {"metadata", "cancellation_details"}
        if set(p) - allowed:
            raise StripeErrorResponse(400, "A canceled subscription can only update its cancellation_details and metadata.")
        changes = {}
        if "metadata" in p:
            changes["metadata"] = merged_metadata(sub.get("metadata"), p["metadata"])
        if "cancellation_details" in p:
            changes["cancellation_details"] = {**sub["cancellation_details"], **(p["cancellation_details"] or {})}
        return cycle.update_sub(engine, sub, changes)
    from .changes import update

    return update(engine, sub, p)


@route("DELETE", "/v1/subscriptions/{}")
def cancel_subscription(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    sub = engine.get("subscription", req.arg())
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise StripeErrorResponse(400, f"This subscription has already been canceled ({sub['id']}).", param=None)
    details = p.get("cancellation_details") or {}
    invoice_pending = as_bool(p.get("invoice_now", False), "invoice_now")
    prorate = as_bool(p.get("prorate", False), "prorate")
    return cancel_now(engine, sub, reason="cancellation_requested", comment=details.get("comment") or None,
                      feedback=details.get("feedback") or None, invoice_pending=invoice_pending, prorate=prorate)  # fmt: skip


@route("DELETE", "/v1/subscriptions/{}/discount")
def delete_subscription_discount(req: Request) -> dict[str, Any]:
    """Remove the subscription's discounts (``customer.discount.deleted``); answers the first one."""
    engine = req.engine
    sub = engine.get("subscription", req.arg())
    found = [d for d in (engine.store.get(i, "discount") for i in sub.get("discounts") or []) if d is not None]
    if not found:
        raise StripeErrorResponse(404, f"No active discount for subscription: '{sub['id']}'", param="subscription",
                                  code="resource_missing")  # fmt: skip
    cycle.update_sub(engine, sub, {"discounts": []})
    answers = [discounts_mod.remove_discount(engine, d) for d in found]
    return answers[0]


@route("POST", "/v1/subscriptions/{}/resume")
def resume_subscription(req: Request) -> dict[str, Any]:
    """Resume a paused subscription (``billing_cycle_anchor`` now, the default, or unchanged)."""
    engine, p = req.engine, req.params
    sub = engine.get("subscription", req.arg())
    anchor = p.get("billing_cycle_anchor") or "now"
    behavior = enum_param(p, "proration_behavior", items_mod.PRORATION_BEHAVIORS, "create_prorations")
    if anchor not in ("now", "unchanged"):
        raise StripeErrorResponse(400, "Invalid billing_cycle_anchor: must be one of now or unchanged",
                                  param="billing_cycle_anchor", code="parameter_invalid_string")  # fmt: skip
    if sub["status"] != "paused":
        raise StripeErrorResponse(400, f"Only a paused subscription can be resumed; this one is {sub['status']}.")
    return cycle.resume(engine, sub, reset_anchor=anchor == "now", proration_behavior=str(behavior))
