"""``POST /v1/invoices/create_preview``: the next invoice of a subscription (or the customer's pending
invoice items), computed and never stored: no object, no event, no id drawn.

Stripe's rules: the preview of a subscription is the invoice its period end will create
(``billing_reason: upcoming``): lines for the next period, the pending prorations, the discounts
running then, the customer's credit balance lowering ``amount_due``. ``subscription_details`` previews
a change: ``items`` (as on an update), ``proration_date`` and ``proration_behavior``
(``create_prorations``: the prorations join the next invoice; ``always_invoice``: the preview is the
invoice the change would bill now; ``none``). Nothing to bill is a 404 ``invoice_upcoming_none``.
"""

from __future__ import annotations

import copy
from typing import Any

from ...front.errors import StripeErrorResponse
from .. import Request, route
from ..common import as_int
from ..store import new_object
from . import discounts as discounts_mod, index, items as items_mod, lines as lines_mod
from .periods import period_amount, period_end_after, recurring_of

_DETAILS = ("items", "proration_behavior", "proration_date")


def _draft(customer: dict[str, Any], sub: dict[str, Any] | None, currency: str, livemode: bool) -> dict[str, Any]:
    owner = (sub or customer)["id"].split("_", 1)[-1]
    invoice = new_object(
        "invoice", id=f"upcoming_in_{owner}", customer=customer["id"], currency=currency, status="draft",
        billing_reason="upcoming", livemode=livemode, test_clock=customer.get("test_clock"), auto_advance=True,
        collection_method=(sub or {}).get("collection_method", "charge_automatically"), account_country="US",
        account_name="Paragon Sandbox", customer_name=customer.get("name"), customer_email=customer.get("email"),
        customer_address=customer.get("address"))  # fmt: skip
    if sub is not None:
        invoice["parent"] = {"type": "subscription_details", "quote_details": None,
                             "subscription_details": {"metadata": dict(sub.get("metadata") or {}),
                                                      "subscription": sub["id"], "subscription_proration_date": None}}  # fmt: skip
    return invoice


class _Lines:
    """Preview lines (plain ``line_item`` dicts, ids ``il_tmp_…``)."""

    def __init__(self, invoice: dict[str, Any]) -> None:
        self.invoice = invoice
        self.lines: list[dict[str, Any]] = []

    def add(self, **fields: Any) -> None:
        self.lines.append(new_object("line_item", id=f"il_tmp_{self.invoice['id'][12:20]}{len(self.lines):04d}",
                                     invoice=None, currency=self.invoice["currency"], livemode=self.invoice["livemode"],
                                     taxes=[], pretax_credit_amounts=[], subtotal=fields["amount"], **fields))  # fmt: skip

    def item(self, engine: Any, sub: dict[str, Any], item_id: str | None, price: dict[str, Any], quantity: int,
             period: tuple[int, int], *, amount: int | None = None, text: str | None = None) -> None:  # fmt: skip
        self.add(amount=period_amount(price, quantity) if amount is None else amount,
                 description=text or lines_mod.describe_item(engine, price, quantity), quantity=quantity,
                 period={"start": period[0], "end": period[1]}, pricing=lines_mod.pricing_of(price), subscription=sub["id"],
                 parent=lines_mod.item_parent(sub["id"], item_id or "", None, amount is not None))  # fmt: skip

    def pending(self, engine: Any, customer: dict[str, Any], sub: dict[str, Any] | None) -> None:
        for ii in index.related(engine, "invoiceitems", customer["id"]):
            details = (ii.get("parent") or {}).get("subscription_details") or {}
            owner = details.get("subscription")
            if ii.get("invoice") or ii["currency"] != self.invoice["currency"] or owner not in (None, (sub or {}).get("id")):
                continue
            parent = (lines_mod.item_parent(owner, details["subscription_item"], ii["id"], bool(ii.get("proration")))
                      if details.get("subscription_item") else
                      {"type": "invoice_item_details", "subscription_item_details": None,
                       "invoice_item_details": {"invoice_item": ii["id"], "proration": bool(ii.get("proration")),
                                                "proration_details": {"credited_items": None}, "subscription": owner}})  # fmt: skip
            self.add(amount=int(ii["amount"]), description=ii.get("description"), quantity=int(ii.get("quantity") or 1),
                     period=copy.deepcopy(ii["period"]), pricing=copy.deepcopy(ii.get("pricing")), subscription=owner,
                     parent=parent, discountable=ii.get("discountable", True))  # fmt: skip


def _change(engine: Any, sub: dict[str, Any], details: dict[str, Any], now: int) -> tuple[items_mod.ItemPlan | None, str, int]:
    """The change ``subscription_details`` asks to preview (checked as an update would be)."""
    for key in details:
        if key not in _DETAILS:
            raise StripeErrorResponse(400, f"The sandbox previews only items, proration_behavior and proration_date "
                                           f"changes (not `{key}`).", param=f"subscription_details[{key}]",
                                      code="parameter_invalid_empty")  # fmt: skip
    current = items_mod.items_of(engine, sub["id"])
    plan = None
    if "items" in details:
        plan = items_mod.parse_items(engine, details["items"], current=current, currency=sub["currency"],
                                     param="subscription_details[items]")  # fmt: skip
        if {recurring_of(p) for p in plan.resulting_prices(current)} != {recurring_of(i["price"]) for i in current}:
            raise StripeErrorResponse(400, "The sandbox does not preview a change of billing interval.",
                                      param="subscription_details[items]", code="parameter_invalid_empty")  # fmt: skip
    behavior = details.get("proration_behavior") or "create_prorations"
    if behavior not in items_mod.PRORATION_BEHAVIORS:
        raise StripeErrorResponse(400, f"Invalid proration_behavior: must be one of {', '.join(items_mod.PRORATION_BEHAVIORS)}",
                                  param="subscription_details[proration_behavior]", code="parameter_invalid_string")  # fmt: skip
    at = now
    if details.get("proration_date") not in (None, ""):
        at = as_int(details["proration_date"], "subscription_details[proration_date]")
        start, end = int(current[0]["current_period_start"]), int(current[0]["current_period_end"])
        if not start <= at <= end:
            raise StripeErrorResponse(400, "The proration_date must be within the current billing period.",
                                      param="subscription_details[proration_date]")  # fmt: skip
    return plan, behavior, at


