"""Credit notes in the engine, driven through ``Engine.handle``: pre- and post-payment amounts, lines by
amount, quantity or what is left, balance credits, preview, void, and refusals that change nothing.

The invoices are made directly in the shape billing makes them (open or paid, numbered, with
``line_item`` lines), so these rules are checked on their own; the paid transition of an invoice
credited down to nothing and refunds are billing's and payments' and run once those modules are in.
"""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

import pytest
from engine_helpers import call, refused

from paragon_magic.sandbox.engine import Engine

NOW = 1_800_000_000
#: An open invoice credited down to nothing is paid by billing's own transition (mark_paid, settled).
needs_billing = pytest.mark.skipif(importlib.util.find_spec("paragon_magic.sandbox.engine.billing") is None,
                                   reason="the paid transition is billing's: runs once billing is merged")


@pytest.fixture
def engine() -> Engine:
    return Engine(wall=lambda: NOW)




def invoice(engine: Engine, *, status: str = "open", paid: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An invoice as billing finalizes it: 2 × 1000 + 1 × 1000 = 3000, ``paid`` already paid."""
    customer = call(engine, "POST", "/v1/customers", {"email": "a@example.com"})["id"]
    inv = engine.create("invoice", "in_", event=None, customer=customer, currency="usd", status=status,
                        number="ABCD1234-0001", subtotal=3000, total=3000, amount_due=3000, amount_paid=paid,
                        amount_remaining=3000 - paid)  # fmt: skip
    lines = [engine.create("line_item", "il_", event=None, invoice=inv["id"], amount=amount, quantity=quantity,
                           currency="usd", description=text)
             for amount, quantity, text in ((2000, 2, "2 × Seat"), (1000, 1, "1 × Support"))]  # fmt: skip
    return inv, lines


def test_a_credit_note_on_an_open_invoice_lowers_what_is_due(engine: Engine) -> None:
    inv, (seats, support) = invoice(engine)
    note = call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "reason": "order_change", "memo": "Sorry",
                                                      "lines": [{"type": "invoice_line_item", "invoice_line_item": seats["id"],
                                                                 "quantity": 1}]})  # fmt: skip
    assert note["id"].startswith("cn_") and note["object"] == "credit_note"
    assert (note["total"], note["pre_payment_amount"], note["post_payment_amount"], note["type"], note["status"]) == (
        1000, 1000, 0, "pre_payment", "issued")
    assert (note["number"], note["reason"], note["memo"], note["created"], note["effective_at"]) == (
        "ABCD1234-0001-CN-01", "order_change", "Sorry", NOW, NOW)
    (line,) = note["lines"]["data"]
    assert (line["type"], line["invoice_line_item"], line["amount"], line["quantity"]) == (
        "invoice_line_item", seats["id"], 1000, 1)
    assert note["lines"]["url"] == f"/v1/credit_notes/{note['id']}/lines"
    assert engine.collection("credit_note_line_item")[0]["credit_note"] == note["id"]
    assert (inv["amount_due"], inv["amount_remaining"], inv["pre_payment_credit_notes_amount"]) == (2000, 2000, 1000)
    assert [e["type"] for e in engine.collection("event")][-2:] == ["credit_note.created", "invoice.updated"]
    # what is left of a line is credited when neither amount nor quantity is given
    rest = call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": seats["id"]}]})  # fmt: skip
    assert (rest["total"], rest["number"], inv["amount_remaining"]) == (1000, "ABCD1234-0001-CN-02", 1000)
    error = refused(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": seats["id"], "amount": 1}]})  # fmt: skip
    assert error.param == "lines[0][amount]"


def test_a_credit_note_on_a_paid_invoice_credits_the_balance_or_out_of_band(engine: Engine) -> None:
    inv, _ = invoice(engine, status="paid", paid=3000)
    customer = engine.store.get(inv["customer"])
    note = call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 1200, "credit_amount": 1000,
                                                      "out_of_band_amount": 200})  # fmt: skip
    assert (note["type"], note["pre_payment_amount"], note["post_payment_amount"], note["out_of_band_amount"]) == (
        "post_payment", 0, 1200, 200)
    assert note["lines"]["data"] == []
    assert customer["balance"] == -1000
    record = engine.store.get(note["customer_balance_transaction"])
    assert (record["object"], record["type"], record["amount"], record["ending_balance"], record["credit_note"]) == (
        "customer_balance_transaction", "credit_note", -1000, -1000, note["id"])
    assert (inv["amount_due"], inv["post_payment_credit_notes_amount"]) == (3000, 1200)
    # the post-payment amount must be allotted exactly
    error = refused(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 500})
    assert error.param == "credit_amount" and "post_payment_amount (500)" in error.message
    refused(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 500, "credit_amount": 600})
    # voiding gives the balance credit back and the invoice its amounts
    voided = call(engine, "POST", f"/v1/credit_notes/{note['id']}/void")
    assert (voided["status"], voided["voided_at"]) == ("void", NOW)
    assert customer["balance"] == 0 and inv["post_payment_credit_notes_amount"] == 0
    assert "credit_note.voided" in [e["type"] for e in engine.collection("event")]
    assert refused(engine, "POST", f"/v1/credit_notes/{note['id']}/void", {}).code == "credit_note_already_voided"


@needs_billing
def test_mixed_credit_note_and_custom_lines(engine: Engine) -> None:
    inv, _ = invoice(engine, status="open")
    engine.update(inv, {"amount_remaining": 600, "amount_paid": 2400}, event=None)  # partly paid
    note = call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "credit_amount": 600, "lines": [
        {"type": "custom_line_item", "description": "Goodwill", "unit_amount": 300, "quantity": 4}]})  # fmt: skip
    assert (note["total"], note["pre_payment_amount"], note["post_payment_amount"], note["type"]) == (1200, 600, 600, "mixed")
    (line,) = note["lines"]["data"]
    assert (line["type"], line["description"], line["unit_amount"], line["quantity"], line["amount"]) == (
        "custom_line_item", "Goodwill", 300, 4, 1200)
    assert (inv["status"], inv["amount_remaining"], engine.store.get(inv["customer"])["balance"]) == ("paid", 0, -600)


def test_preview_writes_nothing(engine: Engine) -> None:
    inv, (seats, _) = invoice(engine)
    params = {"invoice": inv["id"], "lines": [{"type": "invoice_line_item", "invoice_line_item": seats["id"], "amount": 700}]}
    before = (copy.deepcopy(engine.store.objects), engine.store.generation)
    preview = call(engine, "GET", "/v1/credit_notes/preview", params)
    assert (preview["object"], preview["total"], preview["pre_payment_amount"], preview["status"]) == (
        "credit_note", 700, 700, "issued")
    lines = call(engine, "GET", "/v1/credit_notes/preview/lines", params)
    assert [line["amount"] for line in lines["data"]] == [700]
    assert (engine.store.objects, engine.store.generation) == before


@pytest.mark.parametrize(("params", "param"), [
    ({}, "invoice"),
    ({"invoice": "in_missing", "amount": 1}, "invoice"),
    ({"amount": 0}, "amount"),
    ({}, "amount"),  # neither amount nor lines
    ({"amount": 3001}, "amount"),  # more than the invoice's total
    ({"lines": [{"invoice_line_item": "x"}]}, "lines[0][type]"),
    ({"lines": [{"type": "invoice_line_item"}]}, "lines[0][invoice_line_item]"),
    ({"lines": [{"type": "invoice_line_item", "invoice_line_item": "il_other"}]}, "lines[0][invoice_line_item]"),
    ({"lines": [{"type": "invoice_line_item", "invoice_line_item": "SEATS", "quantity": 3}]}, "lines[0][quantity]"),
    ({"lines": [{"type": "invoice_line_item", "invoice_line_item": "SEATS", "amount": 2001}]}, "lines[0][amount]"),
    ({"lines": [{"type": "invoice_line_item", "invoice_line_item": "SEATS", "unit_amount": 5}]}, "lines[0][unit_amount]"),
    ({"lines": [{"type": "custom_line_item", "unit_amount": 5}]}, "lines[0][description]"),
    ({"lines": [{"type": "custom_line_item", "description": "x"}]}, "lines[0][unit_amount]"),
    ({"lines": [{"type": "custom_line_item", "description": "x", "unit_amount": 5}], "amount": 6}, "amount"),
    ({"amount": 100, "refund_amount": 100}, "credit_amount"),  # nothing post-payment on an open invoice
    ({"amount": 100, "shipping_cost": {"shipping_rate": "shr_1"}}, "shipping_cost"),
])  # fmt: skip
def test_refusals_change_nothing(engine: Engine, params: dict[str, Any], param: str) -> None:
    inv, (seats, _) = invoice(engine)
    if params != {} or param != "invoice":
        params = {"invoice": inv["id"], **params}
    for line in params.get("lines", []):
        if line.get("invoice_line_item") == "SEATS":
            line["invoice_line_item"] = seats["id"]
    status = 404 if "missing" in str(params.get("invoice")) or "il_other" in str(params) else 400
    assert refused(engine, "POST", "/v1/credit_notes", params, status).param == param


def test_draft_and_void_invoices_take_no_credit_notes(engine: Engine) -> None:
    for status in ("draft", "void"):
        inv, _ = invoice(engine, status=status)
        error = refused(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 100})
        assert (error.param, error.code) == ("invoice", "invoice_not_editable")


def test_update_credit_note(engine: Engine) -> None:
    inv, _ = invoice(engine, status="paid", paid=3000)
    note = call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 100, "out_of_band_amount": 100})
    updated = call(engine, "POST", f"/v1/credit_notes/{note['id']}", {"memo": "Refunded by cheque", "metadata": {"k": "v"}})
    assert (updated["memo"], updated["metadata"]) == ("Refunded by cheque", {"k": "v"})
    assert engine.collection("event")[-1]["type"] == "credit_note.updated"
    assert call(engine, "GET", f"/v1/credit_notes/{note['id']}") == updated


@needs_billing
def test_an_open_invoice_credited_to_nothing_is_paid(engine: Engine) -> None:
    inv, _ = invoice(engine)
    engine.update(inv, {"status_transitions": {"finalized_at": NOW, "paid_at": None, "voided_at": None,
                                                "marked_uncollectible_at": None}}, event=None)  # fmt: skip
    call(engine, "POST", "/v1/credit_notes", {"invoice": inv["id"], "amount": 3000})
    assert (inv["status"], inv["amount_remaining"], inv["pre_payment_credit_notes_amount"]) == ("paid", 0, 3000)
