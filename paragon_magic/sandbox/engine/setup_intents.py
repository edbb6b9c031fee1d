"""SetupIntents: save a card for later (create, retrieve, update, confirm, cancel).

Confirming validates the card as Stripe does (a card that needs 3D Secure waits in
``requires_action``): the declining test cards fail (402 ``card_error`` with
``setup_intent`` in the body, ``last_setup_error``, ``setup_intent.setup_failed``);
``pm_card_chargeCustomerFail`` and the good cards succeed, the PaymentMethod is attached to the
intent's customer (``payment_method.attached``) and ``setup_intent.succeeded`` is sent.
"""

from __future__ import annotations

import copy
from typing import Any

from ..front.errors import StripeErrorResponse, doc_url
from . import Request, route
from .cards import card_error
from .common import as_bool, check_metadata, merged_metadata
from .payment_methods import attach, behaviour, find, materialize

_CANCEL_REASONS = ("abandoned", "duplicate", "requested_by_customer")
_MISSING = ("You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a "
            "payment method and then confirm it again.")  # fmt: skip


def _unexpected(message: str) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, code="setup_intent_unexpected_state")


def _method_for(engine: Any, ref: Any, customer: str | None) -> Any:
    found = find(engine, ref)
    owner = found.get("customer") if isinstance(found, dict) else None
    if owner and owner != customer:
        raise StripeErrorResponse(400, "The payment method you provided has already been attached to a customer.",
                                  param="payment_method")  # fmt: skip
    return found


def _confirm(engine: Any, intent: dict[str, Any], clock: str) -> dict[str, Any]:
    method = materialize(engine, find(engine, intent["payment_method"]), clock=clock)
    card = behaviour(method)
    if card is not None and not card.attachable and card.decline is not None:
        decline = card.decline
        error = {"code": decline.code, "decline_code": decline.decline_code, "doc_url": doc_url(decline.code),
                 "message": decline.message, "param": decline.param, "payment_method": copy.deepcopy(method),
                 "payment_method_type": "card", "type": "card_error"}  # fmt: skip
        engine.update(intent, {"status": "requires_payment_method", "last_setup_error": error, "payment_method": None},
                      clock=clock, event="setup_intent.setup_failed")  # fmt: skip
        raise card_error(decline, setup_intent=copy.deepcopy(intent), payment_method=copy.deepcopy(method))
    if card is not None and card.authentication:  # 3D Secure: the customer must act first
        url = f"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_sandbox&setup_intent={intent['id']}"
        action = {"type": "redirect_to_url", "redirect_to_url": {"return_url": None, "url": url}}
        return engine.update(intent, {"status": "requires_action", "next_action": action}, clock=clock,
                             event="setup_intent.requires_action")  # fmt: skip
    if intent.get("customer") and method.get("customer") != intent["customer"]:
        attach(engine, method["id"], intent["customer"])
    return engine.update(intent, {"status": "succeeded", "last_setup_error": None}, clock=clock,
                         event="setup_intent.succeeded")  # fmt: skip


@route("POST", "/v1/setup_intents")
def create_setup_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    customer = engine.get("customer", p["customer"], param="customer") if p.get("customer") else None
    customer_id = customer["id"] if customer else None
    check_metadata(p.get("metadata"))
    found = _method_for(engine, p["payment_method"], customer_id) if p.get("payment_method") else None
    confirm_now = as_bool(p.get("confirm", False), "confirm")
    if confirm_now and found is None:
        raise _unexpected(_MISSING)
    clock = engine.clock_of(customer)
    method = materialize(engine, found, clock=clock) if found is not None else None
    intent_id = engine.store.new_id("seti_")
    intent = engine.create(
        "setup_intent", "seti_", clock=clock, id=intent_id, customer=customer_id, description=p.get("description"),
        metadata=merged_metadata({}, p.get("metadata")), payment_method=method["id"] if method else None,
        payment_method_types=p.get("payment_method_types") or ["card"], usage=p.get("usage") or "off_session",
        status="requires_confirmation" if method else "requires_payment_method", livemode=req.livemode,
        client_secret=f"{intent_id}_secret_{engine.store.new_id('', 25)}",
        payment_method_options={"card": {"mandate_options": None, "network": None,
                                         "request_three_d_secure": "automatic"}},
    )  # fmt: skip
    return _confirm(engine, intent, clock) if confirm_now else intent


@route("GET", "/v1/setup_intents/{}")
def retrieve_setup_intent(req: Request) -> dict[str, Any]:
    return req.engine.get("setup_intent", req.arg())


@route("POST", "/v1/setup_intents/{}")
def update_setup_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("setup_intent", req.arg())
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = merged_metadata(intent.get("metadata"), p["metadata"])
    if "description" in p:
        changes["description"] = p["description"] or None
    customer_id = intent.get("customer")
    if p.get("customer"):
        customer_id = changes["customer"] = engine.get("customer", p["customer"], param="customer")["id"]
    found = _method_for(engine, p["payment_method"], customer_id) if p.get("payment_method") else None
    if (found is not None or "customer" in changes) and intent["status"] in ("succeeded", "canceled"):
        raise _unexpected(f"You cannot update this SetupIntent because it has a status of {intent['status']}.")
    clock = engine.clock_of(customer_id)
    if found is not None:
        changes.update(payment_method=materialize(engine, found, clock=clock)["id"], status="requires_confirmation")
    return engine.update(intent, changes, clock=clock)


@route("POST", "/v1/setup_intents/{}/confirm")
def confirm_setup_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("setup_intent", req.arg())
    if intent["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise _unexpected(f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.")
    found = _method_for(engine, p["payment_method"], intent.get("customer")) if p.get("payment_method") else None
    if found is None and not intent.get("payment_method"):
        raise _unexpected(_MISSING)
    clock = engine.clock_of(intent.get("customer"))
    if found is not None:
        method = materialize(engine, found, clock=clock)
        engine.update(intent, {"payment_method": method["id"], "status": "requires_confirmation"}, clock=clock, event=None)
    return _confirm(engine, intent, clock)


@route("POST", "/v1/setup_intents/{}/cancel")
def cancel_setup_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("setup_intent", req.arg())
    if intent["status"] in ("succeeded", "canceled"):
        raise _unexpected(f"You cannot cancel this SetupIntent because it has a status of {intent['status']}.")
    reason = p.get("cancellation_reason") or None
    if reason is not None and reason not in _CANCEL_REASONS:
        raise StripeErrorResponse(400, f"Invalid cancellation_reason: must be one of {', '.join(_CANCEL_REASONS)}",
                                  param="cancellation_reason")  # fmt: skip
    return engine.update(intent, {"status": "canceled", "cancellation_reason": reason},
                         clock=engine.clock_of(intent.get("customer")), event="setup_intent.canceled")  # fmt: skip
