"""A customer's legacy card sources: ``POST/GET/DELETE /v1/customers/{id}/sources`` from test tokens.

The pre-PaymentMethods flow Stripe still serves: ``source=tok_visa`` saves a ``card`` on the customer
(``customer.source.created``) and, if the customer had none, makes it ``default_source``. As with
PaymentMethods, the declining test cards are refused when saved (their 402), except
``tok_chargeCustomerFail``. A saved card can be charged (``Charge.create(customer=…)`` uses
``default_source``) and given as a PaymentIntent's ``payment_method``. The nested list
(``GET …/sources``) is the front's: ``card`` objects filtered by ``customer``.
"""

from __future__ import annotations

from typing import Any

from ..front.errors import missing_param, no_such
from . import Request, route
from .cards import Card, card_error, lookup
from .charges import legacy_card


def check_source(engine: Any, token: Any, *, param: str = "source") -> Card:
    """The test card a token stands for, refused (404, or the card's 402) without side effects."""
    card = lookup(str(token or "")) if str(token or "").startswith("tok_") else None
    if card is None:
        raise no_such("token", str(token), param=param)
    if not card.attachable and card.decline is not None:
        raise card_error(card.decline)
    return card


def add_source(engine: Any, customer: dict[str, Any], token: str, *, param: str = "source") -> dict[str, Any]:
    """Save the card of a test token on ``customer`` (the default source if it had none)."""
    card = check_source(engine, token, param=param)
    clock = engine.clock_of(customer)
    fields = legacy_card(engine, card, clock=clock, customer=customer["id"])
    saved = engine.create("card", "card_", clock=clock, event="customer.source.created", **fields)
    if not customer.get("default_source"):
        engine.update(customer, {"default_source": saved["id"]}, clock=clock)
    return saved


def _source_of(engine: Any, customer_id: str, source_id: str) -> dict[str, Any]:
    engine.get("customer", customer_id, param="customer")
    card = engine.store.get(source_id, "card")
    if card is None or card.get("customer") != customer_id:
        raise no_such("source", source_id, param="id")
    return card


@route("POST", "/v1/customers/{}/sources")
def create_source(req: Request) -> dict[str, Any]:
    customer = req.engine.get("customer", req.arg(), param="customer")
    if not req.params.get("source"):
        raise missing_param("source")
    return add_source(req.engine, customer, str(req.params["source"]))


@route("GET", "/v1/customers/{}/sources/{}")
def retrieve_source(req: Request) -> dict[str, Any]:
    return _source_of(req.engine, req.arg(0), req.arg(1))


@route("DELETE", "/v1/customers/{}/sources/{}")
def delete_source(req: Request) -> dict[str, Any]:
    engine = req.engine
    card = _source_of(engine, req.arg(0), req.arg(1))
    customer = engine.get("customer", req.arg(0), param="customer")
    clock = engine.clock_of(customer)
    tombstone = engine.delete(card, clock=clock, event="customer.source.deleted")
    if customer.get("default_source") == card["id"]:
        others = [c["id"] for c in engine.store.all("card") if c.get("customer") == customer["id"]]
        engine.update(customer, {"default_source": others[0] if others else None}, clock=clock)
    return tombstone
