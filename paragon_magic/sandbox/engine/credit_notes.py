"""Credit notes (``/v1/credit_notes``): create on an open or paid invoice, preview, retrieve, update,
void, and their lines (``credit_note_line_item`` objects with ``credit_note`` set; the front lists
``/v1/credit_notes/{id}/lines`` from them).

Stripe's rules (stripe-python 16.1 ``CreditNote.create`` docstring and ``CreditNoteCreateParams``): a
credit note adjusts a finalized invoice. Its total first reduces the invoice's ``amount_remaining``
(and ``amount_due``), never below zero: that is its ``pre_payment_amount``; the rest is its
``post_payment_amount``, which ``refund_amount`` (a refund of the invoice's charge), ``credit_amount``
(a credit to the customer's balance, applied to the next invoice) and ``out_of_band_amount`` must add
up to exactly. One of ``amount`` or ``lines`` is required: ``invoice_line_item`` lines credit (part of)
an invoice line, by ``amount`` or ``quantity`` or, with neither, what is left of it;
``custom_line_item`` lines credit ``unit_amount`` × ``quantity``. All credit notes of an invoice
together never exceed its total. The invoice's ``pre_payment_credit_notes_amount`` /
``post_payment_credit_notes_amount`` follow; an open invoice credited down to nothing is paid.
Voiding reverses a credit note's effect on the invoice and the balance (one with a refund cannot be
voided: the money has left). ``shipping_cost`` and linking existing ``refunds`` are not modelled.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import Engine, Request, route
from .common import as_int, merged_metadata
from .routes import find

EMBEDDED = 10
PDF = "https://pay.stripe.com/credit_notes/acct_sandbox/test_"
_REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")


def _bad(message: str, param: str | None, code: str | None = None) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def _amount(value: Any, param: str, *, minimum: int = 0) -> int:
    number = as_int(value, param)
    if number < minimum:
        raise _bad(f"This value must be greater than or equal to {minimum}.", param, "parameter_invalid_integer")
    return number


def _notes_of(engine: Engine, invoice_id: str) -> list[dict[str, Any]]:
    return [n for n in engine.store.all("credit_note") if n.get("invoice") == invoice_id]


def lines_of(engine: Engine, credit_note_id: str) -> list[dict[str, Any]]:
    ids = engine.store.kinds.get("credit_note_line_item", {})
    return [line for i in ids if (line := engine.store.objects[i]).get("credit_note") == credit_note_id]


def _credited_on(engine: Engine, line_id: str) -> int:
    """What issued credit notes already credit on invoice line ``line_id``."""
    issued = {n["id"] for n in engine.store.all("credit_note") if n["status"] == "issued"}
    return sum(int(cl["amount"]) for cl in engine.store.all("credit_note_line_item")
               if cl.get("invoice_line_item") == line_id and cl.get("credit_note") in issued)  # fmt: skip


# -- the plan of a credit note (validated; nothing written) ---------------------------------------
def _invoice_line(engine: Engine, invoice: dict[str, Any], raw: dict[str, Any], name: Any) -> dict[str, Any]:
    for key in ("description", "unit_amount", "unit_amount_decimal", "tax_rates"):
        if key in raw:
            raise _bad(f"{name(key)} is only valid when the line's type is custom_line_item.", name(key))
    if raw.get("invoice_line_item") in (None, ""):
        raise missing_param(name("invoice_line_item"))
    line = engine.store.get(str(raw["invoice_line_item"]), "line_item")
    if line is None or line.get("invoice") != invoice["id"]:
        raise no_such("invoice line item", str(raw["invoice_line_item"]), param=name("invoice_line_item"))
    gross, quantity = int(line["amount"]), int(line.get("quantity") or 1)
    left = gross - _credited_on(engine, line["id"])
    if raw.get("amount") not in (None, ""):
        amount = _amount(raw["amount"], name("amount"), minimum=1)
    elif raw.get("quantity") not in (None, ""):
        wanted = _amount(raw["quantity"], name("quantity"), minimum=1)
        if wanted > quantity:
            raise _bad(f"The quantity to credit ({wanted}) exceeds the invoice line's quantity ({quantity}).", name("quantity"))
        amount = gross * wanted // quantity
    else:
        amount = left
    if amount > left:
        raise _bad(f"The amount to credit ({amount}) exceeds what is left to credit on invoice line item {line['id']} "
                   f"({left}).", name("amount"))  # fmt: skip
    shares = [{"amount": int(d["amount"]) * amount // gross, "discount": d["discount"]}
              for d in line.get("discount_amounts") or [] if gross]  # fmt: skip
    share = sum(d["amount"] for d in shares)
    return {"type": "invoice_line_item", "invoice_line_item": line["id"], "amount": amount,
            "quantity": int(raw.get("quantity") or quantity), "description": line.get("description"),
            "unit_amount": None, "unit_amount_decimal": None, "discount_amount": share,
            "discount_amounts": [d for d in shares if d["amount"]],
            "metadata": merged_metadata({}, raw.get("metadata"))}  # fmt: skip


def _custom_line(raw: dict[str, Any], name: Any) -> dict[str, Any]:
    if "invoice_line_item" in raw or "amount" in raw:
        key = "invoice_line_item" if "invoice_line_item" in raw else "amount"
        raise _bad(f"{name(key)} is only valid when the line's type is invoice_line_item.", name(key))
    if raw.get("description") in (None, ""):
        raise missing_param(name("description"))
    quantity = _amount(raw.get("quantity", 1), name("quantity"), minimum=1)
    if raw.get("unit_amount") not in (None, "") and raw.get("unit_amount_decimal") not in (None, ""):
        raise _bad("You may only specify one of these parameters: unit_amount, unit_amount_decimal.", name("unit_amount"))
    if raw.get("unit_amount") not in (None, ""):
        unit = _amount(raw["unit_amount"], name("unit_amount"))
        decimal, amount = str(unit), unit * quantity
    elif raw.get("unit_amount_decimal") not in (None, ""):
        exact = Decimal(str(raw["unit_amount_decimal"]))
        if exact < 0:
            raise _bad("This value must be greater than or equal to 0.", name("unit_amount_decimal"))
        unit, decimal = None, format(exact.normalize(), "f")
        amount = int((exact * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        raise missing_param(name("unit_amount"))
    if amount < 1:
        raise _bad("A credit note line must credit a positive amount.", name("unit_amount"))
    return {"type": "custom_line_item", "invoice_line_item": None, "amount": amount, "quantity": quantity,
            "description": str(raw["description"]), "unit_amount": unit, "unit_amount_decimal": decimal,
            "discount_amount": 0, "discount_amounts": [], "metadata": merged_metadata({}, raw.get("metadata"))}  # fmt: skip


def _charge_of(engine: Engine, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The charge that paid ``invoice`` (through its paid ``invoice_payment``)."""
    for link in engine.store.all("invoice_payment"):
        if link.get("invoice") != invoice["id"] or link.get("status") != "paid":
            continue
        payment = link.get("payment") or {}
        if payment.get("charge"):
            return engine.store.get(str(payment["charge"]), "charge")
        intent = engine.store.get(str(payment.get("payment_intent")), "payment_intent")
        if intent is not None and intent.get("latest_charge"):
            return engine.store.get(str(intent["latest_charge"]), "charge")
    return None


