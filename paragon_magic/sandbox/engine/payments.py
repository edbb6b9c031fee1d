"""PaymentIntents (create, retrieve, update, confirm, capture, cancel) and :func:`charge_customer` for billing.

Events as Stripe sends them: ``payment_intent.created`` first, then the attempt's ``charge.succeeded``
/ ``charge.failed`` and ``payment_intent.succeeded`` / ``.amount_capturable_updated`` (manual capture) /
``.payment_failed``; ``payment_intent.canceled``. A declined confirmation answers the card's 402 with
``charge``, ``payment_intent`` and ``payment_method`` in the error body, after storing the failed charge
and returning the intent to ``requires_payment_method`` with ``last_payment_error`` (Stripe's one
4xx that leaves a trace).
"""

from __future__ import annotations

import copy
from typing import Any

from ..front.errors import StripeErrorResponse, doc_url
from . import Request, route
from .cards import card_error
from .charges import capture, capture_amount, charge_terms, check_amount, decline_of, new_charge
from .common import as_bool, as_int, check_metadata, currency, merged_metadata
from .payment_methods import attach, behaviour, default_method, find, materialize
from .refunds import refund_charge

_CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
_UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_MISSING_METHOD = ("You cannot confirm this PaymentIntent because it's missing a payment method. You can either update "
                   "the PaymentIntent with a payment method and then confirm it again, or confirm it again directly "
                   "with a payment method.")
_SIMPLE = ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix", "shipping",
           "setup_future_usage", "transfer_group")  # fmt: skip


def _unexpected(message: str) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, code="payment_intent_unexpected_state")


def _off_session(value: Any) -> bool:
    """``off_session``: a boolean, or Stripe's ``one_off`` / ``recurring``."""
    if value in ("one_off", "recurring"):
        return True
    return as_bool(value, "off_session") if value not in (None, "") else False


def _check_method(engine: Any, ref: Any, customer: str | None, *, param: str = "payment_method") -> Any:
    """The PaymentMethod (or test card) ``ref`` names, refused if it belongs to another customer."""
    found = find(engine, ref, param=param)
    owner = found.get("customer") if isinstance(found, dict) else None
    if owner and owner != customer:
        raise StripeErrorResponse(
            400, f"The provided PaymentMethod ({found['id']}) is attached to another customer and can only be used "
                 "with that customer.", param=param)  # fmt: skip
    return found


def _new_intent(engine: Any, *, amount: int, code: str, customer: str | None, method: str | None, clock: str,
                fields: dict[str, Any], livemode: bool = False) -> dict[str, Any]:  # fmt: skip
    intent_id = engine.store.new_id("pi_")
    return engine.create(
        "payment_intent", "pi_", clock=clock, id=intent_id, amount=amount, currency=code, customer=customer,
        payment_method=method, status="requires_confirmation" if method else "requires_payment_method",
        client_secret=f"{intent_id}_secret_{engine.store.new_id('', 25)}", livemode=livemode,
        payment_method_options={"card": {"installments": None, "mandate_options": None, "network": None,
                                         "request_three_d_secure": "automatic"}},
        **fields,
    )  # fmt: skip


