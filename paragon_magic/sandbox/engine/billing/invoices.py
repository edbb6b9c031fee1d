"""Invoice endpoints: create (manual), retrieve, update and delete drafts, finalize, pay (also out of
band), void, mark uncollectible, send; ``/v1/invoice_payments/{id}``.

Manual invoices follow Stripe's defaults: ``auto_advance`` false, ``pending_invoice_items_behavior``
``exclude``, ``billing_reason: manual``. An auto-advancing draft finalizes an hour after creation
and is then charged (or sent). ``pay`` answers 402 ``card_error`` when the charge is declined (the
attempt stays recorded on the invoice, as at Stripe).
"""

from __future__ import annotations

import copy
from typing import Any

from ...front.errors import StripeErrorResponse
from .. import INCLUDES, Request, route
from ..common import as_bool, as_int, currency as check_currency, merged_metadata
from . import cycle, discounts as discounts_mod, index, invoicing, lines as lines_mod
from .invoiceitems import refuse
from ..payment_methods import attached_to

HOUR = 3_600


def _days(p: dict[str, Any], method: str) -> int | None:
    if p.get("days_until_due") in (None, ""):
        if method == "send_invoice" and p.get("due_date") in (None, ""):
            raise StripeErrorResponse(400, "Missing required param: days_until_due.", param="days_until_due",
                                      code="parameter_missing")  # fmt: skip
        return None
    if method != "send_invoice":
        raise StripeErrorResponse(400, "Invalid days_until_due: only valid for collection_method=send_invoice.",
                                  param="days_until_due")  # fmt: skip
    return as_int(p["days_until_due"], "days_until_due")


def _method(p: dict[str, Any], default: str) -> str:
    method = p.get("collection_method") or default
    if method not in ("charge_automatically", "send_invoice"):
        raise StripeErrorResponse(400, "Invalid collection_method: must be one of charge_automatically or send_invoice",
                                  param="collection_method", code="parameter_invalid_string")  # fmt: skip
    return str(method)


#: Parameters that change what an invoice bills or is numbered, which the sandbox does not model.
UNSUPPORTED = ("default_tax_rates", "shipping_cost", "automatic_tax", "number")


