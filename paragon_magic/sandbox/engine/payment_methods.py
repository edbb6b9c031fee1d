"""PaymentMethods (type ``card``): create from a test token, retrieve, update, attach, detach.

As in Stripe's test mode, a test name (``pm_card_visa``, ``pm_card_chargeDeclined``…) given wherever a
PaymentMethod id goes makes a fresh PaymentMethod of that card. Attaching validates the card:
the declining test cards are refused with their 402 (only ``pm_card_chargeCustomerFail`` attaches and
then fails every charge). Stripe sends no ``payment_method.created`` event; attach, detach and
update send ``payment_method.attached`` / ``.detached`` / ``.updated``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such, unknown_param
from . import Request, route
from .cards import Card, by_fingerprint, card_error, card_hash, lookup
from .common import as_int, merged_metadata

_UNSAFE = ("Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test "
           "tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing "
           "raw card data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.")  # fmt: skip
_BILLING = ("address", "email", "name", "phone", "tax_id")


def find(engine: Any, ref: Any, *, param: str = "payment_method") -> dict[str, Any] | Card:
    """A stored PaymentMethod, or the test card a test name stands for; Stripe's 404 otherwise.
    Creates nothing (validation)."""
    ref = str(ref or "")
    stored = engine.store.get(ref, "payment_method") or engine.store.get(ref, "card")  # a card source works too
    if stored is not None:
        return stored
    card = lookup(ref) if ref.startswith("pm_card_") else None
    if card is None:
        raise no_such("PaymentMethod", ref, param=param)
    return card


def behaviour(method: dict[str, Any] | Card) -> Card | None:
    """The test card behind a PaymentMethod (its fingerprint names it)."""
    if isinstance(method, Card):
        return method
    if method.get("object") == "card":
        return by_fingerprint(method.get("fingerprint"))
    return by_fingerprint((method.get("card") or {}).get("fingerprint"))


def materialize(engine: Any, found: dict[str, Any] | Card, *, clock: str = "",
                billing_details: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """The PaymentMethod for ``found``: itself if stored, else a fresh one of the test card."""
    if not isinstance(found, Card):
        return found
    moment = datetime.fromtimestamp(engine.now(clock), timezone.utc)
    billing = {key: None for key in _BILLING}
    billing.update(billing_details or {})
    return engine.create("payment_method", "pm_", clock=clock, event=None, type="card", customer=None,
                         card=card_hash(found, exp_month=moment.month, exp_year=moment.year + 1),
                         billing_details=billing, metadata=metadata or {}, allow_redisplay="unspecified")  # fmt: skip


def resolve(engine: Any, ref: Any, *, param: str = "payment_method", clock: str = "") -> dict[str, Any]:
    """The PaymentMethod ``ref`` names (a fresh one for a test name)."""
    return materialize(engine, find(engine, ref, param=param), clock=clock)


def check_attach(engine: Any, ref: Any, customer_id: str | None, *, param: str = "payment_method") -> dict[str, Any] | Card:
    """Everything :func:`attach` refuses, refused without side effects (``customer_id`` None: for a
    customer about to be created, so that ``Customer.create(payment_method=…)`` can check first)."""
    if customer_id is not None:
        engine.get("customer", customer_id, param="customer")
    found = find(engine, ref, param=param)
    if isinstance(found, dict) and found.get("customer") not in (None, customer_id):
        raise StripeErrorResponse(400, "The payment method you provided has already been attached to a customer.",
                                  param=param)  # fmt: skip
    card = behaviour(found)
    if card is not None and not card.attachable and card.decline is not None:
        raise card_error(card.decline)
    return found


def attach(engine: Any, pm_or_test_name: str, customer_id: str) -> dict[str, Any]:
    """Attach a PaymentMethod (or a fresh one for a test name) to a customer (``payment_method.attached``)."""
    found = check_attach(engine, pm_or_test_name, customer_id)
    clock = engine.clock_of(customer_id)
    method = materialize(engine, found, clock=clock)
    if method.get("customer") == customer_id:
        return method
    return engine.update(method, {"customer": customer_id}, clock=clock, event="payment_method.attached")


def attached_to(engine: Any, pm_id: str, customer_id: str, *, param: str) -> dict[str, Any]:
    """The PaymentMethod ``pm_id`` if attached to the customer; Stripe's 404/400 otherwise."""
    method = engine.store.get(str(pm_id), "payment_method")
    if method is None and lookup(str(pm_id)) is None:
        raise no_such("PaymentMethod", str(pm_id), param=param)
    if method is None or method.get("customer") != customer_id:
        raise StripeErrorResponse(
            400, f"The customer does not have a payment method with the ID {pm_id}. The payment method must be "
                 "attached to the customer.", param=param, code="resource_missing")  # fmt: skip
    return method


