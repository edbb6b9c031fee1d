"""``POST /v1/invoices/create_preview``: the next invoice of a subscription (or the customer's pending
invoice items), computed and never stored: no object, no event.

Stripe's rules: the preview of a subscription is the ``subscription_cycle`` invoice created at the
current period end (``billing_reason: upcoming``), its lines covering the next period, with the
pending prorations and the discounts running then; the customer's credit balance lowers
``amount_due``. Without anything to bill it is a 404 ``invoice_upcoming_none``.
"""

from __future__ import annotations

import copy
from typing import Any

from ...front.errors import StripeErrorResponse
from .. import Request, route
from ..store import new_object
from . import discounts as discounts_mod, index, items as items_mod, lines as lines_mod
from .periods import period_end_after


def _line(engine: Any, invoice: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return new_object("line_item", id=engine.store.new_id("il_tmp_"), invoice=None, currency=invoice["currency"],
                      livemode=invoice["livemode"], taxes=[], pretax_credit_amounts=[], **fields)  # fmt: skip


@route("POST", "/v1/invoices/create_preview")
def create_preview(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    sub = engine.get("subscription", p["subscription"], param="subscription") if p.get("subscription") else None
    customer_id = p.get("customer") or (sub or {}).get("customer")
    if not customer_id:
        raise StripeErrorResponse(400, "Missing required param: customer.", param="customer", code="parameter_missing")
    customer = engine.get("customer", customer_id, param="customer")
    if sub is not None and sub["customer"] != customer["id"]:
        raise StripeErrorResponse(400, f"The subscription {sub['id']} does not belong to customer {customer['id']}.", param="subscription")
    clock = engine.clock_of(customer)
    now = engine.now(clock)
    live = sub is not None and sub["status"] in ("active", "trialing", "past_due", "unpaid") and not sub.get("cancel_at_period_end")
    at = now
    currency = (sub or {}).get("currency") or customer.get("currency") or "usd"
    invoice = new_object(
        "invoice", id="upcoming_" + engine.store.new_id("in_"), customer=customer["id"], currency=currency,
        status="draft", billing_reason="upcoming", livemode=req.livemode, test_clock=customer.get("test_clock"),
        collection_method=(sub or {}).get("collection_method", "charge_automatically"), auto_advance=True,
        customer_name=customer.get("name"), customer_email=customer.get("email"), customer_address=customer.get("address"),
        account_country="US", account_name="Paragon Sandbox")  # fmt: skip
    lines: list[dict[str, Any]] = []
    if live:
        start, end = (int(x) for x in (items_mod.items_of(engine, sub["id"])[0][k] for k in ("current_period_start", "current_period_end")))
        at = end
        anchor = int(sub.get("billing_cycle_anchor") or start)
        invoice["parent"] = {"type": "subscription_details", "quote_details": None,
                             "subscription_details": {"metadata": dict(sub.get("metadata") or {}),
                                                      "subscription": sub["id"], "subscription_proration_date": None}}  # fmt: skip
        for item in items_mod.items_of(engine, sub["id"]):
            quantity = int(item["quantity"])
            lines.append(_line(engine, invoice, amount=int(item["price"].get("unit_amount") or 0) * quantity,
                               description=lines_mod.describe_item(engine, item["price"], quantity), quantity=quantity,
                               period={"start": end, "end": period_end_after(anchor, item["price"], end)},
                               pricing=lines_mod._pricing(item["price"]), subscription=sub["id"],
                               parent=lines_mod._item_parent(sub["id"], item["id"], None, False)))  # fmt: skip
        invoice.update(period_start=start, period_end=end)
    for ii in index.related(engine, "invoiceitems", customer["id"]):
        owner = ((ii.get("parent") or {}).get("subscription_details") or {}).get("subscription")
        if ii.get("invoice") or ii["customer"] != customer["id"] or ii["currency"] != currency:
            continue
        if owner is not None and owner != (sub or {}).get("id"):
            continue
        details = (ii.get("parent") or {}).get("subscription_details") or {}
        parent = (lines_mod._item_parent(owner, details["subscription_item"], ii["id"], bool(ii.get("proration")))
                  if details.get("subscription_item") else
                  {"type": "invoice_item_details", "subscription_item_details": None,
                   "invoice_item_details": {"invoice_item": ii["id"], "proration": bool(ii.get("proration")),
                                            "proration_details": {"credited_items": None}, "subscription": owner}})  # fmt: skip
        lines.append(_line(engine, invoice, amount=int(ii["amount"]), description=ii.get("description"),
                           quantity=int(ii.get("quantity") or 1), period=copy.deepcopy(ii["period"]),
                           pricing=copy.deepcopy(ii.get("pricing")), subscription=owner, parent=parent,
                           discountable=ii.get("discountable", True)))  # fmt: skip
    if not lines:
        raise StripeErrorResponse(404, f"No upcoming invoices for customer: {customer['id']}", code="invoice_upcoming_none")
    running = discounts_mod.active(engine, list((sub or {}).get("discounts") or []), at)
    per_line = discounts_mod.line_amounts(engine, running, lines, currency)
    off: dict[str, int] = {}
    for line, amounts in zip(lines, per_line):
        line.update(subtotal=line["amount"], discount_amounts=amounts, discounts=[a["discount"] for a in amounts])
        for entry in amounts:
            off[entry["discount"]] = off.get(entry["discount"], 0) + entry["amount"]
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal - sum(off.values())
    balance = int(customer.get("balance") or 0)
    due = max(0, total + balance) if total > 0 else 0
    invoice.update(
        created=at, subtotal=subtotal, subtotal_excluding_tax=subtotal, total=total, total_excluding_tax=total,
        total_discount_amounts=[{"amount": a, "discount": d} for d, a in off.items()], discounts=[d["id"] for d in running],
        amount_due=due, amount_remaining=due, starting_balance=balance, ending_balance=balance + total - due if total > 0 else balance + total,
        next_payment_attempt=at + 3_600 if invoice["collection_method"] == "charge_automatically" else None,
        lines={"object": "list", "data": lines[: lines_mod.EMBEDDED], "has_more": len(lines) > lines_mod.EMBEDDED,
               "url": f"/v1/invoices/{invoice['id']}/lines"})  # fmt: skip
    return invoice