@route("POST", "/v1/invoices/create_preview")
def create_preview(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    sub = engine.get("subscription", p["subscription"], param="subscription") if p.get("subscription") else None
    customer_id = p.get("customer") or (sub or {}).get("customer")
    if not customer_id:
        raise StripeErrorResponse(400, "Missing required param: customer.", param="customer", code="parameter_missing")
    customer = engine.get("customer", customer_id, param="customer")
    if sub is not None and sub["customer"] != customer["id"]:
        raise StripeErrorResponse(400, f"The subscription {sub['id']} does not belong to customer {customer['id']}.",
                                  param="subscription")  # fmt: skip
    details = p.get("subscription_details") or {}
    if details and sub is None:
        raise StripeErrorResponse(400, "The sandbox previews subscription_details for an existing subscription only.",
                                  param="subscription_details", code="parameter_invalid_empty")  # fmt: skip
    now = engine.now(engine.clock_of(customer))
    live = sub is not None and sub["status"] in ("active", "trialing", "past_due", "unpaid") and not sub.get("cancel_at_period_end")
    plan, behavior, at = _change(engine, sub, details, now) if live and details else (None, "create_prorations", now)
    currency = (sub or {}).get("currency") or customer.get("currency") or "usd"
    invoice = _draft(customer, sub, currency, req.livemode)
    out = _Lines(invoice)
    created = now
    if live:
        current = items_mod.items_of(engine, sub["id"])
        start, end = int(current[0]["current_period_start"]), int(current[0]["current_period_end"])
        created = end
        anchor = int(sub.get("billing_cycle_anchor") or start)
        prorations = [] if plan is None or behavior == "none" or sub["status"] == "trialing" else items_mod.planned_prorations(plan)
        if behavior == "always_invoice" and prorations:
            created = at
        else:
            resulting = _resulting(current, plan)
            for item_id, price, quantity in resulting:
                out.item(engine, sub, item_id, price, quantity, (end, period_end_after(anchor, price, end)))
            invoice.update(period_start=start, period_end=end)
        out.pending(engine, customer, sub)
        for item_id, price, quantity, credit in prorations:
            amount = items_mod.proration(price, quantity, at=at, period=(start, end), credit=credit)
            if amount is not None:
                out.item(engine, sub, item_id, price, quantity, (at, end), amount=amount,
                         text=items_mod.proration_text(engine, price, quantity, at, credit))  # fmt: skip
        if plan is not None:
            invoice["parent"]["subscription_details"]["subscription_proration_date"] = at
    else:
        out.pending(engine, customer, sub)
    if not out.lines:
        raise StripeErrorResponse(404, f"No upcoming invoices for customer: {customer['id']}", code="invoice_upcoming_none")
    return _totals(engine, invoice, out.lines, customer, list((sub or {}).get("discounts") or []), created)


def _resulting(current: list[dict[str, Any]], plan: items_mod.ItemPlan | None) -> list[tuple[str | None, dict[str, Any], int]]:
    if plan is None:
        return [(item["id"], item["price"], int(item["quantity"])) for item in current]
    changed = {item["id"]: (price, quantity) for item, price, quantity, _ in plan.changes}
    gone = {item["id"] for item in plan.deletes}
    kept = [(item["id"], *changed.get(item["id"], (item["price"], int(item["quantity"])))) for item in current
            if item["id"] not in gone]  # fmt: skip
    return kept + [(None, price, quantity) for price, quantity, _ in plan.adds]


def _totals(engine: Any, invoice: dict[str, Any], lines: list[dict[str, Any]], customer: dict[str, Any],
            discount_ids: list[str], at: int) -> dict[str, Any]:  # fmt: skip
    running = discounts_mod.active(engine, discount_ids, at)
    off: dict[str, int] = {}
    per_line = discounts_mod.line_amounts(engine, running, lines, invoice["currency"])
    for line, amounts in zip(lines, discounts_mod.with_item_discounts(engine, lines, per_line, invoice["currency"], at)):
        line.update(discount_amounts=amounts, discounts=[a["discount"] for a in amounts])
        for entry in amounts:
            off[entry["discount"]] = off.get(entry["discount"], 0) + entry["amount"]
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal - sum(off.values())
    balance = int(customer.get("balance") or 0)
    due = max(0, total + balance) if total > 0 else 0
    invoice.update(
        created=at, subtotal=subtotal, subtotal_excluding_tax=subtotal, total=total, total_excluding_tax=total,
        total_discount_amounts=[{"amount": a, "discount": d} for d, a in off.items()], discounts=[d["id"] for d in running],
        amount_due=due, amount_remaining=due, starting_balance=balance,
        ending_balance=balance + total - due if total > 0 else balance + total,
        next_payment_attempt=at + 3_600 if invoice["collection_method"] == "charge_automatically" else None,
        lines={"object": "list", "data": lines[: lines_mod.EMBEDDED], "has_more": len(lines) > lines_mod.EMBEDDED,
               "url": f"/v1/invoices/{invoice['id']}/lines"})  # fmt: skip
    return invoice