@route("POST", "/v1/invoices")
def create_invoice(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    refuse(p, UNSUPPORTED, "invoices")
    sub = engine.get("subscription", p["subscription"], param="subscription") if p.get("subscription") else None
    customer_id = p.get("customer") or (sub or {}).get("customer")
    if not customer_id:
        raise StripeErrorResponse(400, "Missing required param: customer.", param="customer", code="parameter_missing")
    customer = engine.get("customer", customer_id, param="customer")
    method = _method(p, (sub or {}).get("collection_method", "charge_automatically"))
    days = _days(p, method)
    behavior = p.get("pending_invoice_items_behavior") or "exclude"
    if behavior not in ("exclude", "include"):
        raise StripeErrorResponse(400, "Invalid pending_invoice_items_behavior: must be one of exclude or include",
                                  param="pending_invoice_items_behavior", code="parameter_invalid_string")  # fmt: skip
    code = check_currency(p["currency"]) if p.get("currency") else (sub or {}).get("currency") or customer.get("currency") or "usd"
    auto_advance = as_bool(p.get("auto_advance", False), "auto_advance")
    payment_method = p.get("default_payment_method") or None
    if payment_method:
        attached_to(engine, payment_method, customer["id"], param="default_payment_method")
    coupons = discounts_mod.parse(engine, p.get("discounts"), at=engine.now(engine.clock_of(customer)))
    metadata = merged_metadata({}, p.get("metadata"))
    due_date = as_int(p["due_date"], "due_date") if p.get("due_date") not in (None, "") else None
    clock = engine.clock_of(customer)
    invoice = invoicing.new_invoice(
        engine, customer, currency=code, billing_reason="manual", subscription=sub, collection_method=method,
        days_until_due=days, auto_advance=auto_advance, description=p.get("description") or None, metadata=metadata,
        default_payment_method=payment_method, livemode=req.livemode)  # fmt: skip
    if due_date is not None:
        invoice["due_date"] = due_date
    invoice["footer"] = p.get("footer") or None
    invoice["discounts"] = [discounts_mod.new_discount(engine, c, customer=customer["id"], subscription=None, invoice=invoice["id"],
                                                       start=engine.now(clock))["id"]
                            for c in coupons]  # fmt: skip
    if behavior == "include":
        # Stripe: with `subscription`, "only pending invoice items for that subscription"
        invoicing.take_pending(engine, invoice, subscription=(sub or {}).get("id"), only=sub is not None)
    invoicing.announce_created(engine, invoice)
    if auto_advance:
        _auto_finalize(engine, invoice)
    return invoice


def _auto_finalize(engine: Any, invoice: dict[str, Any]) -> None:
    engine.clocks.schedule(engine.clock_of(invoice["customer"]), invoice["automatically_finalizes_at"],
                           lambda: cycle.finalize_and_collect(engine, invoice["id"]), f"finalize {invoice['id']}")  # fmt: skip


def with_payments(engine: Any, invoice: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """The invoice with its includable ``payments`` list (``expand[]=payments``)."""
    if "payments" not in names:
        return invoice
    found = index.related(engine, "payments", invoice["id"])
    return {**invoice, "payments": {"object": "list", "data": copy.deepcopy(found), "has_more": False,
                                    "url": f"/v1/invoice_payments?invoice={invoice['id']}"}}  # fmt: skip


INCLUDES["invoice"] = with_payments


@route("GET", "/v1/invoices/{}")
def retrieve_invoice(req: Request) -> dict[str, Any]:
    return req.engine.get("invoice", req.arg())


@route("POST", "/v1/invoices/{}")
def update_invoice(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    invoice = engine.get("invoice", req.arg())
    refuse(p, UNSUPPORTED, "invoices")
    if invoice["status"] != "draft" and set(p) - {"metadata", "auto_advance", "description", "footer"}:
        raise StripeErrorResponse(400, "Finalized invoices can't be updated in this way.", code="invoice_not_editable")
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = merged_metadata(invoice.get("metadata"), p["metadata"])
    if "auto_advance" in p:
        changes["auto_advance"] = as_bool(p["auto_advance"], "auto_advance")
    for key in ("description", "footer"):
        if key in p:
            changes[key] = p[key] or None
    if "collection_method" in p or "days_until_due" in p:
        changes["collection_method"] = _method(p, invoice["collection_method"])
        days = _days(p, changes["collection_method"])
        if days is not None:
            changes["due_date"] = invoice["created"] + days * 86_400
    if p.get("default_payment_method"):
        changes["default_payment_method"] = attached_to(engine, p["default_payment_method"], invoice["customer"],
                                                        param="default_payment_method")["id"]  # fmt: skip
    clock = engine.clock_of(invoice["customer"])
    if "discounts" in p:
        coupons = discounts_mod.parse(engine, p["discounts"], at=engine.now(clock))
        changes["discounts"] = [discounts_mod.new_discount(engine, c, customer=invoice["customer"], subscription=None,
                                                           invoice=invoice["id"], start=engine.now(clock))["id"]
                                for c in coupons]  # fmt: skip
    if invoice["status"] == "draft":
        if changes.get("auto_advance") and not invoice.get("automatically_finalizes_at"):
            changes["automatically_finalizes_at"] = engine.now(clock) + HOUR
        elif changes.get("auto_advance") is False:
            changes["automatically_finalizes_at"] = None
        changes.update(lines_mod.totals(engine, {**invoice, **changes}, engine.now(clock)))
    engine.update(invoice, changes, clock=clock)
    if changes.get("automatically_finalizes_at"):
        _auto_finalize(engine, invoice)
    return invoice


@route("DELETE", "/v1/invoices/{}")
def delete_invoice(req: Request) -> dict[str, Any]:
    engine = req.engine
    invoice = engine.get("invoice", req.arg())
    if invoice["status"] != "draft":
        raise StripeErrorResponse(400, f"You can only delete draft invoices. This invoice is {invoice['status']}; void it instead.",
                                  code="invoice_not_editable")  # fmt: skip
    clock = engine.clock_of(invoice["customer"])
    for line in lines_mod.lines_of(engine, invoice["id"]):
        engine.delete(line, clock=clock, event=None)
    for ii in index.related(engine, "invoiceitems", invoice["customer"]):
        if ii.get("invoice") == invoice["id"]:
            engine.update(ii, {"invoice": None}, clock=clock, event=None)
    return engine.delete(invoice, clock=clock)


@route("POST", "/v1/invoices/{}/finalize")
def finalize_invoice(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    invoice = engine.get("invoice", req.arg())
    auto_advance = as_bool(p["auto_advance"], "auto_advance") if "auto_advance" in p else None
    if invoice["status"] != "draft":
        raise StripeErrorResponse(400, "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                                  code="invoice_not_editable")  # fmt: skip
    engine.get("customer", invoice["customer"])  # checked before anything changes (a deleted customer: 404)
    if auto_advance is not None:
        invoice["auto_advance"] = auto_advance
    invoicing.finalize(engine, invoice)
    if invoice["status"] == "paid":
        cycle.settled(engine, invoice)
    elif invoice.get("auto_advance") and invoice["collection_method"] == "charge_automatically":
        clock = engine.clock_of(invoice["customer"])
        at = engine.now(clock) + HOUR
        engine.update(invoice, {"next_payment_attempt": at}, clock=clock, event=None)

        def first_attempt() -> None:
            if invoice["status"] == "open" and not invoice["attempt_count"]:
                cycle.collect(engine, invoice)

        engine.clocks.schedule(clock, at, first_attempt, f"collect {invoice['id']}")
    return invoice


@route("POST", "/v1/invoices/{}/pay")
def pay_invoice(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    invoice = engine.get("invoice", req.arg())
    out_of_band = as_bool(p.get("paid_out_of_band", False), "paid_out_of_band")
    as_bool(p.get("forgive", False), "forgive")
    as_bool(p.get("off_session", True), "off_session")
    if invoice["status"] == "paid":
        raise StripeErrorResponse(400, "Invoice is already paid")
    if invoice["status"] == "void":
        raise StripeErrorResponse(400, "This invoice has been voided and can no longer be paid.", code="invoice_not_editable")
    method = p.get("payment_method") or None
    if method:
        attached_to(engine, method, invoice["customer"], param="payment_method")
    if invoice["status"] == "draft":
        invoicing.finalize(engine, invoice)
    if invoice["status"] != "paid":
        if out_of_band:
            invoicing.mark_paid(engine, invoice, out_of_band=True)
        else:
            ok, intent = invoicing.attempt(engine, invoice, payment_method=method, automatic=False,
                                           next_attempt=invoice.get("next_payment_attempt"))  # fmt: skip
            if not ok:
                raise cycle.declined_error(intent, invoice)
    cycle.settled(engine, invoice)
    return invoice


def _open(engine: Any, invoice_id: str) -> dict[str, Any]:
    return engine.get("invoice", invoice_id)


@route("POST", "/v1/invoices/{}/void")
def void_invoice(req: Request) -> dict[str, Any]:
    return invoicing.void(req.engine, _open(req.engine, req.arg()))


@route("POST", "/v1/invoices/{}/mark_uncollectible")
def mark_uncollectible(req: Request) -> dict[str, Any]:
    return invoicing.mark_uncollectible(req.engine, _open(req.engine, req.arg()))


@route("POST", "/v1/invoices/{}/send")
def send_invoice(req: Request) -> dict[str, Any]:
    engine = req.engine
    invoice = engine.get("invoice", req.arg())
    if invoice["collection_method"] != "send_invoice":
        raise StripeErrorResponse(400, "You can only manually send an invoice if its collection method is 'send_invoice'.")
    if invoice["status"] == "draft":
        invoicing.finalize(engine, invoice)
    if invoice["status"] != "open":
        raise StripeErrorResponse(400, f"You can only send open invoices. This invoice is {invoice['status']}.",
                                  code="invoice_not_editable")  # fmt: skip
    engine.announce("invoice.sent", invoice, clock=engine.clock_of(invoice["customer"]))
    return invoice


@route("GET", "/v1/invoice_payments/{}")
def retrieve_invoice_payment(req: Request) -> dict[str, Any]:
    return req.engine.get("invoice_payment", req.arg())