def default_method(engine: Any, customer: dict[str, Any]) -> str | None:
    """The PaymentMethod a customer is charged with: ``invoice_settings.default_payment_method``,
    else ``default_source``; None if neither is set (Stripe does not pick an attached one)."""
    settings = customer.get("invoice_settings") or {}
    return settings.get("default_payment_method") or customer.get("default_source") or None


# -- routes ----------------------------------------------------------------------------------------
@route("POST", "/v1/payment_methods")
def create_payment_method(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    kind = p.get("type")
    if not kind:
        raise missing_param("type")
    if kind != "card":
        raise StripeErrorResponse(400, f"Invalid type: the sandbox creates PaymentMethods of type card only, not {kind}.",
                                  param="type", code="parameter_invalid_string")  # fmt: skip
    card_params = p.get("card") or {}
    if not isinstance(card_params, dict) or not card_params:
        raise missing_param("card")
    if "number" in card_params:
        raise StripeErrorResponse(400, _UNSAFE, param="card[number]")
    token = str(card_params.get("token") or "")
    if not token:
        raise missing_param("card[token]")
    card = lookup(token) if token.startswith("tok_") else None
    if card is None:
        raise no_such("token", token, param="card[token]")
    metadata = merged_metadata({}, p.get("metadata"))
    billing = _billing(p.get("billing_details"))
    method = materialize(engine, card, billing_details=billing, metadata=metadata)
    if p.get("allow_redisplay"):
        method["allow_redisplay"] = p["allow_redisplay"]
    method["livemode"] = req.livemode
    return method


@route("GET", "/v1/payment_methods/{}")
def retrieve_payment_method(req: Request) -> dict[str, Any]:
    return resolve(req.engine, req.arg(), param="payment_method")


@route("POST", "/v1/payment_methods/{}")
def update_payment_method(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    method = engine.get("payment_method", req.arg(), noun="PaymentMethod", param="payment_method")
    if not method.get("customer"):
        raise StripeErrorResponse(400, "You must save this PaymentMethod to a customer before you update it.")
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = merged_metadata(method.get("metadata"), p["metadata"])
    if "billing_details" in p:
        changes["billing_details"] = {**method["billing_details"], **_billing(p["billing_details"])}
    if "allow_redisplay" in p:
        changes["allow_redisplay"] = p["allow_redisplay"]
    card_params = p.get("card") or {}
    if isinstance(card_params, dict) and card_params:
        card = dict(method["card"])
        for key in ("exp_month", "exp_year"):
            if key in card_params:
                card[key] = as_int(card_params[key], f"card[{key}]")
        changes["card"] = card
    clock = engine.clock_of(method.get("customer"))
    return engine.update(method, changes, clock=clock, event="payment_method.updated")


@route("POST", "/v1/payment_methods/{}/attach")
def attach_payment_method(req: Request) -> dict[str, Any]:
    customer = req.params.get("customer")
    if not customer:
        raise missing_param("customer")
    return attach(req.engine, req.arg(), str(customer))


@route("POST", "/v1/payment_methods/{}/detach")
def detach_payment_method(req: Request) -> dict[str, Any]:
    engine = req.engine
    method = engine.get("payment_method", req.arg(), noun="PaymentMethod", param="payment_method")
    customer_id = method.get("customer")
    if not customer_id:
        raise StripeErrorResponse(400, "The payment method you provided is not attached to a customer so detachment "
                                       "is impossible.")  # fmt: skip
    clock = engine.clock_of(customer_id)
    engine.update(method, {"customer": None}, clock=clock, event="payment_method.detached")
    customer = engine.store.get(customer_id, "customer")
    settings = (customer or {}).get("invoice_settings") or {}
    if customer is not None and settings.get("default_payment_method") == method["id"]:
        engine.update(customer, {"invoice_settings": {**settings, "default_payment_method": None}}, clock=clock)
    return method


@route("GET", "/v1/customers/{}/payment_methods/{}")
def retrieve_customer_payment_method(req: Request) -> dict[str, Any]:
    engine = req.engine
    engine.get("customer", req.arg(0), param="customer")
    method = engine.store.get(req.arg(1), "payment_method")
    if method is None or method.get("customer") != req.arg(0):
        raise no_such("PaymentMethod", req.arg(1), param="payment_method")
    return method


def _billing(value: Any) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeErrorResponse(400, "Invalid hash", param="billing_details", code="parameter_invalid_empty")
    unknown = set(value) - set(_BILLING)
    if unknown:
        raise unknown_param(f"billing_details[{sorted(unknown)[0]}]")
    return {key: (None if item == "" else item) for key, item in value.items()}
