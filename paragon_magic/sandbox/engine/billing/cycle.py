"""Billing on the clock: the first invoice, renewals at each period end, finalization an hour later,
payment attempts, retries and dunning, trial ends and cancellations at period end.

Stripe's rules followed here: a subscription's first invoice (``subscription_create``; $0 during a
trial) is finalized at once and, for ``charge_automatically``, paid at once (a failure leaves the
subscription ``incomplete``, expiring after 23 hours). At each period end a ``subscription_cycle``
invoice bills the *coming* period (its lines start when it is created) plus pending prorations; it
is finalized about an hour later and then charged. A failed renewal makes the subscription
``past_due`` and is retried ``Settings.retry_days`` days after the first failure; after the last
one ``Settings.dunning_action`` applies (cancel with ``payment_failed`` and mark the invoice
uncollectible, or ``unpaid``: its new invoices then stay drafts, as with ``pause_collection``
``keep_as_draft``). Every job re-reads the state it acts on and does nothing when that
changed (a stale renewal after a trial ended early, a retry of an invoice paid by hand).
"""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse
from . import discounts as discounts_mod
from . import index, invoicing
from . import items as items_mod
from .lines import lines_of, subscription_line
from ..payment_methods import default_method
from .periods import DAY, is_metered, period_end_after

HOUR = 3_600
INCOMPLETE_EXPIRES = 23 * HOUR
TRIAL_WILL_END = 3 * DAY
#: The account's "upcoming renewal events" setting: ``invoice.upcoming`` this long before a renewal.
UPCOMING_RENEWAL = 7 * DAY
LIVE = ("active", "trialing", "past_due", "unpaid")


def _clock(engine: Any, sub: dict[str, Any]) -> str:
    return engine.clock_of(sub["customer"])


