"""Invoice lines (``line_item`` objects, ``invoice`` set) and the totals an invoice derives from them.

A line comes from a subscription item for a period (``parent.subscription_item_details``) or from an
invoice item (a proration item keeps ``subscription_item_details`` with ``invoice_item`` set; a
one-off is ``invoice_item_details``). The invoice embeds its first 10 lines (``has_more`` beyond) and
its totals: ``subtotal`` = Σ line amounts, ``total`` = subtotal − discounts, ``amount_due`` = what is
left to pay after the customer's balance (applied at finalization).
"""

from __future__ import annotations

import copy
from typing import Any

from . import discounts as discounts_mod, index
from .periods import is_metered, period_amount, recurring_of

EMBEDDED = 10


def _product_name(engine: Any, price: dict[str, Any]) -> str:
    product = engine.store.get(price.get("product") or "", "product")
    return str((product or {}).get("name") or price.get("nickname") or price.get("id"))


def _money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}.get(currency, currency.upper() + " ")
    return f"{symbol}{amount:,}" if currency == "jpy" else f"{symbol}{amount / 100:,.2f}"


def describe_item(engine: Any, price: dict[str, Any], quantity: int) -> str:
    """Stripe's line text: ``1 × Pro (at $29.00 / month)``."""
    interval, every = recurring_of(price)
    per = interval if every == 1 else f"every {every} {interval}s"
    unit = _money(int(price.get("unit_amount") or 0), price["currency"])
    return f"{quantity} × {_product_name(engine, price)} (at {unit} / {per})"


def pricing_of(price: dict[str, Any] | None) -> dict[str, Any] | None:
    if price is None:
        return None
    return {"price_details": {"price": price["id"], "product": price.get("product")}, "type": "price_details",
            "unit_amount_decimal": str(price.get("unit_amount") or 0)}  # fmt: skip


def item_parent(subscription: str | None, item: str, invoice_item: str | None, proration: bool) -> dict[str, Any]:
    return {"invoice_item_details": None, "type": "subscription_item_details",
            "subscription_item_details": {"invoice_item": invoice_item, "proration": proration,
                                          "proration_details": {"credited_items": None},
                                          "subscription": subscription, "subscription_item": item}}  # fmt: skip


def subscription_line(engine: Any, invoice: dict[str, Any], item: dict[str, Any], price: dict[str, Any],
                      period: tuple[int, int], *, trial: bool = False,
                      prorated: tuple[int, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """The line billing ``item`` for ``period`` (a trial line is free: ``Trial period for …``; a
    ``prorated`` ``(amount, text)`` bills a partial first period, as a proration; a metered price
    bills 0: the sandbox records no usage)."""
    quantity = int(item["quantity"]) if item.get("quantity") is not None else 1
    if is_metered(price):
        quantity = 0  # the usage reported in the period: none in the sandbox
    amount = 0 if trial else period_amount(price, quantity)
    text = f"Trial period for {_product_name(engine, price)}" if trial else describe_item(engine, price, quantity)
    if prorated is not None:
        amount, text = prorated
    return _new_line(engine, invoice, amount=amount, description=text, quantity=quantity, price=price,
                     period=period, subscription=item.get("subscription"),
                     parent=item_parent(item.get("subscription"), item["id"], None, prorated is not None))  # fmt: skip


def invoiceitem_line(engine: Any, invoice: dict[str, Any], ii: dict[str, Any]) -> dict[str, Any]:
    """The line an invoice item becomes on ``invoice``."""
    price_id = ((ii.get("pricing") or {}).get("price_details") or {}).get("price")
    price = engine.store.get(price_id) if price_id else None
    details = (ii.get("parent") or {}).get("subscription_details") or {}
    if details.get("subscription_item"):
        parent = item_parent(details.get("subscription"), details["subscription_item"], ii["id"], bool(ii.get("proration")))
    else:
        parent = {"type": "invoice_item_details", "subscription_item_details": None,
                  "invoice_item_details": {"invoice_item": ii["id"], "proration": bool(ii.get("proration")),
                                           "proration_details": {"credited_items": None},
                                           "subscription": details.get("subscription")}}  # fmt: skip
    return _new_line(engine, invoice, amount=int(ii["amount"]), description=ii.get("description"),
                     quantity=int(ii.get("quantity") or 1), price=price, discountable=ii.get("discountable", True),
                     period=(ii["period"]["start"], ii["period"]["end"]), subscription=details.get("subscription"),
                     parent=parent, metadata=dict(ii.get("metadata") or {}))  # fmt: skip


def _new_line(engine: Any, invoice: dict[str, Any], *, amount: int, description: str | None, quantity: int,
              price: dict[str, Any] | None, period: tuple[int, int], subscription: str | None,
              parent: dict[str, Any], discountable: bool = True,
              metadata: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    line = engine.create(
        "line_item", "il_", clock=engine.clock_of(invoice.get("customer")), event=None, amount=amount,
        subtotal=amount, currency=invoice["currency"], description=description, quantity=quantity,
        pricing=pricing_of(price), period={"start": period[0], "end": period[1]}, invoice=invoice["id"],
        subscription=subscription, parent=parent, discountable=bool(discountable), metadata=metadata or {},
        livemode=invoice.get("livemode", False), taxes=[], pretax_credit_amounts=[])  # fmt: skip
    index.add(engine, "lines", invoice["id"], line["id"])
    return line


def lines_of(engine: Any, invoice_id: str) -> list[dict[str, Any]]:
    """An invoice's lines in the order they were added."""
    return index.related(engine, "lines", invoice_id)


def totals(engine: Any, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    """The invoice fields its lines and discounts decide (lines' ``discount_amounts`` are set here)."""
    lines = lines_of(engine, invoice["id"])
    running = discounts_mod.active(engine, list(invoice.get("discounts") or []), at)
    per_line = discounts_mod.with_item_discounts(
        engine, lines, discounts_mod.line_amounts(engine, running, lines, invoice["currency"]), invoice["currency"], at)
    by_discount: dict[str, int] = {}
    for line, amounts in zip(lines, per_line):
        line["discount_amounts"] = amounts
        line["discounts"] = [a["discount"] for a in amounts]
        for entry in amounts:
            by_discount[entry["discount"]] = by_discount.get(entry["discount"], 0) + entry["amount"]
    subtotal = sum(int(line["amount"]) for line in lines)
    total = subtotal - sum(by_discount.values())
    due = max(0, total) if invoice.get("status") in (None, "draft") else invoice["amount_due"]
    return {
        "subtotal": subtotal, "subtotal_excluding_tax": subtotal, "total": total, "total_excluding_tax": total,
        "total_discount_amounts": [{"amount": a, "discount": d} for d, a in by_discount.items()],
        "total_taxes": [], "amount_due": due, "amount_remaining": due - int(invoice.get("amount_paid") or 0),
        "lines": {"object": "list", "data": copy.deepcopy(lines[:EMBEDDED]), "has_more": len(lines) > EMBEDDED,
                  "url": f"/v1/invoices/{invoice['id']}/lines"},
    }  # fmt: skip
