"""Charges: one per payment attempt, succeeded or failed, and the Charges API (create, retrieve, update, capture).

:func:`new_charge` is the attempt every payment goes through (PaymentIntents, ``Charge.create``,
billing): the test card behind the payment method decides. A success is ``succeeded``/``paid`` with
``payment_method_details.card`` filled, ``outcome.type: authorized``, a balance transaction once
captured and ``charge.succeeded``; a decline is stored as Stripe stores it (``status: failed``,
``captured: false``, ``amount_captured: 0``, ``outcome.type: issuer_declined``, ``failure_code``,
``failure_message``) with ``charge.failed``. A charge on a dispute test card is disputed shortly after.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timezone
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import Request, route
from .cards import AUTHENTICATION_REQUIRED, DECLINES, Card, Decline, card_error, card_hash, charge_details, lookup
from .common import as_bool, as_int, check_metadata, currency, merged_metadata, minimum_amount
from .disputes import dispute_later
from .ledger import format_money, record
from .payment_methods import behaviour, default_method, find
from .store import new_object

DESCRIPTOR = "PARAGON MAGIC SANDBOX"
MAXIMUM_AMOUNT = 99_999_999  # "up to eight digits" (Stripe's amount docs)


def check_amount(amount: int, code: str, param: str = "amount") -> None:
    """Stripe's bounds on a charge amount: the currency's minimum, at most eight digits."""
    minimum_amount(amount, code, param)
    if amount > MAXIMUM_AMOUNT:
        raise StripeErrorResponse(400, f"Amount must be no more than {format_money(MAXIMUM_AMOUNT, code)}", param=param,
                                  code="amount_too_large")  # fmt: skip


def charge_terms(params: dict[str, Any]) -> tuple[int, str]:
    """The ``amount`` and ``currency`` a charge or payment intent asks for, checked as Stripe does."""
    for name in ("amount", "currency"):
        if params.get(name) in (None, ""):
            raise missing_param(name)
    amount = as_int(params["amount"], "amount")
    code = currency(params["currency"])
    check_amount(amount, code)
    return amount, code


def _outcome(charge_id: str, decline: Decline | None) -> dict[str, Any]:
    score = int(hashlib.sha256(charge_id.encode()).hexdigest(), 16) % 64
    common = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
              "risk_level": "normal", "risk_score": score, "rule": None}  # fmt: skip
    if decline is None:
        return {**common, "network_status": "approved_by_network", "reason": None,
                "seller_message": "Payment complete.", "type": "authorized"}  # fmt: skip
    return {**common, "network_status": "declined_by_network", "reason": decline.reason,
            "seller_message": decline.seller_message, "type": "issuer_declined"}  # fmt: skip


def legacy_card(engine: Any, card: Card, *, clock: str, customer: str | None = None) -> dict[str, Any]:
    """The ``card`` object a test token becomes (``charge.source``, a customer's source); not stored."""
    moment = datetime.fromtimestamp(engine.now(clock), timezone.utc)
    return new_object(
        "card", id=engine.store.new_id("card_"), brand=card.source_brand, country=card.country, customer=customer,
        cvc_check="pass", exp_month=moment.month, exp_year=moment.year + 1, fingerprint=card.fingerprint,
        funding=card.funding, last4=card.last4, metadata={},
    )  # fmt: skip


def new_charge(engine: Any, *, amount: int, currency: str, method: dict[str, Any], customer: str | None,
               payment_intent: str | None, capture: bool, clock: str, description: str | None = None,
               metadata: dict[str, Any] | None = None, statement_descriptor: str | None = None,
               receipt_email: str | None = None, livemode: bool = False) -> dict[str, Any]:  # fmt: skip
    """One payment attempt on ``method`` (a PaymentMethod, or a legacy ``card`` source), stored with its
    events. Made without the customer (off-session, or the Charges API), so a card that needs 3D
    Secure is declined."""
    legacy = method.get("object") == "card"
    card = behaviour(method)
    if legacy:
        pm_card = card_hash(card, exp_month=method["exp_month"], exp_year=method["exp_year"]) if card else {}
    else:
        pm_card = method.get("card") or {}
    decline = card.decline if card is not None else None
    if card is not None and card.authentication:
        decline = AUTHENTICATION_REQUIRED
    ok = decline is None
    failure = {"failure_code": decline.code, "failure_message": decline.message} if decline is not None else {}
    charge_id = engine.store.new_id("ch_")
    charge = engine.create(
        "charge", "ch_", clock=clock, event=None, id=charge_id, amount=amount, currency=currency, customer=customer,
        description=description, metadata=dict(metadata or {}), payment_intent=payment_intent,
        payment_method=method["id"], payment_method_details=charge_details(pm_card, amount),
        billing_details=copy.deepcopy(method.get("billing_details")) if not legacy else
        {"address": None, "email": None, "name": None, "phone": None, "tax_id": None},
        source=copy.deepcopy(method) if legacy else None, status="succeeded" if ok else "failed", paid=ok,
        captured=ok and capture, amount_captured=amount if ok and capture else 0, outcome=_outcome(charge_id, decline),
        **failure,
        statement_descriptor=statement_descriptor, receipt_email=receipt_email, livemode=livemode,
        calculated_statement_descriptor=(statement_descriptor or DESCRIPTOR)[:22],
        receipt_url=f"https://pay.stripe.com/receipts/payment/{charge_id}",
    )  # fmt: skip
    if ok and capture:
        txn = record(engine, source=charge, type="charge", amount=amount, currency=currency, fee=None,
                     description=description, clock=clock)  # fmt: skip
        charge["balance_transaction"] = txn["id"]
    engine.announce("charge.succeeded" if ok else "charge.failed", charge, clock=clock)
    if ok and card is not None and card.dispute_reason:
        dispute_later(engine, charge, card.dispute_reason, clock=clock)
    return charge


def decline_of(charge: dict[str, Any]) -> Decline | None:
    """The decline a failed charge answered (from its test card), for errors and ``last_payment_error``."""
    if charge["status"] != "failed":
        return None
    known = DECLINES.get((charge["failure_code"], (charge.get("outcome") or {}).get("reason")))
    if known is not None:
        return known
    return Decline(charge["failure_code"] or "card_declined", None, charge["failure_message"] or "Your card was declined.")


def capture(engine: Any, charge: dict[str, Any], amount: int, *, clock: str) -> dict[str, Any]:
    """Capture ``amount`` of an uncaptured charge (the rest is released as refunded), ``charge.captured``."""
    txn = record(engine, source=charge, type="charge", amount=amount, currency=charge["currency"], fee=None,
                 description=charge.get("description"), clock=clock)  # fmt: skip
    changes = {"captured": True, "amount_captured": amount, "balance_transaction": txn["id"],
               "amount_refunded": charge["amount"] - amount}  # fmt: skip
    return engine.update(charge, changes, clock=clock, event="charge.captured")


def capture_amount(charge: dict[str, Any], value: Any, param: str) -> int:
    """The amount to capture of ``charge`` (all of it by default), or Stripe's 400."""
    if charge["status"] != "succeeded" or charge["captured"]:
        raise StripeErrorResponse(400, f"Charge {charge['id']} has already been captured.",
                                  code="charge_already_captured")  # fmt: skip
    amount = charge["amount"] if value in (None, "") else as_int(value, param)
    if amount <= 0 or amount > charge["amount"]:
        raise StripeErrorResponse(400, f"The amount to capture ({amount}) must be positive and at most the "
                                       f"authorized amount ({charge['amount']}).", param=param,
                                  code="amount_too_large" if amount > 0 else "parameter_invalid_integer")  # fmt: skip
    return amount


# -- the Charges API -------------------------------------------------------------------------------
@route("POST", "/v1/charges")
def create_charge(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    amount, code = charge_terms(p)
    customer = engine.get("customer", p["customer"], param="customer") if p.get("customer") else None
    check_metadata(p.get("metadata"))
    capture_now = as_bool(p.get("capture", True), "capture")
    descriptor = p.get("statement_descriptor") or None
    if descriptor and len(descriptor) > 22:
        raise StripeErrorResponse(400, "The statement descriptor must be at most 22 characters.",
                                  param="statement_descriptor", code="parameter_invalid_string")  # fmt: skip
    clock = engine.clock_of(customer)
    source = str(p.get("source") or "")
    found: dict[str, Any] | Card
    if source:
        card = lookup(source) if source.startswith("tok_") else None
        if card is not None:
            found = card
        elif source.startswith("tok_"):
            raise no_such("token", source, param="source")
        else:
            found = find(engine, source, param="source")
    elif customer is not None:
        default = default_method(engine, customer)
        if default is None:
            raise StripeErrorResponse(400, "Cannot charge a customer that has no active card", param="card",
                                      code="missing")  # fmt: skip
        found = find(engine, default, param="customer")
    else:
        raise StripeErrorResponse(400, "Must provide source or customer.", param="source", code="parameter_missing")
    method = legacy_card(engine, found, clock=clock) if isinstance(found, Card) else found
    charge = new_charge(
        engine, amount=amount, currency=code, method=method, customer=customer["id"] if customer else None,
        payment_intent=None, capture=capture_now, clock=clock, description=p.get("description") or None,
        metadata=merged_metadata({}, p.get("metadata")), statement_descriptor=descriptor,
        receipt_email=p.get("receipt_email") or None, livemode=req.livemode,
    )  # fmt: skip
    decline = decline_of(charge)
    if decline is not None:
        raise card_error(decline, charge=charge["id"])
    return charge


@route("GET", "/v1/charges/{}")
def retrieve_charge(req: Request) -> dict[str, Any]:
    return req.engine.get("charge", req.arg())


@route("POST", "/v1/charges/{}")
def update_charge(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    charge = engine.get("charge", req.arg())
    changes: dict[str, Any] = {}
    for key in ("description", "receipt_email", "shipping", "fraud_details", "transfer_group"):
        if key in p:
            changes[key] = None if p[key] == "" else p[key]
    if "metadata" in p:
        changes["metadata"] = merged_metadata(charge.get("metadata"), p["metadata"])
    if "customer" in p:
        if charge.get("customer"):
            raise StripeErrorResponse(400, "This charge already has a customer.", param="customer")
        changes["customer"] = engine.get("customer", p["customer"], param="customer")["id"]
    return engine.update(charge, changes, clock=engine.clock_of(charge.get("customer")))


@route("POST", "/v1/charges/{}/capture")
def capture_charge(req: Request) -> dict[str, Any]:
    engine = req.engine
    charge = engine.get("charge", req.arg())
    if charge.get("payment_intent"):
        from .payments import capture_intent  # payments builds on charges

        intent = engine.get("payment_intent", charge["payment_intent"])
        capture_intent(engine, intent, req.params.get("amount"), param="amount")
        return charge
    amount = capture_amount(charge, req.params.get("amount"), "amount")
    return capture(engine, charge, amount, clock=engine.clock_of(charge.get("customer")))
