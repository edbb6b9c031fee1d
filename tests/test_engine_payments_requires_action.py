"""``error_on_requires_action``: a card that needs 3D Secure fails the attempt instead of waiting in
``requires_action`` (Stripe: "fail the payment attempt if the PaymentIntent transitions into
requires_action"), as an off-session attempt does: 402 ``authentication_required``, a failed charge,
the intent back in ``requires_payment_method``."""

from __future__ import annotations

import pytest

from billing_world import call, customer
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse

CARD = "pm_card_authenticationRequired"


def _failed_attempt(engine: Engine, method: str, path: str, params: dict) -> None:
    with pytest.raises(StripeErrorResponse) as error:
        call(engine, method, path, {**params, "error_on_requires_action": True})
    assert error.value.status == 402 and error.value.code == "authentication_required"
    (intent,) = [i for i in engine.collection("payment_intent")]
    assert intent["status"] == "requires_payment_method" and intent["next_action"] is None
    assert intent["last_payment_error"]["code"] == "authentication_required"
    assert engine.store.get(intent["latest_charge"])["status"] == "failed"


def test_creating_with_error_on_requires_action_fails_instead_of_waiting() -> None:
    engine = Engine(seed=21)
    cus = customer(engine, None, card=None)
    _failed_attempt(engine, "POST", "/v1/payment_intents", {"amount": 1_000, "currency": "usd", "customer": cus["id"],
                                                            "payment_method": CARD, "confirm": True})


def test_confirming_with_error_on_requires_action_fails_instead_of_waiting() -> None:
    engine = Engine(seed=22)
    cus = customer(engine, None, card=None)
    intent = call(engine, "POST", "/v1/payment_intents", {"amount": 1_000, "currency": "usd", "customer": cus["id"],
                                                          "payment_method": CARD})
    _failed_attempt(engine, "POST", f"/v1/payment_intents/{intent['id']}/confirm", {})
