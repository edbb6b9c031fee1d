"""Refunds: create (of a charge or a PaymentIntent's charge), retrieve, update.

Stripe's rules: a refund is at most what is left (``amount - amount_refunded``; more is a 400
``amount_too_large``, nothing left is ``charge_already_refunded``), failed charges cannot be refunded,
a disputed charge neither (``charge_disputed``). A refund of a captured charge takes the amount out of
the balance with no fee returned (one ``refund`` balance transaction). Events: ``refund.created`` and
``charge.refunded`` (the charge with its new ``amount_refunded``/``refunded``); an update sends
``refund.updated`` and ``charge.refund.updated``.
"""

from __future__ import annotations

from typing import Any

from ..front.errors import StripeErrorResponse
from . import Request, route
from .common import as_int, check_metadata, merged_metadata
from .events import diff
from .ledger import format_money, record

_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
def _charge_of(engine: Any, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("charge"):
        return engine.get("charge", p["charge"], param="charge")
    if p.get("payment_intent"):
        intent = engine.get("payment_intent", p["payment_intent"], param="payment_intent")
        charge = engine.store.get(intent.get("latest_charge") or "", "charge")
        if charge is None or charge["status"] != "succeeded":
            raise StripeErrorResponse(400, f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                                           "refund.", param="payment_intent", code="charge_not_refundable")  # fmt: skip
        return charge
    raise StripeErrorResponse(400, "One of the following params should be provided for this request: payment_intent "
                                   "or charge.", param="charge", code="parameter_missing")  # fmt: skip


def refundable_amount(charge: dict[str, Any], value: Any) -> int:
    """The amount a refund of ``charge`` may take (all that is left by default), or Stripe's 400."""
    if charge["status"] != "succeeded":
        raise StripeErrorResponse(400, f"Charge {charge['id']} cannot be refunded because it has a status of "
                                       f"{charge['status']}.", param="charge", code="charge_not_refundable")  # fmt: skip
    if charge["disputed"]:
        raise StripeErrorResponse(400, f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                                  code="charge_disputed")  # fmt: skip
    left = charge["amount"] - charge["amount_refunded"]
    if left <= 0 or charge["refunded"]:
        raise StripeErrorResponse(400, f"Charge {charge['id']} has already been refunded.",
                                  code="charge_already_refunded")  # fmt: skip
    if value in (None, ""):
        return left
    amount = as_int(value, "amount")
    if amount <= 0:
        raise StripeErrorResponse(400, f"Invalid positive integer: {amount}", param="amount",
                                  code="parameter_invalid_integer")  # fmt: skip
    if amount > left:
        code = charge["currency"]
        what = "charge amount" if charge["amount_refunded"] == 0 else "unrefunded amount on charge"
        raise StripeErrorResponse(400, f"Refund amount ({format_money(amount, code)}) is greater than {what} "
                                       f"({format_money(left, code)})", param="amount", code="amount_too_large")  # fmt: skip
    return amount


def refund_charge(engine: Any, charge: dict[str, Any], amount: int, *, reason: str | None = None,
                  metadata: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Refund ``amount`` of ``charge`` (already checked): the refund, its balance transaction, the events."""
    clock = engine.clock_of(charge.get("customer"))
    refund = engine.create(
        "refund", "re_", clock=clock, event=None, amount=amount, charge=charge["id"], currency=charge["currency"],
        customer=charge.get("customer"), payment_intent=charge.get("payment_intent"),
        payment_method=charge.get("payment_method"), reason=reason, metadata=metadata or {}, status="succeeded",
        destination_details={"card": {"reference": None, "reference_status": "pending",
                                      "reference_type": "acquirer_reference_number", "type": "refund"},
                             "type": "card"},
    )  # fmt: skip
    if charge["captured"]:
        described = f"REFUND FOR CHARGE ({charge['description']})" if charge.get("description") else "REFUND FOR CHARGE"
        txn = record(engine, source=refund, type="refund", amount=-amount, currency=charge["currency"], fee=0,
                     description=described, clock=clock)  # fmt: skip
        refund["balance_transaction"] = txn["id"]
    engine.announce("refund.created", refund, clock=clock)
    refunded = charge["amount_refunded"] + amount
    engine.update(charge, {"amount_refunded": refunded, "refunded": refunded >= charge["amount"]}, clock=clock,
                  event="charge.refunded")  # fmt: skip
    return refund


@route("POST", "/v1/refunds")
def create_refund(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    charge = _charge_of(engine, p)
    amount = refundable_amount(charge, p.get("amount"))
    reason = p.get("reason") or None
    if reason is not None and reason not in _REASONS:
        raise StripeErrorResponse(400, f"Invalid reason: must be one of {', '.join(_REASONS)}", param="reason")
    check_metadata(p.get("metadata"))
    return refund_charge(engine, charge, amount, reason=reason, metadata=merged_metadata({}, p.get("metadata")))


@route("GET", "/v1/refunds/{}")
def retrieve_refund(req: Request) -> dict[str, Any]:
    return req.engine.get("refund", req.arg())


@route("POST", "/v1/refunds/{}")
def update_refund(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    refund = engine.get("refund", req.arg())
    if "metadata" not in p:
        return refund
    before = dict(refund.get("metadata") or {})
    clock = engine.clock_of(refund.get("customer"))
    engine.update(refund, {"metadata": merged_metadata(before, p["metadata"])}, clock=clock)
    if refund["metadata"] != before:
        engine.announce("charge.refund.updated", refund, clock=clock,
                        previous_attributes=diff({"metadata": before}, {"metadata": refund["metadata"]}))  # fmt: skip
    return refund