def update_sub(engine: Any, sub: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Change a subscription (``customer.subscription.updated`` with ``previous_attributes``)."""
    return engine.update(sub, changes, clock=_clock(engine, sub), event="customer.subscription.updated")


def period_of(engine: Any, sub: dict[str, Any]) -> tuple[int, int]:
    first = items_mod.items_of(engine, sub["id"])[0]
    return int(first["current_period_start"]), int(first["current_period_end"])


def _orphan(engine: Any, invoice: dict[str, Any]) -> bool:
    """Whether the invoice's customer was deleted (a job then leaves the invoice alone)."""
    return engine.store.get(invoice["customer"], "customer") is None


def subscription_of(engine: Any, invoice: dict[str, Any]) -> dict[str, Any] | None:
    sub_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return engine.store.get(sub_id, "subscription") if sub_id else None


# -- invoices of a subscription ------------------------------------------------------------------
def _invoice(engine: Any, sub: dict[str, Any], reason: str, *, period: tuple[int, int], trial: bool = False,
             bill_items: bool = True, partial: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A draft subscription invoice: one line per item for the item's current period (``bill_items``;
    ``partial``: the first period is cut short by the anchor, billed per that proration behavior),
    then the subscription's pending invoice items; ``invoice.created`` once complete."""
    customer = engine.get("customer", sub["customer"])
    now = engine.now(_clock(engine, sub))
    running = [d["id"] for d in discounts_mod.active(engine, list(sub.get("discounts") or []), now)]
    invoice = invoicing.new_invoice(
        engine, customer, currency=sub["currency"], billing_reason=reason, subscription=sub,
        collection_method=sub["collection_method"], days_until_due=sub.get("days_until_due"), auto_advance=True,
        discounts=running, period=period, livemode=sub.get("livemode", False))  # fmt: skip
    if bill_items:
        for item in items_mod.items_of(engine, sub["id"]):
            start, end = item["current_period_start"], item["current_period_end"]
            prorated = None
            if partial is not None and not trial and end < period_end_after(start, item["price"], start):
                amount = items_mod.first_period_amount(item["price"], int(item["quantity"]), start, end, partial)
                prorated = (amount, items_mod.proration_text(engine, item["price"], int(item["quantity"]), start, False))
            if reason == "subscription_cycle" and is_metered(item["price"]):
                start, end = period  # usage is billed in arrears: the period just ended
            subscription_line(engine, invoice, item, item["price"], (start, end), trial=trial, prorated=prorated)
    invoicing.take_pending(engine, invoice, subscription=sub["id"])
    invoicing.announce_created(engine, invoice)
    return invoice


def _finalize(engine: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    """Finalize a subscription invoice; a ``once`` coupon it used is then gone from the subscription."""
    invoicing.finalize(engine, invoice)
    sub = subscription_of(engine, invoice)
    if sub is not None:
        _use_once_discounts(engine, sub, invoice)
    return invoice


def _use_once_discounts(engine: Any, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """A ``once`` coupon covers one invoice: drop it from the subscription once an invoice with a
    charge used it."""
    if int(invoice.get("subtotal") or 0) <= 0:
        return
    keep: list[str] = []
    used: list[dict[str, Any]] = []
    for discount_id in sub.get("discounts") or []:
        discount = engine.store.get(discount_id, "discount")
        coupon = discounts_mod.coupon_terms(engine, discount) if discount else None
        if coupon and coupon.get("duration") == "once" and discount_id in (invoice.get("discounts") or []):
            used.append(discount)
        else:
            keep.append(discount_id)
    if used:
        update_sub(engine, sub, {"discounts": keep})
        for discount in used:
            discounts_mod.remove_discount(engine, discount)
    on_lines = {entry["discount"] for line in lines_of(engine, invoice["id"]) for entry in line.get("discount_amounts") or []}
    spent_any = False
    for item in items_mod.items_of(engine, sub["id"]):  # an item's once coupon, used on one of the lines
        spent = [d for d in (engine.store.get(i, "discount") for i in item.get("discounts") or []) if d is not None
                 and d["id"] in on_lines and (discounts_mod.coupon_terms(engine, d) or {}).get("duration") == "once"]
        if spent:
            engine.update(item, {"discounts": [i for i in item["discounts"] if i not in {d["id"] for d in spent}]},
                          clock=_clock(engine, sub), event=None)  # fmt: skip
            for discount in spent:
                discounts_mod.remove_discount(engine, discount)
            spent_any = True
    if spent_any:
        update_sub(engine, sub, {"items": items_mod.embedded(engine, sub["id"])})


def start(engine: Any, sub: dict[str, Any], *, payment_behavior: str,
          proration_behavior: str = "create_prorations") -> dict[str, Any]:  # fmt: skip
    """The first invoice of a new subscription; its outcome sets the status. ``error_if_incomplete``
    and a failed payment raise Stripe's 402 (the caller undoes everything)."""
    clock = _clock(engine, sub)
    trial = sub["status"] == "trialing"
    invoice = _invoice(engine, sub, "subscription_create", period=(engine.now(clock),) * 2, trial=trial,
                       partial=proration_behavior)  # fmt: skip
    _finalize(engine, invoice)
    changes: dict[str, Any] = {"latest_invoice": invoice["id"]}
    if sub["collection_method"] == "send_invoice" and invoice["status"] == "open":
        engine.announce("invoice.sent", invoice, clock=clock)
        _watch_due_date(engine, sub, invoice)
        changes["status"] = "trialing" if trial else "active"
    elif invoice["status"] == "paid":
        changes["status"] = "trialing" if trial else "active"
    elif payment_behavior != "default_incomplete":
        ok, intent = invoicing.attempt(engine, invoice)
        if ok:
            changes["status"] = "active"
        elif payment_behavior == "error_if_incomplete":
            raise declined_error(intent, invoice)
    else:  # default_incomplete: the customer confirms the payment; nothing is attempted automatically
        engine.update(invoice, {"next_payment_attempt": None}, clock=clock, event=None)
    update_sub(engine, sub, changes)
    if sub["status"] == "incomplete":
        engine.clocks.schedule(clock, engine.now(clock) + INCOMPLETE_EXPIRES, lambda: _expire(engine, sub["id"]),
                               f"expire {sub['id']}")  # fmt: skip
    schedule(engine, sub)
    return invoice


def declined_error(intent: dict[str, Any] | None, invoice: dict[str, Any]) -> StripeErrorResponse:
    error = (intent or {}).get("last_payment_error") or {}
    if not error:
        return StripeErrorResponse(400, "This customer has no attached payment source or default payment method.",
                                   code="resource_missing")  # fmt: skip
    response = StripeErrorResponse(402, error.get("message") or "Your card was declined.", type="card_error",
                                   code=error.get("code") or "card_declined")  # fmt: skip
    response.extra = {"decline_code": error.get("decline_code"), "payment_intent": intent, "invoice": invoice["id"]}
    return response


def _expire(engine: Any, sub_id: str) -> None:
    sub = engine.store.get(sub_id, "subscription")
    if sub is None or sub["status"] != "incomplete":
        return
    invoice = engine.store.get(sub.get("latest_invoice") or "", "invoice")
    if invoice is not None and invoice["status"] == "open":
        invoicing.void(engine, invoice)
    now = engine.now(_clock(engine, sub))
    update_sub(engine, sub, {"status": "incomplete_expired", "ended_at": now})


def _watch_due_date(engine: Any, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """A ``send_invoice`` subscription falls ``past_due`` when an invoice is still open at its due date."""
    def check() -> None:
        current = engine.store.get(sub["id"], "subscription")
        if current is not None and invoice["status"] == "open" and current["status"] == "active":
            update_sub(engine, current, {"status": "past_due"})

    if invoice.get("due_date"):
        engine.clocks.schedule(_clock(engine, sub), invoice["due_date"], check, f"due {invoice['id']}")


# -- the clock's jobs ----------------------------------------------------------------------------
def schedule(engine: Any, sub: dict[str, Any]) -> None:
    """Schedule the renewal at the current period end (``invoice.upcoming`` a week before it, and
    ``trial_will_end`` three days before a trial ends)."""
    clock = _clock(engine, sub)
    end = period_of(engine, sub)[1]
    engine.clocks.schedule(clock, end, lambda: renew(engine, sub["id"], end), f"renew {sub['id']}")
    upcoming = f"upcoming {sub['id']} {end}"
    if end - UPCOMING_RENEWAL > engine.now(clock) and all(name != upcoming for _, name in engine.clocks.pending(clock)):
        engine.clocks.schedule(clock, end - UPCOMING_RENEWAL, lambda: _announce_upcoming(engine, sub["id"], end), upcoming)
    trial_end = sub.get("trial_end")
    if sub["status"] == "trialing" and trial_end and trial_end - TRIAL_WILL_END > engine.now(clock):
        engine.clocks.schedule(clock, trial_end - TRIAL_WILL_END, lambda: _trial_will_end(engine, sub["id"], trial_end),
                               f"trial_will_end {sub['id']}")  # fmt: skip


def _announce_upcoming(engine: Any, sub_id: str, end: int) -> None:
    """``invoice.upcoming``: the preview of the invoice the renewal at ``end`` will charge (Stripe sends
    it only for ``charge_automatically`` invoices, and its invoice has no id)."""
    from ..routes import Request
    from .preview import create_preview

    sub = engine.store.get(sub_id, "subscription")
    if (sub is None or sub["status"] not in LIVE or period_of(engine, sub)[1] != end or sub.get("cancel_at_period_end")
            or (sub.get("cancel_at") and sub["cancel_at"] <= end) or sub["collection_method"] != "charge_automatically"):
        return
    try:
        preview = create_preview(Request(engine, "POST", "/v1/invoices/create_preview", (), {"subscription": sub_id},
                                         livemode=bool(sub.get("livemode"))))  # fmt: skip
    except StripeErrorResponse:  # nothing to bill
        return
    engine.announce("invoice.upcoming", {**preview, "id": None}, clock=_clock(engine, sub))


def _trial_will_end(engine: Any, sub_id: str, trial_end: int) -> None:
    sub = engine.store.get(sub_id, "subscription")
    if sub is not None and sub["status"] == "trialing" and sub.get("trial_end") == trial_end:
        engine.announce("customer.subscription.trial_will_end", sub, clock=_clock(engine, sub))


def renew(engine: Any, sub_id: str, expected_end: int) -> None:
    """At a period end: end the subscription if asked to, else move every item into the next period
    and bill it (``subscription_cycle``), finalizing an hour later."""
    sub = engine.store.get(sub_id, "subscription")
    if sub is None or sub["status"] not in LIVE or period_of(engine, sub)[1] != expected_end:
        return
    clock = _clock(engine, sub)
    now = engine.now(clock)
    if sub.get("cancel_at_period_end") or (sub.get("cancel_at") and sub["cancel_at"] <= now):
        cancel_now(engine, sub, reason="cancellation_requested")
        return
    if sub["status"] == "trialing" and _trial_ends_without_a_card(engine, sub):
        return
    old = period_of(engine, sub)
    anchor = int(sub.get("billing_cycle_anchor") or old[0])
    for item in items_mod.items_of(engine, sub_id):
        end = period_end_after(anchor, item["price"], expected_end)
        engine.update(item, {"current_period_start": expected_end, "current_period_end": end}, clock=clock, event=None)
    invoice = _invoice(engine, sub, "subscription_cycle", period=old)
    changes: dict[str, Any] = {"items": items_mod.embedded(engine, sub_id), "latest_invoice": invoice["id"]}
    if sub["status"] == "trialing":
        changes["status"] = "active"
    update_sub(engine, sub, changes)
    engine.clocks.schedule(clock, now + HOUR, lambda: finalize_and_collect(engine, invoice["id"]),
                           f"finalize {invoice['id']}")  # fmt: skip
    schedule(engine, sub)


def _trial_ends_without_a_card(engine: Any, sub: dict[str, Any]) -> bool:
    """``trial_settings.end_behavior.missing_payment_method`` when a trial ends with no payment method
    to charge: ``cancel`` or ``pause`` (no invoice); ``create_invoice`` (the default) bills as usual."""
    behavior = ((sub.get("trial_settings") or {}).get("end_behavior") or {}).get("missing_payment_method")
    if behavior not in ("cancel", "pause") or sub["collection_method"] != "charge_automatically":
        return False
    customer = engine.get("customer", sub["customer"])
    if sub.get("default_payment_method") or default_method(engine, customer):
        return False
    if behavior == "cancel":
        cancel_now(engine, sub, reason="cancellation_requested")
    else:
        update_sub(engine, sub, {"status": "paused"})
        engine.announce("customer.subscription.paused", sub, clock=_clock(engine, sub))
    return True


def resume(engine: Any, sub: dict[str, Any], *, reset_anchor: bool, proration_behavior: str) -> dict[str, Any]:
    """A paused subscription restarts now: a new period (from now with ``reset_anchor``, else up to the
    old anchor's next boundary, prorated per ``proration_behavior``) billed at once; ``active`` (and
    ``customer.subscription.resumed``) once that invoice is paid, else it stays ``paused``."""
    clock = _clock(engine, sub)
    now = engine.now(clock)
    anchor = now if reset_anchor else int(sub["billing_cycle_anchor"])
    for item in items_mod.items_of(engine, sub["id"]):
        end = period_end_after(anchor, item["price"], now)
        engine.update(item, {"current_period_start": now, "current_period_end": end}, clock=clock, event=None)
    update_sub(engine, sub, {"items": items_mod.embedded(engine, sub["id"]), "billing_cycle_anchor": anchor})
    invoice = _invoice(engine, sub, "subscription_update", period=(now, now),
                       partial=None if reset_anchor else proration_behavior)  # fmt: skip
    _finalize(engine, invoice)
    if invoice["status"] == "open":
        invoicing.attempt(engine, invoice)
    changes: dict[str, Any] = {"latest_invoice": invoice["id"]}
    if invoice["status"] in ("paid", "uncollectible"):
        changes["status"] = "active"
    update_sub(engine, sub, changes)
    if sub["status"] == "active":
        engine.announce("customer.subscription.resumed", sub, clock=clock)
        schedule(engine, sub)
    return sub


def finalize_and_collect(engine: Any, invoice_id: str) -> None:
    """The auto-advance step: finalize a draft, then charge (or send) it."""
    invoice = engine.store.get(invoice_id, "invoice")
    if invoice is None or not invoice.get("auto_advance") or invoice["status"] != "draft" or _orphan(engine, invoice):
        return
    sub = subscription_of(engine, invoice)
    paused = ((sub or {}).get("pause_collection") or {}).get("behavior")
    if (sub or {}).get("status") == "unpaid" or paused == "keep_as_draft":
        # Stripe: an unpaid (or paused keep_as_draft) subscription's new invoices stay drafts
        engine.update(invoice, {"auto_advance": False, "automatically_finalizes_at": None, "next_payment_attempt": None},
                      clock=engine.clock_of(invoice["customer"]), event="invoice.updated")  # fmt: skip
        return
    _finalize(engine, invoice)
    if paused and invoice["status"] == "open":  # collection paused: the invoice is voided or written off
        (invoicing.void if paused == "void" else invoicing.mark_uncollectible)(engine, invoice)
        return
    if invoice["status"] != "open":
        settled(engine, invoice)
        return
    if invoice["collection_method"] == "send_invoice":
        engine.announce("invoice.sent", invoice, clock=engine.clock_of(invoice["customer"]))
        sub = subscription_of(engine, invoice)
        if sub is not None:
            _watch_due_date(engine, sub, invoice)
        return
    collect(engine, invoice)


def collect(engine: Any, invoice: dict[str, Any], *, first_failure: int | None = None, retry: int = 0) -> bool:
    """One automatic payment attempt; on failure the subscription is ``past_due`` and the next retry
    is scheduled (``retry_days`` after the first failure), or dunning applies after the last."""
    clock = engine.clock_of(invoice["customer"])
    now = engine.now(clock)
    first = now if first_failure is None else first_failure
    days = engine.settings.retry_days
    next_at = first + days[retry] * DAY if retry < len(days) else None
    ok, _ = invoicing.attempt(engine, invoice, next_attempt=next_at)
    if ok:
        settled(engine, invoice)
        return True
    sub = subscription_of(engine, invoice)
    if sub is not None and sub["status"] in ("active", "trialing"):
        update_sub(engine, sub, {"status": "past_due"})
    if next_at is not None:
        def again() -> None:
            if (invoice["status"] == "open" and invoice.get("auto_advance") and engine.store.get(invoice["id"], "invoice")
                    and not _orphan(engine, invoice)):  # fmt: skip
                collect(engine, invoice, first_failure=first, retry=retry + 1)

        engine.clocks.schedule(clock, next_at, again, f"retry {invoice['id']}")
    elif sub is not None:
        dunning(engine, sub, invoice)
    return False


def settled(engine: Any, invoice: dict[str, Any]) -> None:
    """A subscription invoice got paid: a ``past_due``/``unpaid``/``incomplete`` subscription is active again."""
    sub = subscription_of(engine, invoice)
    if sub is not None and sub["status"] in ("past_due", "unpaid", "incomplete"):
        if not any(i["status"] == "open" for i in index.related(engine, "invoices", sub["id"])):
            update_sub(engine, sub, {"status": "active"})


def dunning(engine: Any, sub: dict[str, Any], invoice: dict[str, Any]) -> None:
    """After the last retry failed: the account's ``dunning_action``."""
    action = engine.settings.dunning_action
    if action == "cancel":
        invoicing.mark_uncollectible(engine, invoice)
        if sub["status"] in LIVE:
            cancel_now(engine, sub, reason="payment_failed")
    elif action == "unpaid" and sub["status"] in LIVE:
        update_sub(engine, sub, {"status": "unpaid"})


def invoice_now(engine: Any, sub: dict[str, Any], *, bill_items: bool = False) -> dict[str, Any]:
    """A ``subscription_update`` invoice now (prorations billed at once, a trial ended early, a new
    billing cycle): finalized and collected immediately."""
    invoice = _invoice(engine, sub, "subscription_update", period=(engine.now(_clock(engine, sub)),) * 2,
                       bill_items=bill_items)  # fmt: skip
    _finalize(engine, invoice)
    if invoice["status"] == "open" and invoice["collection_method"] == "charge_automatically":
        collect(engine, invoice)
    elif invoice["status"] == "open":
        engine.announce("invoice.sent", invoice, clock=_clock(engine, sub))
    return invoice


def cancel_now(engine: Any, sub: dict[str, Any], *, reason: str, comment: str | None = None,
               feedback: str | None = None, invoice_pending: bool = False, prorate: bool = False) -> dict[str, Any]:  # fmt: skip
    """End a subscription now (``canceled``, ``ended_at``, ``cancellation_details.reason``;
    ``customer.subscription.deleted``); its open invoices are no longer collected automatically.
    ``prorate`` credits the unused time; ``invoice_pending`` bills pending items (and that credit) on
    a final invoice."""
    clock = _clock(engine, sub)
    now = engine.now(clock)
    if prorate and sub["status"] != "trialing":
        period = period_of(engine, sub)
        for item in items_mod.items_of(engine, sub["id"]):
            items_mod.prorate(engine, sub, item["id"], item["price"], item["quantity"], at=now, period=period, credit=True)
    if invoice_pending:
        invoice_now(engine, sub)
    for invoice in index.related(engine, "invoices", sub["id"]):  # Stripe stops collecting them
        if invoice["status"] == "open" and invoice.get("auto_advance"):
            engine.update(invoice, {"auto_advance": False, "next_payment_attempt": None}, clock=clock, event="invoice.updated")
    details = {"comment": comment, "feedback": feedback, "reason": reason}
    engine.update(sub, {"status": "canceled", "ended_at": now, "canceled_at": sub.get("canceled_at") or now,
                        "cancellation_details": details}, clock=clock, event=None)  # fmt: skip
    engine.announce("customer.subscription.deleted", sub, clock=clock)
    return sub
