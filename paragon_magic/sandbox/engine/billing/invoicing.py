"""An invoice's life: draft → open (finalized: number, balance applied) → paid | void | uncollectible.

Stripe's rules followed here: the ``number`` is ``<customer.invoice_prefix>-<NNNN>`` from the
customer's ``next_invoice_sequence`` (which advances); finalization sets ``finalized_at`` and
``effective_at``, copies ``customer_name/email/address/phone``, applies the customer's balance
(credit lowers ``amount_due``; ``starting_balance``/``ending_balance``) and makes an invoice with
nothing due ``paid`` at once. A payment attempt records an ``invoice_payment`` (the invoice ↔ payment
link since basil) and the invoice's ``attempted``/``attempt_count``; success sets ``paid_at`` and
``amount_paid``. Every transition is announced by its own event type.
"""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse
from ..common import MINIMUM_CHARGE
from ..customer_balance import record as record_balance
from . import index, lines as lines_mod
from ..payment_methods import default_method
from ..payments import charge_customer

HOUR = 3_600
DAY = 86_400
HOSTED = "https://invoice.stripe.com/i/acct_sandbox/test_"


def new_invoice(engine: Any, customer: dict[str, Any], *, currency: str, billing_reason: str,
                subscription: dict[str, Any] | None = None, collection_method: str = "charge_automatically",
                days_until_due: int | None = None, auto_advance: bool = True, description: str | None = None,
                metadata: dict[str, Any] | None = None, discounts: list[str] | None = None,
                default_payment_method: str | None = None, period: tuple[int, int] | None = None,
                livemode: bool = False) -> dict[str, Any]:  # fmt: skip
    """A draft invoice without lines and without an event yet (:func:`announce_created` after lines)."""
    clock = engine.clock_of(customer)
    now = engine.now(clock)
    parent = None
    if subscription is not None:
        parent = {"type": "subscription_details", "quote_details": None,
                  "subscription_details": {"metadata": dict(subscription.get("metadata") or {}),
                                           "subscription": subscription["id"], "subscription_proration_date": None}}  # fmt: skip
    start, end = period or (now, now)
    invoice = engine.create(
        "invoice", "in_", clock=clock, event=None, customer=customer["id"], currency=currency, status="draft",
        billing_reason=billing_reason, collection_method=collection_method, auto_advance=auto_advance,
        automatically_finalizes_at=now + HOUR if auto_advance else None, description=description,
        next_payment_attempt=now + HOUR if auto_advance and collection_method == "charge_automatically" else None,
        metadata=dict(metadata or {}), discounts=list(discounts or []), parent=parent,
        default_payment_method=default_payment_method, period_start=start, period_end=end,
        due_date=now + days_until_due * DAY if collection_method == "send_invoice" and days_until_due is not None else None,
        test_clock=customer.get("test_clock"), livemode=livemode, account_country="US", webhooks_delivered_at=now,
        starting_balance=int(customer.get("balance") or 0),  # a draft shows the customer's current balance
        account_name="Paragon Sandbox", customer_tax_exempt=customer.get("tax_exempt") or "none",
        **_customer_copy(customer), lines={"object": "list", "data": [], "has_more": False, "url": ""},
    )  # fmt: skip
    if subscription is not None:
        index.add(engine, "invoices", subscription["id"], invoice["id"])
    return invoice


def _customer_copy(customer: dict[str, Any]) -> dict[str, Any]:
    return {"customer_name": customer.get("name"), "customer_email": customer.get("email"),
            "customer_address": customer.get("address"), "customer_phone": customer.get("phone"),
            "customer_shipping": customer.get("shipping")}  # fmt: skip


def refresh(engine: Any, invoice: dict[str, Any], *, event: str | None = None) -> dict[str, Any]:
    """Recompute totals and embedded lines (``event``: announce the change, e.g. ``invoice.updated``)."""
    clock = engine.clock_of(invoice["customer"])
    return engine.update(invoice, lines_mod.totals(engine, invoice, engine.now(clock)), clock=clock, event=event)


