"""Where billing meets the catalog and payments helpers' modules (issue 23).

Each function calls the owning module when it exists (``prices.price_of``, ``coupons.coupon_of``/``coupon_terms``/
``new_discount``/``remove_discount``, ``payment_methods.default_method``/``attached_to``,
``payments.charge_customer``) and otherwise a
minimal stand-in, so billing runs before those branches land. Delete a stand-in when its owner lands.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...front.errors import StripeErrorResponse, no_such
from .periods import add_interval


def _owner(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(f"paragon_magic.sandbox.engine.{module}"), name)
    except (ImportError, AttributeError):
        return None


def price_of(engine: Any, price_id: Any, *, param: str) -> dict[str, Any]:
    """The price (or plan) ``price_id``, or Stripe's 404 naming ``param``."""
    owner = _owner("prices", "price_of")
    if owner is not None:
        return owner(engine, price_id, param=param)
    found = engine.store.get(price_id) if isinstance(price_id, str) else None
    if found is None or found.get("object") not in ("price", "plan"):
        raise no_such("price", str(price_id), param=param)
    return found


def coupon_of(engine: Any, coupon_id: Any, *, param: str, at: int | None = None) -> dict[str, Any]:
    """The coupon ``coupon_id`` if it can be redeemed at ``at``, or Stripe's 404/400 naming ``param``."""
    owner = _owner("coupons", "coupon_of")
    if owner is not None:
        return owner(engine, coupon_id, param=param, at=at)
    found = engine.store.get(coupon_id, "coupon") if isinstance(coupon_id, str) else None
    if found is None:
        raise no_such("coupon", str(coupon_id), param=param)
    if found.get("valid") is False:
        raise StripeErrorResponse(400, f"Coupon expired: {found['id']}", param=param, code="coupon_expired")
    return found


def coupon_terms(engine: Any, discount: dict[str, Any]) -> dict[str, Any] | None:
    """The coupon a discount was made of (even once the coupon is deleted, when the owner keeps it)."""
    owner = _owner("coupons", "coupon_terms")
    if owner is not None:
        try:
            return owner(engine, discount)
        except StripeErrorResponse:
            return None
    return engine.store.get((discount.get("source") or {}).get("coupon") or "", "coupon")


def new_discount(engine: Any, coupon: dict[str, Any], *, customer: str, subscription: str | None,
                 invoice: str | None, start: int) -> dict[str, Any]:  # fmt: skip
    """A stored ``discount`` of ``coupon`` from ``start`` (the redemption counted)."""
    owner = _owner("coupons", "new_discount")
    if owner is not None:
        return owner(engine, coupon, customer=customer, subscription=subscription, invoice=invoice, start=start)
    end = add_interval(start, "month", int(coupon["duration_in_months"])) if coupon.get("duration") == "repeating" else None
    discount = engine.create("discount", "di_", clock=engine.clock_of(customer), event="customer.discount.created",
                             customer=customer, subscription=subscription, invoice=invoice, start=start, end=end,
                             source={"coupon": coupon["id"], "type": "coupon"})  # fmt: skip
    engine.update(coupon, {"times_redeemed": int(coupon.get("times_redeemed") or 0) + 1}, event=None)
    return discount


def remove_discount(engine: Any, discount: dict[str, Any]) -> None:
    """Delete a discount (``customer.discount.deleted``)."""
    owner = _owner("coupons", "remove_discount")
    if owner is not None:
        owner(engine, discount)
        return
    engine.delete(discount, clock=engine.clock_of(discount.get("customer")), event="customer.discount.deleted")


def default_method(engine: Any, customer: dict[str, Any]) -> str | None:
    """The payment method a customer's invoices are charged to when none is named."""
    owner = _owner("payment_methods", "default_method")
    if owner is not None:
        return owner(engine, customer)
    settings = customer.get("invoice_settings") or {}
    return settings.get("default_payment_method") or customer.get("default_source")


def attached_to(engine: Any, pm_id: str, customer_id: str, *, param: str) -> dict[str, Any]:
    """The payment method ``pm_id`` if it is attached to the customer, else Stripe's 4xx."""
    owner = _owner("payment_methods", "attached_to")
    if owner is not None:
        return owner(engine, pm_id, customer_id, param=param)
    found = engine.store.get(pm_id, "payment_method")
    if found is None:
        raise no_such("PaymentMethod", pm_id, param=param)
    if found.get("customer") != customer_id:
        raise StripeErrorResponse(400, f"The PaymentMethod {pm_id} does not belong to the Customer {customer_id}.",
                                  param=param)  # fmt: skip
    return found


def charge(engine: Any, customer: dict[str, Any], amount: int, currency: str, *, payment_method: str | None,
           description: str | None, metadata: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Charge ``customer`` off-session: ``(payment_intent, charge)``; a decline is a ``failed`` charge."""
    owner = _owner("payments", "charge_customer")
    if owner is not None:
        return owner(engine, customer, amount, currency, payment_method=payment_method,
                     description=description, metadata=metadata)  # fmt: skip
    return _stand_in_charge(engine, customer, amount, currency, payment_method, description)


_DECLINES = {"chargeDeclined": "generic_decline", "chargeCustomerFail": "generic_decline",
             "InsufficientFunds": "insufficient_funds"}  # fmt: skip


def _stand_in_charge(engine: Any, customer: dict[str, Any], amount: int, currency: str, method: str | None,
                     description: str | None) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    clock = engine.clock_of(customer)
    decline = next((code for marker, code in _DECLINES.items() if marker in str(method or "")), None)
    ok = decline is None
    error = None if ok else {"type": "card_error", "code": "card_declined", "decline_code": decline,
                             "message": "Your card was declined.", "payment_method": {"id": method}}  # fmt: skip
    intent = engine.create(
        "payment_intent", "pi_", clock=clock, amount=amount, currency=currency, customer=customer["id"],
        description=description, payment_method=method, amount_received=amount if ok else 0,
        status="succeeded" if ok else "requires_payment_method", last_payment_error=error)  # fmt: skip
    charged = engine.create(
        "charge", "ch_", clock=clock, event="charge.succeeded" if ok else "charge.failed", amount=amount,
        currency=currency, customer=customer["id"], payment_intent=intent["id"], payment_method=method,
        status="succeeded" if ok else "failed", paid=ok, captured=ok, amount_captured=amount if ok else 0,
        failure_code=None if ok else "card_declined", failure_message=None if ok else "Your card was declined.",
        outcome={"type": "authorized" if ok else "issuer_declined", "reason": decline},
        description=description)  # fmt: skip
    intent["latest_charge"] = charged["id"]
    return intent, charged
