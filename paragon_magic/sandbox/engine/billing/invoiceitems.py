"""Invoice items (``/v1/invoiceitems``): pending charges or credits that the customer's next invoice
picks up, or lines added to a draft invoice. Subscription prorations are invoice items too
(``proration: true``, ``parent.subscription_details``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ...front.errors import StripeErrorResponse
from .. import Request, route
from ..common import as_bool, as_int, currency as check_currency, merged_metadata, ref, required
from . import index, invoicing, lines as lines_mod
from ..prices import price_of


def new_invoiceitem(engine: Any, customer: dict[str, Any], *, amount: int, currency: str, description: str | None,
                    period: tuple[int, int], price: dict[str, Any] | None = None, quantity: int = 1,
                    proration: bool = False, subscription: str | None = None, subscription_item: str | None = None,
                    invoice: dict[str, Any] | None = None, discountable: bool = True,
                    metadata: dict[str, Any] | None = None, livemode: bool = False) -> dict[str, Any]:  # fmt: skip
    """Create an invoice item (``invoiceitem.created``); on a draft ``invoice`` it becomes a line now."""
    clock = engine.clock_of(customer)
    parent = None
    if subscription is not None:
        parent = {"type": "subscription_details",
                  "subscription_details": {"subscription": subscription, "subscription_item": subscription_item}}  # fmt: skip
    ii = engine.create(
        "invoiceitem", "ii_", clock=clock, customer=customer["id"], amount=amount, currency=currency,
        description=description, date=engine.now(clock), period={"start": period[0], "end": period[1]},
        pricing=lines_mod.pricing_of(price), quantity=quantity, proration=proration, parent=parent, net_amount=amount,
        invoice=invoice["id"] if invoice else None, discountable=discountable, metadata=dict(metadata or {}),
        test_clock=customer.get("test_clock"), livemode=livemode)  # fmt: skip
    index.add(engine, "invoiceitems", customer["id"], ii["id"])
    settle_currency(engine, customer, currency)
    if invoice is not None:
        lines_mod.invoiceitem_line(engine, invoice, ii)
        invoicing.refresh(engine, invoice, event="invoice.updated")
    return ii


def settle_currency(engine: Any, customer: dict[str, Any], currency: str) -> None:
    """Stripe sets a customer's ``currency`` (what it is billed in) from its first invoice item or
    subscription."""
    if customer.get("currency") is None:
        engine.update(customer, {"currency": currency}, clock=engine.clock_of(customer))


def _draft(engine: Any, invoice_id: Any, customer: dict[str, Any], param: str) -> dict[str, Any]:
    invoice = engine.get("invoice", invoice_id, param=param)
    if invoice["customer"] != customer["id"]:
        raise StripeErrorResponse(400, f"The invoice {invoice['id']} does not belong to customer {customer['id']}.", param=param)
    if invoice["status"] != "draft":
        raise StripeErrorResponse(400, f"You can only add invoice items to draft invoices. This invoice is {invoice['status']}.",
                                  param=param, code="invoice_not_editable")  # fmt: skip
    return invoice


def refuse(p: dict[str, Any], names: tuple[str, ...], noun: str) -> None:
    """A clear 400 for a parameter that would change the money and that the sandbox does not model
    (taxes, discounts on an item, shipping), rather than billing a different total than Stripe."""
    for name in names:
        value = p.get(name)
        if name == "automatic_tax":
            value = as_bool((value or {}).get("enabled", False), "automatic_tax[enabled]") if isinstance(value, dict) else value
        if value not in (None, "", [], {}, False):
            raise StripeErrorResponse(400, f"The sandbox does not support `{name}` on {noun}.", param=name,
                                      code="parameter_invalid_empty")  # fmt: skip


UNSUPPORTED_ITEM = ("tax_rates", "discounts", "tax_code", "quantity_decimal")


@route("POST", "/v1/invoiceitems")
def create_invoiceitem(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    required(p, "customer")
    refuse(p, UNSUPPORTED_ITEM, "invoice items")
    customer = engine.get("customer", p["customer"], param="customer")
    now = engine.now(engine.clock_of(customer))
    price = None
    price_id = (p.get("pricing") or {}).get("price") or p.get("price")
    quantity = as_int(p.get("quantity", 1), "quantity")
    if price_id:
        price = price_of(engine, price_id, param="pricing[price]")
        code = price["currency"]
        amount = int(price.get("unit_amount") or 0) * quantity
    elif p.get("price_data"):
        data = p["price_data"]
        code = check_currency(data.get("currency"), "price_data[currency]")
        amount = as_int(data.get("unit_amount", 0), "price_data[unit_amount]") * quantity
    elif p.get("unit_amount_decimal") not in (None, "") and p.get("amount") in (None, ""):
        code = check_currency(p.get("currency"), "currency")
        try:  # Stripe bills unit × quantity rounded to the currency's smallest unit
            exact = Decimal(str(p["unit_amount_decimal"])) * quantity
        except InvalidOperation:
            raise StripeErrorResponse(400, f"Invalid decimal: {p['unit_amount_decimal']}", param="unit_amount_decimal",
                                      code="parameter_invalid_decimal") from None  # fmt: skip
        amount = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        if p.get("amount") in (None, ""):
            raise StripeErrorResponse(400, "You must specify either `amount`, `pricing[price]` or `price_data`.", param="amount")
        code = check_currency(p.get("currency"), "currency")
        amount = as_int(p["amount"], "amount")
    invoice = _draft(engine, p["invoice"], customer, "invoice") if p.get("invoice") else None
    if invoice is not None and invoice["currency"] != code:
        raise StripeErrorResponse(400, "The currency of an invoice item must match its invoice's currency.", param="currency")
    subscription = None
    if p.get("subscription"):
        subscription = engine.get("subscription", p["subscription"], param="subscription")["id"]
    period = p.get("period") or {}
    start, end = (as_int(period.get("start", now), "period[start]"), as_int(period.get("end", now), "period[end]"))
    metadata = merged_metadata({}, p.get("metadata"))
    return new_invoiceitem(engine, customer, amount=amount, currency=code, description=p.get("description"),
                           period=(start, end), price=price, quantity=quantity, subscription=subscription,
                           invoice=invoice, discountable=as_bool(p.get("discountable", True), "discountable"),
                           metadata=metadata, livemode=req.livemode)  # fmt: skip


@route("GET", "/v1/invoiceitems/{}")
def retrieve_invoiceitem(req: Request) -> dict[str, Any]:
    return req.engine.get("invoiceitem", req.arg())


def _editable(engine: Any, ii: dict[str, Any]) -> dict[str, Any] | None:
    """The draft invoice an item is on (None when pending); a finalized one refuses changes."""
    if not ii.get("invoice"):
        return None
    invoice = engine.get("invoice", ref(ii["invoice"]))
    if invoice["status"] != "draft":
        raise StripeErrorResponse(400, "Updating an invoice item is only possible while its invoice is a draft.",
                                  code="invoice_not_editable")  # fmt: skip
    return invoice


@route("POST", "/v1/invoiceitems/{}")
def update_invoiceitem(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    ii = engine.get("invoiceitem", req.arg())
    refuse(p, (*UNSUPPORTED_ITEM, "unit_amount_decimal"), "invoice items")
    invoice = _editable(engine, ii)
    changes: dict[str, Any] = {}
    if "amount" in p:
        changes["amount"] = changes["net_amount"] = as_int(p["amount"], "amount")
    if "description" in p:
        changes["description"] = p["description"] or None
    if "quantity" in p:
        changes["quantity"] = as_int(p["quantity"], "quantity")
    if "discountable" in p:
        changes["discountable"] = as_bool(p["discountable"], "discountable")
    if "metadata" in p:
        changes["metadata"] = merged_metadata(ii.get("metadata"), p["metadata"])
    clock = engine.clock_of(ii["customer"])
    engine.update(ii, changes, clock=clock, event=None)  # Stripe has no invoiceitem.updated event
    if invoice is not None:
        for line in lines_mod.lines_of(engine, invoice["id"]):
            if ((line.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item") == ii["id"]:
                mirrored = {"amount": ii["amount"], "subtotal": ii["amount"], "description": ii["description"],
                            "quantity": ii["quantity"], "discountable": ii["discountable"]}  # fmt: skip
                engine.update(line, mirrored, clock=clock, event=None)
        invoicing.refresh(engine, invoice, event="invoice.updated")
    return ii


@route("DELETE", "/v1/invoiceitems/{}")
def delete_invoiceitem(req: Request) -> dict[str, Any]:
    engine = req.engine
    ii = engine.get("invoiceitem", req.arg())
    invoice = _editable(engine, ii)
    clock = engine.clock_of(ii["customer"])
    if invoice is not None:
        for line in lines_mod.lines_of(engine, invoice["id"]):
            parent = line.get("parent") or {}
            details = parent.get("invoice_item_details") or parent.get("subscription_item_details") or {}
            if details.get("invoice_item") == ii["id"]:
                engine.delete(line, clock=clock, event=None)
    tombstone = engine.delete(ii, clock=clock)
    if invoice is not None:
        invoicing.refresh(engine, invoice, event="invoice.updated")
    return tombstone
