"""Updating a subscription (``POST /v1/subscriptions/{id}`` and the subscription item endpoints).

Stripe's rules followed here: an item change mid-period prorates per ``proration_behavior``
(``create_prorations``, the default: proration items billed on the next invoice; ``always_invoice``:
billed now on a ``subscription_update`` invoice; ``none``). No prorations during a trial. A change to
another billing interval (outside a trial), ``billing_cycle_anchor=now`` or ``trial_end=now`` starts a
new cycle now: the unused time is credited and the new period billed at once. ``cancel_at`` ends the
subscription at that moment, crediting the unused time. ``pause_collection`` keeps the subscription
``active`` while the invoices it makes stay drafts, or are voided or marked uncollectible, until
``resumes_at``. ``cancel_at_period_end`` sets
``cancel_at`` (the period end) and ``canceled_at`` (now). One ``customer.subscription.updated``
event carries every changed field's old value.
"""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse
from ..common import as_bool, as_int, merged_metadata
from . import cycle, discounts as discounts_mod, items as items_mod
from ..payment_methods import attached_to
from .periods import DAY, period_end_after, recurring_of
from .subscriptions import COLLECTION_METHODS, MAX_TRIAL_DAYS, PAYMENT_BEHAVIORS, collection_of, enum_param, refuse_unsupported

PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")