def plan_credit_note(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    """Everything a credit note for ``p`` would do, validated (Stripe's 4xx otherwise); writes nothing."""
    for key in ("shipping_cost", "refunds"):
        if p.get(key) not in (None, ""):
            raise _bad(f"The sandbox does not support `{key}` on credit notes.", key)
    if p.get("invoice") in (None, ""):
        raise missing_param("invoice")
    invoice = engine.get("invoice", p["invoice"], param="invoice")
    if invoice.get("status") not in ("open", "paid"):
        raise _bad(f"Credit notes can only be issued for open or paid invoices; this invoice is {invoice.get('status')}.",
                   "invoice", "invoice_not_editable")  # fmt: skip
    raw_lines = p.get("lines") or []
    if not isinstance(raw_lines, list):
        raise _bad("Invalid array", "lines", "parameter_invalid_array")
    lines = []
    for index, raw in enumerate(raw_lines):
        def name(key: str, index: int = index) -> str:
            return f"lines[{index}][{key}]"

        raw = raw if isinstance(raw, dict) else {}
        kind = raw.get("type")
        if kind not in ("invoice_line_item", "custom_line_item"):
            raise (missing_param(name("type")) if kind in (None, "") else
                   _bad(f"Invalid {name('type')}: must be one of custom_line_item or invoice_line_item", name("type")))  # fmt: skip
        lines.append(_invoice_line(engine, invoice, raw, name) if kind == "invoice_line_item" else _custom_line(raw, name))
    lines_total = sum(line["amount"] - line["discount_amount"] for line in lines)
    if p.get("amount") not in (None, ""):
        total = _amount(p["amount"], "amount", minimum=1)
        if lines and total != lines_total:
            raise _bad(f"The amount ({total}) must equal the sum of the lines' amounts ({lines_total}).", "amount")
    elif lines:
        total = lines_total
    else:
        raise _bad("One of amount, lines, or shipping_cost must be provided.", "amount", "parameter_missing")
    if total < 1:
        raise _bad("A credit note must credit a positive amount.", "lines")
    already = sum(int(n["total"]) for n in _notes_of(engine, invoice["id"]) if n["status"] == "issued")
    if already + total > int(invoice["total"]):
        raise _bad(f"The credit notes of invoice {invoice['id']} would credit {already + total}, more than its total "
                   f"({invoice['total']}).", "amount" if not lines else "lines")  # fmt: skip
    pre = min(total, int(invoice.get("amount_remaining") or 0)) if invoice["status"] == "open" else 0
    post = total - pre
    split = {key: _amount(p[key], key) if p.get(key) not in (None, "") else 0
             for key in ("refund_amount", "credit_amount", "out_of_band_amount")}  # fmt: skip
    if sum(split.values()) != post:
        raise _bad(f"refund_amount, credit_amount and out_of_band_amount must add up to the credit note's "
                   f"post_payment_amount ({post}); they add up to {sum(split.values())}.", "credit_amount")  # fmt: skip
    charge = None
    if split["refund_amount"]:
        charge = _charge_of(engine, invoice)
        if charge is None:
            raise _bad("This invoice was not paid by a charge: nothing to refund.", "refund_amount")
        left = int(charge["amount"]) - int(charge.get("amount_refunded") or 0)
        if split["refund_amount"] > left:
            raise _bad(f"refund_amount ({split['refund_amount']}) is greater than what is left to refund on the "
                       f"charge {charge['id']} ({left}).", "refund_amount")  # fmt: skip
        if find("POST", "/v1/refunds") is None:
            raise _bad("The sandbox cannot refund yet (no refunds module).", "refund_amount")
    reason = p.get("reason") or None
    if reason is not None and reason not in _REASONS:
        raise _bad("Invalid reason: must be one of duplicate, fraudulent, order_change, or product_unsatisfactory", "reason")
    clock = engine.clock_of(invoice["customer"])
    effective_at = as_int(p["effective_at"], "effective_at") if p.get("effective_at") not in (None, "") else None
    return {"invoice": invoice, "lines": lines, "total": total, "subtotal": sum(line["amount"] for line in lines) or total,
            "pre": pre, "post": post, "charge": charge, "reason": reason, "memo": p.get("memo") or None,
            "metadata": merged_metadata({}, p.get("metadata")), "effective_at": effective_at, "clock": clock, **split}  # fmt: skip


# -- writing -------------------------------------------------------------------------------------
def _fields(engine: Engine, spec: dict[str, Any], now: int) -> dict[str, Any]:
    invoice = spec["invoice"]
    discount = spec["subtotal"] - spec["total"]
    kind = "mixed" if spec["pre"] and spec["post"] else "pre_payment" if spec["pre"] else "post_payment"
    return {
        "amount": spec["total"], "amount_shipping": 0, "currency": invoice["currency"], "customer": invoice["customer"],
        "customer_account": None, "customer_balance_transaction": None, "discount_amount": discount,
        "discount_amounts": [], "effective_at": spec["effective_at"] or now, "invoice": invoice["id"],
        "livemode": invoice.get("livemode", False), "memo": spec["memo"], "metadata": spec["metadata"],
        "number": f"{invoice.get('number')}-CN-{len(_notes_of(engine, invoice['id'])) + 1:02d}",
        "out_of_band_amount": spec["out_of_band_amount"] or None, "post_payment_amount": spec["post"],
        "pre_payment_amount": spec["pre"], "pretax_credit_amounts": [], "reason": spec["reason"], "refunds": [],
        "shipping_cost": None, "status": "issued", "subtotal": spec["subtotal"], "subtotal_excluding_tax": spec["subtotal"],
        "total": spec["total"], "total_excluding_tax": spec["total"], "total_taxes": [], "type": kind, "voided_at": None,
    }  # fmt: skip


def _line_fields(line: dict[str, Any], livemode: bool) -> dict[str, Any]:
    return {**line, "livemode": livemode, "pretax_credit_amounts": [], "tax_rates": [], "taxes": []}


def _list(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": copy.deepcopy(data[:EMBEDDED]), "has_more": len(data) > EMBEDDED, "url": url}


def _balance(engine: Engine, customer_id: str, amount: int, *, note: dict[str, Any], kind: str, clock: str) -> str:
    """Move the customer's balance by ``amount`` (negative: a credit) and record it."""
    customer = engine.get("customer", customer_id)
    ending = int(customer.get("balance") or 0) + amount
    engine.update(customer, {"balance": ending}, clock=clock)
    record = engine.create(
        "customer_balance_transaction", "cbtxn_", clock=clock, event=None, amount=amount, checkout_session=None,
        credit_note=note["id"], currency=note["currency"], customer=customer_id, customer_account=None,
        description=f"Credit note {note['number']}" if kind == "credit_note" else f"Void of credit note {note['number']}",
        ending_balance=ending, invoice=None, livemode=note["livemode"], metadata={}, type=kind,
    )  # fmt: skip
    return str(record["id"])


def _settle_invoice(engine: Engine, invoice: dict[str, Any], changes: dict[str, Any], clock: str) -> None:
    """Apply a credit note's amounts to its invoice; an open invoice with nothing left to pay is paid."""
    engine.update(invoice, changes, clock=clock, event="invoice.updated")
    if invoice["status"] == "open" and int(invoice["amount_remaining"]) == 0:
        from .billing import cycle, invoicing  # billing owns the paid transition

        invoicing.mark_paid(engine, invoice, out_of_band=True)
        cycle.settled(engine, invoice)


def issue(engine: Engine, spec: dict[str, Any]) -> dict[str, Any]:
    """Write the credit note :func:`plan_credit_note` validated: refund, balance credit, lines, invoice amounts."""
    invoice, clock = spec["invoice"], spec["clock"]
    refund = None
    if spec["refund_amount"]:
        found = find("POST", "/v1/refunds")
        assert found is not None  # checked by plan_credit_note()
        refund = found[0](Request(engine, "POST", "/v1/refunds", (), {"charge": spec["charge"]["id"],
                                                                     "amount": spec["refund_amount"]},
                                  livemode=invoice.get("livemode", False)))  # fmt: skip
    note_id = engine.store.new_id("cn_")
    fields = _fields(engine, spec, engine.now(clock))
    if refund is not None:
        fields["refunds"] = [{"amount_refunded": spec["refund_amount"], "refund": refund["id"],
                              "payment_record_refund": None, "type": "refund"}]  # fmt: skip
    lines = [engine.create("credit_note_line_item", "cnli_", clock=clock, event=None, credit_note=note_id,
                           **_line_fields(line, fields["livemode"])) for line in spec["lines"]]  # fmt: skip
    fields["lines"] = _list(lines, f"/v1/credit_notes/{note_id}/lines")
    note = engine.create("credit_note", "cn_", id=note_id, clock=clock, event=None, created=engine.now(clock), **fields)
    if spec["credit_amount"]:
        note["customer_balance_transaction"] = _balance(engine, invoice["customer"], -spec["credit_amount"],
                                                        note=note, kind="credit_note", clock=clock)  # fmt: skip
    engine.announce("credit_note.created", note, clock=clock)
    _settle_invoice(engine, invoice, {
        "amount_due": int(invoice["amount_due"]) - spec["pre"],
        "amount_remaining": int(invoice["amount_remaining"]) - spec["pre"],
        "pre_payment_credit_notes_amount": int(invoice.get("pre_payment_credit_notes_amount") or 0) + spec["pre"],
        "post_payment_credit_notes_amount": int(invoice.get("post_payment_credit_notes_amount") or 0) + spec["post"],
    }, clock)  # fmt: skip
    return note


def preview(engine: Engine, spec: dict[str, Any]) -> dict[str, Any]:
    """The credit note :func:`plan_credit_note` would issue, stored nowhere (ids are previews)."""
    invoice = spec["invoice"]
    fields = _fields(engine, spec, engine.now(spec["clock"]))
    note_id = f"cn_preview_{invoice['id']}"
    lines = [{"id": f"cnli_preview_{index}", "object": "credit_note_line_item", **_line_fields(line, fields["livemode"])}
             for index, line in enumerate(spec["lines"])]  # fmt: skip
    return {"id": note_id, "object": "credit_note", "created": engine.now(spec["clock"]), **fields,
            "lines": _list(lines, "/v1/credit_notes/preview/lines")}  # fmt: skip


# -- the API -------------------------------------------------------------------------------------
@route("POST", "/v1/credit_notes")
def create_credit_note(req: Request) -> dict[str, Any]:
    return issue(req.engine, plan_credit_note(req.engine, req.params))


@route("GET", "/v1/credit_notes/preview")
def preview_credit_note(req: Request) -> dict[str, Any]:
    return preview(req.engine, plan_credit_note(req.engine, req.params))


@route("GET", "/v1/credit_notes/preview/lines")
def preview_credit_note_lines(req: Request) -> dict[str, Any]:
    note = preview(req.engine, plan_credit_note(req.engine, {k: v for k, v in req.params.items()
                                                 if k not in ("limit", "starting_after", "ending_before")}))  # fmt: skip
    lines = note["lines"]["data"]
    return {"object": "list", "data": lines, "has_more": False, "url": "/v1/credit_notes/preview/lines"}


@route("GET", "/v1/credit_notes/{}")
def retrieve_credit_note(req: Request) -> dict[str, Any]:
    return req.engine.get("credit_note", req.arg())


@route("POST", "/v1/credit_notes/{}")
def update_credit_note(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    note = engine.get("credit_note", req.arg())
    changes: dict[str, Any] = {}
    if "memo" in p:
        changes["memo"] = p["memo"] or None
    if "metadata" in p:
        changes["metadata"] = merged_metadata(note.get("metadata"), p["metadata"])
    return engine.update(note, changes, clock=engine.clock_of(note["customer"]))


@route("POST", "/v1/credit_notes/{}/void")
def void_credit_note(req: Request) -> dict[str, Any]:
    engine = req.engine
    note = engine.get("credit_note", req.arg())
    if note["status"] == "void":
        raise _bad("This credit note is already void.", None, "credit_note_already_voided")
    if note["refunds"]:
        raise _bad("A credit note with a refund cannot be voided: the money has already been returned.", None)
    invoice = engine.get("invoice", note["invoice"], param="invoice")
    if note["pre_payment_amount"] and invoice["status"] != "open":
        raise _bad(f"This credit note reduced what invoice {invoice['id']} asked for, and the invoice is now "
                   f"{invoice['status']}: it cannot be voided.", None)  # fmt: skip
    clock = engine.clock_of(note["customer"])
    if note["customer_balance_transaction"]:
        credited = int(note["post_payment_amount"]) - int(note["out_of_band_amount"] or 0)
        _balance(engine, note["customer"], credited, note=note, kind="adjustment", clock=clock)
    engine.update(note, {"status": "void", "voided_at": engine.now(clock)}, clock=clock, event="credit_note.voided")
    _settle_invoice(engine, invoice, {
        "amount_due": int(invoice["amount_due"]) + note["pre_payment_amount"],
        "amount_remaining": int(invoice["amount_remaining"]) + note["pre_payment_amount"],
        "pre_payment_credit_notes_amount": int(invoice["pre_payment_credit_notes_amount"]) - note["pre_payment_amount"],
        "post_payment_credit_notes_amount": int(invoice["post_payment_credit_notes_amount"]) - note["post_payment_amount"],
    }, clock)  # fmt: skip
    return note