def announce_created(engine: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    refresh(engine, invoice)
    engine.announce("invoice.created", invoice, clock=engine.clock_of(invoice["customer"]))
    return invoice


def take_pending(engine: Any, invoice: dict[str, Any], *, subscription: str | None = None, only: bool = False) -> int:
    """Move the customer's pending invoice items onto ``invoice`` (a subscription's invoice takes its
    own and the customer's unattached ones; ``only``: just the subscription's); returns how many."""
    clock = engine.clock_of(invoice["customer"])
    taken = 0
    for ii in index.related(engine, "invoiceitems", invoice["customer"]):
        owner = ((ii.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        if ii.get("invoice") or ii.get("customer") != invoice["customer"] or ii.get("currency") != invoice["currency"]:
            continue
        if (owner is not None and owner != subscription) or (only and owner is None):
            continue
        engine.update(ii, {"invoice": invoice["id"]}, clock=clock, event=None)  # no such Stripe event
        lines_mod.invoiceitem_line(engine, invoice, ii)
        taken += 1
    return taken


def _transition(engine: Any, invoice: dict[str, Any], changes: dict[str, Any], *types: str) -> dict[str, Any]:
    """Apply a status change and announce it by its own types (``invoice.finalized``, ``invoice.paid``
    …); the change is in those events' objects, so no ``invoice.updated`` doubles them."""
    clock = engine.clock_of(invoice["customer"])
    engine.update(invoice, changes, clock=clock, event=None)
    for type in types:
        engine.announce(type, invoice, clock=clock)
    return invoice


def finalize(engine: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    """Draft → open (or paid when nothing is due): number, balance, customer details, hosted URL."""
    if invoice["status"] != "draft":
        raise StripeErrorResponse(400, "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                                  code="invoice_not_editable")  # fmt: skip
    customer = engine.get("customer", invoice["customer"])
    clock = engine.clock_of(customer)
    now = engine.now(clock)
    sequence = int(customer.get("next_invoice_sequence") or 1)
    balance = int(customer.get("balance") or 0)
    total = int(invoice["total"])
    if total < 0:
        due, ending = 0, balance + total
    elif balance < 0:
        applied = min(-balance, total)
        due, ending = total - applied, balance + applied
    else:
        due, ending = total + balance, 0
    applied = ending - balance
    too_small = 0
    if invoice["collection_method"] == "charge_automatically" and 0 < due < MINIMUM_CHARGE.get(invoice["currency"], 50):
        too_small = due
        due, ending = 0, ending + due  # below Stripe's minimum charge: carried to the next invoice as a debit
    engine.update(customer, {"next_invoice_sequence": sequence + 1, "balance": balance + applied}, clock=clock)
    if applied:
        record_balance(engine, customer, applied, type="applied_to_invoice", clock=clock, code=invoice["currency"],
                       invoice=invoice["id"])  # fmt: skip
    if too_small:
        engine.update(customer, {"balance": ending}, clock=clock)
        record_balance(engine, customer, too_small, type="invoice_too_small", clock=clock, code=invoice["currency"],
                       invoice=invoice["id"])  # fmt: skip
    changes = {
        "status": "open", "number": f"{customer.get('invoice_prefix')}-{sequence:04d}", "amount_due": due,
        "amount_remaining": due, "starting_balance": balance, "ending_balance": ending, "effective_at": now,
        "automatically_finalizes_at": None, "hosted_invoice_url": HOSTED + invoice["id"],
        "invoice_pdf": HOSTED + invoice["id"] + "/pdf",
        "status_transitions": {**invoice["status_transitions"], "finalized_at": now}, **_customer_copy(customer),
    }  # fmt: skip
    if invoice["collection_method"] == "send_invoice" and invoice.get("due_date") is None:
        changes["due_date"] = now + 30 * DAY
    _transition(engine, invoice, changes, "invoice.finalized")
    if due == 0:
        mark_paid(engine, invoice)
    else:
        link = engine.create("invoice_payment", "inpay_", clock=clock, event=None, created=now, amount_paid=None,
                             amount_requested=due,
                      currency=invoice["currency"], invoice=invoice["id"], is_default=True,
                      livemode=invoice.get("livemode", False), status="open",
                      payment={"type": "payment_intent", "payment_intent": None, "charge": None, "payment_record": None},
                      status_transitions={"canceled_at": None, "paid_at": None})  # fmt: skip
        index.add(engine, "payments", invoice["id"], link["id"])
    return invoice


def default_payment(engine: Any, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice's default ``invoice_payment`` (created at finalization when something is due)."""
    return next((p for p in index.related(engine, "payments", invoice["id"]) if p["is_default"]), None)


def payment_method_for(engine: Any, invoice: dict[str, Any], customer: dict[str, Any]) -> str | None:
    """Stripe's order: the invoice's, the subscription's, the customer's default."""
    if invoice.get("default_payment_method"):
        return invoice["default_payment_method"]
    sub_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    sub = engine.store.get(sub_id, "subscription") if sub_id else None
    return (sub or {}).get("default_payment_method") or default_method(engine, customer)


def attempt(engine: Any, invoice: dict[str, Any], *, payment_method: str | None = None,
            next_attempt: int | None = None, automatic: bool = True) -> tuple[bool, dict[str, Any] | None]:  # fmt: skip
    """One payment attempt on an open invoice: ``(paid, payment_intent)``; a failure is recorded with
    ``next_payment_attempt=next_attempt`` and ``invoice.payment_failed``. Stripe's ``attempt_count``:
    any first attempt counts, then only automatic retries (not a manual ``pay``)."""
    customer = engine.get("customer", invoice["customer"])
    method = payment_method or payment_method_for(engine, invoice, customer)
    intent = None
    ok = False
    if method is not None:
        try:
            intent, charged = charge_customer(engine, customer, int(invoice["amount_remaining"]), invoice["currency"],
                                              payment_method=method,
                                              description=f"Payment for Invoice {invoice['number']}")  # fmt: skip
        except StripeErrorResponse:  # the method is gone (detached, deleted): a failed attempt, no charge
            intent = charged = None
        ok = charged is not None and charged.get("status") == "succeeded"
    if intent is not None:
        if (link := default_payment(engine, invoice)) is not None:
            engine.update(link, {"payment": {**link["payment"], "payment_intent": intent["id"]}},
                          clock=engine.clock_of(customer), event=None)  # fmt: skip
    count = int(invoice.get("attempt_count") or 0)
    count = count + 1 if automatic or not count else count
    if ok:
        mark_paid(engine, invoice, attempt_count=count)
    else:
        _transition(engine, invoice, {"attempted": True, "attempt_count": count, "next_payment_attempt": next_attempt},
                    "invoice.payment_failed")  # fmt: skip
    return ok, intent


def mark_paid(engine: Any, invoice: dict[str, Any], *, attempt_count: int | None = None,
              out_of_band: bool = False) -> dict[str, Any]:  # fmt: skip
    clock = engine.clock_of(invoice["customer"])
    now = engine.now(clock)
    changes: dict[str, Any] = {
        "status": "paid", "amount_paid": int(invoice["amount_paid"] or 0) + int(invoice["amount_remaining"]),
        "amount_remaining": 0, "next_payment_attempt": None,
        "status_transitions": {**invoice["status_transitions"], "paid_at": now},
    }  # fmt: skip
    if attempt_count is not None:
        changes.update(attempted=True, attempt_count=attempt_count)
    link = default_payment(engine, invoice)
    if link is not None and not out_of_band:
        paid = {"status": "paid", "amount_paid": link["amount_requested"],
                "status_transitions": {**link["status_transitions"], "paid_at": now}}  # fmt: skip
        engine.update(link, paid, clock=clock, event=None)
        engine.announce("invoice_payment.paid", link, clock=clock)
    elif link is not None:
        engine.update(link, {"status": "canceled", "status_transitions": {**link["status_transitions"], "canceled_at": now}},
                      clock=clock, event=None)  # fmt: skip
    return _transition(engine, invoice, changes, "invoice.paid", "invoice.payment_succeeded")


def void(engine: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["status"] not in ("open", "uncollectible"):
        raise StripeErrorResponse(400, f"You can only pass in open or uncollectible invoices. This invoice is {invoice['status']}.",
                                  code="invoice_not_editable")  # fmt: skip
    clock = engine.clock_of(invoice["customer"])
    now = engine.now(clock)
    link = default_payment(engine, invoice)
    if link is not None and link["status"] == "open":
        engine.update(link, {"status": "canceled", "status_transitions": {**link["status_transitions"], "canceled_at": now}},
                      clock=clock, event=None)  # fmt: skip
    return _transition(engine, invoice, {"status": "void", "next_payment_attempt": None, "amount_remaining": 0,
                                         "status_transitions": {**invoice["status_transitions"], "voided_at": now}},
                       "invoice.voided")  # fmt: skip


def mark_uncollectible(engine: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    if invoice["status"] != "open":
        raise StripeErrorResponse(400, f"You can only mark open invoices as uncollectible. This invoice is {invoice['status']}.",
                                  code="invoice_not_editable")  # fmt: skip
    now = engine.now(engine.clock_of(invoice["customer"]))
    return _transition(engine, invoice, {"status": "uncollectible", "next_payment_attempt": None,
                                         "status_transitions": {**invoice["status_transitions"], "marked_uncollectible_at": now}},
                       "invoice.marked_uncollectible")  # fmt: skip