def confirm(engine: Any, intent: dict[str, Any], *, clock: str, off_session: bool = False,
            return_url: str | None = None) -> dict[str, Any] | None:  # fmt: skip
    """Attempt the intent's payment: its charge, the intent's new state and their events (never raises).
    A card that needs 3D Secure, on-session, makes no charge: the intent waits in ``requires_action``."""
    method = materialize(engine, find(engine, intent["payment_method"]), clock=clock)
    card = behaviour(method)
    if card is not None and card.authentication and not off_session:
        url = f"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_sandbox&payment_intent={intent['id']}"
        action = {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": url}}
        engine.update(intent, {"status": "requires_action", "next_action": action}, clock=clock,
                      event="payment_intent.requires_action")  # fmt: skip
        return None
    manual = intent["capture_method"] == "manual"
    charge = new_charge(
        engine, amount=intent["amount"], currency=intent["currency"], method=method, customer=intent["customer"],
        payment_intent=intent["id"], capture=not manual, clock=clock, description=intent.get("description"),
        metadata=intent.get("metadata"), receipt_email=intent.get("receipt_email"),
        statement_descriptor=intent.get("statement_descriptor"), livemode=bool(intent.get("livemode")),
    )  # fmt: skip
    decline = decline_of(charge)
    if decline is not None:
        error = {"advice_code": None, "charge": charge["id"], "code": decline.code, "decline_code": decline.decline_code,
                 "doc_url": doc_url(decline.code), "message": decline.message, "network_advice_code": None,
                 "network_decline_code": None, "param": decline.param, "payment_method": copy.deepcopy(method),
                 "payment_method_type": "card", "type": "card_error"}  # fmt: skip
        changes = {"status": "requires_payment_method", "last_payment_error": error, "payment_method": None,
                   "latest_charge": charge["id"], "next_action": None}  # fmt: skip
        engine.update(intent, changes, clock=clock, event="payment_intent.payment_failed")
        return charge
    if intent.get("setup_future_usage") and intent["customer"] and not method.get("customer"):
        attach(engine, method["id"], intent["customer"])
    if manual:
        changes = {"status": "requires_capture", "amount_capturable": intent["amount"], "latest_charge": charge["id"],
                   "last_payment_error": None, "next_action": None}  # fmt: skip
        engine.update(intent, changes, clock=clock, event="payment_intent.amount_capturable_updated")
    else:
        changes = {"status": "succeeded", "amount_received": intent["amount"], "latest_charge": charge["id"],
                   "last_payment_error": None, "next_action": None}  # fmt: skip
        engine.update(intent, changes, clock=clock, event="payment_intent.succeeded")
    return charge


def _raise_if_declined(intent: dict[str, Any], charge: dict[str, Any] | None) -> None:
    decline = decline_of(charge) if charge is not None else None
    if decline is not None:
        raise card_error(decline, charge=charge["id"], payment_intent=copy.deepcopy(intent),
                         payment_method=copy.deepcopy(intent["last_payment_error"]["payment_method"]))  # fmt: skip


def charge_customer(engine: Any, customer: dict[str, Any], amount: int, currency: str, *,
                    payment_method: str | None = None, description: str | None = None,
                    metadata: dict[str, Any] | None = None,
                    statement_descriptor: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Charge a customer off-session now (billing): a confirmed PaymentIntent and its charge. A decline
    leaves the charge ``failed`` and the intent ``requires_payment_method`` (no exception); a customer
    without a payment method is a 400 before anything is created."""
    ref = payment_method or default_method(engine, customer)
    if not ref:
        raise StripeErrorResponse(400, "This customer has no attached payment source or default payment method. "
                                       "Please consider adding a default payment method.", param="payment_method",
                                  code="resource_missing")  # fmt: skip
    clock = engine.clock_of(customer)
    method = materialize(engine, _check_method(engine, ref, customer["id"]), clock=clock)
    fields = {"description": description, "metadata": dict(metadata or {}), "statement_descriptor": statement_descriptor,
              "confirmation_method": "automatic", "capture_method": "automatic"}  # fmt: skip
    intent = _new_intent(engine, amount=amount, code=currency.lower(), customer=customer["id"], method=method["id"],
                         clock=clock, fields=fields, livemode=bool(customer.get("livemode")))  # fmt: skip
    charge = confirm(engine, intent, clock=clock, off_session=True)
    assert charge is not None  # off-session: always an attempt
    return intent, charge


def capture_intent(engine: Any, intent: dict[str, Any], value: Any, *, param: str) -> dict[str, Any]:
    if intent["status"] != "requires_capture":
        raise _unexpected(f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                          "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.")  # fmt: skip
    charge = engine.get("charge", intent["latest_charge"])
    amount = capture_amount(charge, value, param)
    clock = engine.clock_of(intent.get("customer"))
    capture(engine, charge, amount, clock=clock)
    changes = {"status": "succeeded", "amount_received": amount, "amount_capturable": 0}
    return engine.update(intent, changes, clock=clock, event="payment_intent.succeeded")


# -- routes ----------------------------------------------------------------------------------------
@route("POST", "/v1/payment_intents")
def create_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    amount, code = charge_terms(p)
    customer = engine.get("customer", p["customer"], param="customer") if p.get("customer") else None
    customer_id = customer["id"] if customer else None
    check_metadata(p.get("metadata"))
    capture_method = p.get("capture_method") or "automatic_async"
    if capture_method not in _CAPTURE_METHODS:
        raise StripeErrorResponse(400, f"Invalid capture_method: must be one of {', '.join(_CAPTURE_METHODS)}",
                                  param="capture_method")  # fmt: skip
    confirm_now = as_bool(p.get("confirm", False), "confirm")
    off_session = _off_session(p.get("off_session"))
    if off_session and not confirm_now:
        raise StripeErrorResponse(400, "You can only set off_session when confirm is true.", param="off_session")
    found = _check_method(engine, p["payment_method"], customer_id) if p.get("payment_method") else None
    if confirm_now and found is None:
        raise _unexpected(_MISSING_METHOD)
    clock = engine.clock_of(customer)
    method = materialize(engine, found, clock=clock) if found is not None else None
    fields = {key: p[key] for key in _SIMPLE if p.get(key) not in (None, "")}
    fields.update(metadata=merged_metadata({}, p.get("metadata")), capture_method=capture_method,
                  confirmation_method=p.get("confirmation_method") or "automatic",
                  payment_method_types=p.get("payment_method_types") or ["card"])  # fmt: skip
    intent = _new_intent(engine, amount=amount, code=code, customer=customer_id,
                         method=method["id"] if method else None, clock=clock, fields=fields, livemode=req.livemode)  # fmt: skip
    if confirm_now:
        fail_on_action = as_bool(p.get("error_on_requires_action", False), "error_on_requires_action")
        _raise_if_declined(intent, confirm(engine, intent, clock=clock, off_session=off_session or fail_on_action,
                                                   return_url=p.get("return_url")))
    return intent


@route("GET", "/v1/payment_intents/{}")
def retrieve_intent(req: Request) -> dict[str, Any]:
    return req.engine.get("payment_intent", req.arg())


@route("POST", "/v1/payment_intents/{}")
def update_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("payment_intent", req.arg())
    changes: dict[str, Any] = {key: (None if p[key] == "" else p[key]) for key in _SIMPLE if key in p}
    if "metadata" in p:
        changes["metadata"] = merged_metadata(intent.get("metadata"), p["metadata"])
    money = [key for key in ("amount", "currency", "payment_method", "customer") if key in p]
    if money and intent["status"] not in _UPDATABLE:
        raise _unexpected(f"This PaymentIntent's {money[0]} could not be updated because it has a status of "
                          f"{intent['status']}. You may only update the {money[0]} of a PaymentIntent with one of the "
                          f"following statuses: {', '.join(_UPDATABLE)}.")  # fmt: skip
    code = currency(p["currency"]) if "currency" in p else intent["currency"]
    if "amount" in p:
        changes["amount"] = as_int(p["amount"], "amount")
        check_amount(changes["amount"], code)
    if "currency" in p:
        changes["currency"] = code
    customer_id = intent["customer"]
    if p.get("customer"):
        customer_id = changes["customer"] = engine.get("customer", p["customer"], param="customer")["id"]
    found = _check_method(engine, p["payment_method"], customer_id) if p.get("payment_method") else None
    clock = engine.clock_of(customer_id)
    if found is not None:
        changes["payment_method"] = materialize(engine, found, clock=clock)["id"]
        changes["status"] = "requires_confirmation"
    return engine.update(intent, changes, clock=clock)


@route("POST", "/v1/payment_intents/{}/confirm")
def confirm_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("payment_intent", req.arg())
    if intent["status"] not in ("requires_confirmation", "requires_payment_method", "requires_action"):
        raise _unexpected(f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}. Only a "
                          "PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, "
                          "requires_action, requires_payment_method.")  # fmt: skip
    found = _check_method(engine, p["payment_method"], intent["customer"]) if p.get("payment_method") else None
    if found is None and not intent.get("payment_method"):
        raise _unexpected(_MISSING_METHOD)
    check_metadata(p.get("metadata"))
    clock = engine.clock_of(intent["customer"])
    if found is not None:
        method = materialize(engine, found, clock=clock)
        engine.update(intent, {"payment_method": method["id"], "status": "requires_confirmation"}, clock=clock, event=None)
    for key in ("receipt_email", "setup_future_usage", "capture_method"):
        if p.get(key):
            engine.update(intent, {key: p[key]}, clock=clock, event=None)
    fail_on_action = as_bool(p.get("error_on_requires_action", False), "error_on_requires_action")
    charge = confirm(engine, intent, clock=clock, off_session=_off_session(p.get("off_session")) or fail_on_action,
                     return_url=p.get("return_url"))  # error_on_requires_action: no waiting for 3D Secure, as off-session
    _raise_if_declined(intent, charge)
    return intent


@route("POST", "/v1/payment_intents/{}/capture")
def capture_intent_route(req: Request) -> dict[str, Any]:
    engine = req.engine
    intent = engine.get("payment_intent", req.arg())
    return capture_intent(engine, intent, req.params.get("amount_to_capture"), param="amount_to_capture")


@route("POST", "/v1/payment_intents/{}/cancel")
def cancel_intent(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    intent = engine.get("payment_intent", req.arg())
    cancelable = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
    if intent["status"] not in cancelable:
        raise _unexpected(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
                          f"PaymentIntent with one of the following statuses may be canceled: {', '.join(cancelable)}.")  # fmt: skip
    reason = p.get("cancellation_reason") or None
    if reason is not None and reason not in _CANCEL_REASONS:
        raise StripeErrorResponse(400, f"Invalid cancellation_reason: must be one of {', '.join(_CANCEL_REASONS)}",
                                  param="cancellation_reason")  # fmt: skip
    clock = engine.clock_of(intent["customer"])
    if intent["status"] == "requires_capture":  # the authorization is released: a refund of the uncaptured charge
        charge = engine.get("charge", intent["latest_charge"])
        refund_charge(engine, charge, charge["amount"], reason=reason if reason in _REFUND_REASONS else None)
    changes = {"status": "canceled", "canceled_at": engine.now(clock), "cancellation_reason": reason,
               "amount_capturable": 0}  # fmt: skip
    return engine.update(intent, changes, clock=clock, event="payment_intent.canceled")