def update(engine: Any, sub: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """Check every parameter, then apply them in one update (and bill what must be billed now)."""
    clock = engine.clock_of(sub["customer"])
    now = engine.now(clock)
    refuse_unsupported(p, creating=False)
    current = items_mod.items_of(engine, sub["id"])
    period = cycle.period_of(engine, sub)
    plan = items_mod.parse_items(engine, p["items"], current=current, currency=sub["currency"]) if "items" in p else None
    behavior = enum_param(p, "proration_behavior", items_mod.PRORATION_BEHAVIORS, "create_prorations")
    enum_param(p, "payment_behavior", PAYMENT_BEHAVIORS, None)
    at = now
    if p.get("proration_date") not in (None, ""):
        at = as_int(p["proration_date"], "proration_date")
        if not period[0] <= at <= period[1]:
            raise StripeErrorResponse(400, "The proration_date must be within the current billing period.", param="proration_date")
    trial_end = p.get("trial_end")
    if trial_end not in (None, "", "now"):
        trial_end = as_int(trial_end, "trial_end")
        if not now < trial_end <= now + MAX_TRIAL_DAYS * DAY:
            raise StripeErrorResponse(400, "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end")
    anchor_now = p.get("billing_cycle_anchor") == "now"
    if p.get("billing_cycle_anchor") not in (None, "", "now", "unchanged"):
        raise StripeErrorResponse(400, "Invalid billing_cycle_anchor: must be one of now or unchanged",
                                  param="billing_cycle_anchor", code="parameter_invalid_string")  # fmt: skip
    changes: dict[str, Any] = {}
    if "collection_method" in p or "days_until_due" in p:
        changes["collection_method"], changes["days_until_due"] = collection_of(p, sub)
    if p.get("default_payment_method"):
        changes["default_payment_method"] = attached_to(engine, p["default_payment_method"], sub["customer"],
                                                        param="default_payment_method")["id"]  # fmt: skip
    if "metadata" in p:
        changes["metadata"] = merged_metadata(sub.get("metadata"), p["metadata"])
    if "description" in p:
        changes["description"] = p["description"] or None
    coupons = discounts_mod.parse(engine, p["discounts"], at=now) if "discounts" in p else None
    cancel_flag = as_bool(p["cancel_at_period_end"], "cancel_at_period_end") if "cancel_at_period_end" in p else None
    cancel_at = None
    if p.get("cancel_at") not in (None, ""):
        cancel_at = as_int(p["cancel_at"], "cancel_at")
        if cancel_at <= now:
            raise StripeErrorResponse(400, "Invalid timestamp: must be an integer Unix timestamp in the future.", param="cancel_at")
    if "cancellation_details" in p:
        changes["cancellation_details"] = {**sub["cancellation_details"], **(p["cancellation_details"] or {})}
    if "pause_collection" in p:
        changes["pause_collection"] = _pause(p["pause_collection"], now)
    # -- everything is checked: act --------------------------------------------------------------
    trialing = sub["status"] == "trialing"
    new_interval = plan is not None and {recurring_of(pr) for pr in plan.resulting_prices(current)} != {
        recurring_of(item["price"]) for item in current}
    end_trial = trialing and (trial_end == "now" or anchor_now)
    # a new interval during a trial keeps the trial: the new price is first billed when it ends
    new_cycle = (new_interval and not trialing) or anchor_now or end_trial
    prorate = behavior != "none" and not trialing
    made = 0
    if plan is not None:
        made = items_mod.apply(engine, sub, plan, prorations=prorate, at=at, period=period, credits_only=new_cycle)
    elif new_cycle and prorate:
        for item in current:
            made += items_mod.prorate(engine, sub, item["id"], item["price"], item["quantity"], at=at, period=period,
                                      credit=True) is not None  # fmt: skip
    if new_cycle:
        for item in items_mod.items_of(engine, sub["id"]):
            engine.update(item, {"current_period_start": now, "current_period_end": period_end_after(now, item["price"], now)},
                          clock=clock, event=None)  # fmt: skip
        changes["billing_cycle_anchor"] = now
        if trialing:
            changes.update(status="active", trial_end=now)
    elif isinstance(trial_end, int):
        for item in items_mod.items_of(engine, sub["id"]):
            engine.update(item, {"current_period_end": trial_end}, clock=clock, event=None)
        changes.update(trial_end=trial_end, billing_cycle_anchor=trial_end, status="trialing",
                       trial_start=sub.get("trial_start") or now)  # fmt: skip
    if coupons is not None:
        changes["discounts"] = [discounts_mod.new_discount(engine, c, customer=sub["customer"], subscription=sub["id"],
                                                           invoice=None, start=now)["id"] for c in coupons]  # fmt: skip
    new_period = cycle.period_of(engine, sub)
    if cancel_flag is not None:
        changes.update(cancel_at_period_end=cancel_flag, cancel_at=new_period[1] if cancel_flag else None,
                       canceled_at=now if cancel_flag else None)  # fmt: skip
    if cancel_at is not None:
        changes.update(cancel_at=cancel_at, canceled_at=now)
    changes["items"] = items_mod.embedded(engine, sub["id"])
    cycle.update_sub(engine, sub, changes)
    if new_cycle:
        invoice = cycle.invoice_now(engine, sub, bill_items=True)
        cycle.update_sub(engine, sub, {"latest_invoice": invoice["id"]})
    elif behavior == "always_invoice" and made:
        invoice = cycle.invoice_now(engine, sub)
        cycle.update_sub(engine, sub, {"latest_invoice": invoice["id"]})
    if new_period != period:
        cycle.schedule(engine, sub)
    resumes_at = (changes.get("pause_collection") or {}).get("resumes_at")
    if resumes_at:
        engine.clocks.schedule(clock, resumes_at, lambda: _resume(engine, sub["id"], resumes_at), f"resume {sub['id']}")
    if cancel_at is not None:
        engine.clocks.schedule(clock, cancel_at, lambda: _cancel_at(engine, sub["id"], cancel_at), f"cancel {sub['id']}")
    return sub


def _pause(given: Any, now: int) -> dict[str, Any] | None:
    """``pause_collection``: ``""`` resumes; else ``behavior`` (keep_as_draft, mark_uncollectible, void)
    and an optional future ``resumes_at``."""
    if given in (None, ""):
        return None
    given = given if isinstance(given, dict) else {}
    behavior = given.get("behavior")
    if behavior not in PAUSE_BEHAVIORS:
        raise StripeErrorResponse(400, f"Invalid pause_collection[behavior]: must be one of {', '.join(PAUSE_BEHAVIORS)}",
                                  param="pause_collection[behavior]", code="parameter_invalid_string")  # fmt: skip
    resumes_at = None
    if given.get("resumes_at") not in (None, ""):
        resumes_at = as_int(given["resumes_at"], "pause_collection[resumes_at]")
        if resumes_at <= now:
            raise StripeErrorResponse(400, "Invalid timestamp: must be an integer Unix timestamp in the future.",
                                      param="pause_collection[resumes_at]")  # fmt: skip
    return {"behavior": behavior, "resumes_at": resumes_at}


def _resume(engine: Any, sub_id: str, moment: int) -> None:
    sub = engine.store.get(sub_id, "subscription")
    if sub is not None and (sub.get("pause_collection") or {}).get("resumes_at") == moment:
        cycle.update_sub(engine, sub, {"pause_collection": None})


def _cancel_at(engine: Any, sub_id: str, moment: int) -> None:
    sub = engine.store.get(sub_id, "subscription")
    if sub is not None and sub["status"] in cycle.LIVE and sub.get("cancel_at") == moment:
        cycle.cancel_now(engine, sub, reason="cancellation_requested", prorate=True)


__all__ = ["COLLECTION_METHODS", "update"]
