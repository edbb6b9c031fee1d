"""Coupons (``/v1/coupons``: create, retrieve, update, delete; ``coupon.*`` events) and the discounts
billing makes of them.

Coupon rules (stripe-python 16.1 ``CouponCreateParams``): exactly one of ``percent_off`` (0 < p ≤ 100)
and ``amount_off`` (a positive integer, with ``currency``); ``duration`` once (default), repeating
(with ``duration_in_months`` ≥ 1, which no other duration takes) or forever; ``max_redemptions`` ≥ 1;
``redeem_by`` in the future, at most five years ahead; an ``id`` may be chosen (else 8 upper-case
letters and digits, as Stripe makes). Only ``name`` and ``metadata`` change afterwards. A coupon stops
being ``valid`` when ``redeem_by`` passes (a job on the sandbox clock) or ``max_redemptions`` is reached.

**Discounts** (applied by billing). A ``discount`` object is stored (kind ``discount``, id ``di_…``) so
the front can expand ``discounts`` ids; its shape is today's (fixtures3.json)::

    {"id": "di_…", "object": "discount", "source": {"coupon": "<coupon id>", "type": "coupon"},
     "customer": "cus_…", "subscription": "sub_…" | None, "invoice": "in_…" | None,
     "start": <clock time applied>, "end": <start + duration_in_months, repeating only> | None,
     "checkout_session": None, "customer_account": None, "invoice_item": None,
     "promotion_code": None, "subscription_item": None}

Billing calls :func:`coupon_of` while validating (404 / ``coupon_expired``), then :func:`new_discount`
(which counts the redemption and, for a customer's or subscription's discount, announces
``customer.discount.created`` on the customer's clock; an invoice's discount has no event).
How a discount applies: ``once`` to the first invoice only, ``repeating`` to invoices created before
``end``, ``forever`` to all (:func:`discount_applies`); :func:`discount_amount` gives the amount off
a subtotal. :func:`coupon_terms` reads the coupon of a discount even after the coupon was deleted
(Stripe: deleting a coupon does not remove the discounts already made of it).
"""

from __future__ import annotations

import copy
import weakref
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import SANDBOX, STARTUP, Engine, Request, route
from .common import as_int, currency, merged_metadata
from .prices import add_interval
from .store import Store

_DURATIONS = ("forever", "once", "repeating")
_FIVE_YEARS = 5 * 366 * 86_400
#: Per store: coupons deleted while discounts may still name them (id -> the coupon as it was).
_RETIRED: weakref.WeakKeyDictionary[Store, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _bad(message: str, param: str, code: str | None = "parameter_invalid_empty") -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def _forget_retired(engine: Engine) -> None:
    _RETIRED.pop(engine.store, None)


STARTUP.append(_forget_retired)


# -- reading -------------------------------------------------------------------------------------
def coupon_of(engine: Engine, coupon_id: Any, *, param: str, at: int | None = None) -> dict[str, Any]:
    """The coupon ``coupon_id`` if it can be redeemed now (``at``, default the sandbox clock): Stripe's
    404 naming ``param``, or 400 ``coupon_expired`` once ``redeem_by`` passed or ``max_redemptions``
    were used."""
    coupon = engine.get("coupon", coupon_id, param=param)
    moment = engine.now() if at is None else at
    used_up = coupon.get("max_redemptions") is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]
    if not coupon.get("valid") or used_up or (coupon.get("redeem_by") is not None and moment > coupon["redeem_by"]):
        raise _bad(f"Coupon expired: {coupon['id']}", param, "coupon_expired")
    return coupon


def coupon_terms(engine: Engine, discount: dict[str, Any]) -> dict[str, Any]:
    """The coupon a discount was made of (the live one, else as it was when deleted)."""
    coupon_id = (discount.get("source") or {}).get("coupon")
    coupon = engine.store.get(coupon_id, "coupon") if isinstance(coupon_id, str) else None
    if coupon is None:
        coupon = _RETIRED.get(engine.store, {}).get(str(coupon_id))
    if coupon is None:
        raise no_such("coupon", str(coupon_id), param="coupon")
    return coupon


def discount_applies(engine: Engine, discount: dict[str, Any], at: int, *, first_invoice: bool) -> bool:
    """Whether ``discount`` reduces an invoice created at ``at`` (``first_invoice``: the first invoice
    billed since the discount started, the only one a ``once`` coupon reduces)."""
    if at < discount["start"]:
        return False
    duration = coupon_terms(engine, discount)["duration"]
    if duration == "once":
        return first_invoice
    if duration == "repeating":
        return discount.get("end") is None or at < discount["end"]
    return True


def discount_amount(coupon: dict[str, Any], subtotal: int, currency_code: str) -> int:
    """The amount ``coupon`` takes off ``subtotal`` (never more than it; percentages rounded half up;
    an ``amount_off`` coupon in another currency takes nothing off)."""
    if subtotal <= 0:
        return 0
    if coupon.get("percent_off") is not None:
        return min(subtotal, int(subtotal * float(coupon["percent_off"]) / 100 + 0.5))
    if coupon.get("currency") != currency_code:
        return 0
    return min(subtotal, int(coupon.get("amount_off") or 0))


# -- writing for billing -------------------------------------------------------------------------
def new_discount(engine: Engine, coupon: dict[str, Any], *, customer: str, subscription: str | None,
                 invoice: str | None, start: int) -> dict[str, Any]:  # fmt: skip
    """Store a discount of ``coupon`` (validated with :func:`coupon_of` beforehand), counting the
    redemption; ``end`` is ``start`` + ``duration_in_months`` for a repeating coupon, else None."""
    end = add_interval(start, "month", int(coupon["duration_in_months"])) if coupon["duration"] == "repeating" else None
    clock = engine.clock_of(customer)
    discount = engine.create(
        "discount", "di_", clock=clock, event="customer.discount.created" if invoice is None else None, customer=customer,
        subscription=subscription, invoice=invoice, start=start, end=end,
        source={"coupon": coupon["id"], "type": "coupon"},
    )  # fmt: skip
    redeemed = coupon["times_redeemed"] + 1
    still_valid = coupon.get("max_redemptions") is None or redeemed < coupon["max_redemptions"]
    engine.update(coupon, {"times_redeemed": redeemed, "valid": bool(coupon["valid"] and still_valid)}, event=None)
    return discount


def remove_discount(engine: Engine, discount: dict[str, Any]) -> dict[str, Any]:
    """Delete a discount (``customer.discount.deleted`` on its customer's clock); what Stripe answers:
    the discount's keys with ``deleted: true``."""
    clock = engine.clock_of(discount.get("customer"))
    answer = {**copy.deepcopy(discount), "deleted": True}
    answer.pop("end", None)
    engine.delete(discount, clock=clock, event="customer.discount.deleted")
    return answer


# -- the API -------------------------------------------------------------------------------------
def _new_coupon_id(engine: Engine) -> str:
    while True:
        candidate = engine.store.new_id("", 8).upper()
        if engine.store.get(candidate) is None and candidate not in engine.store.deleted:
            return candidate


def _parse_coupon(engine: Engine, p: dict[str, Any]) -> dict[str, Any]:
    for key in ("applies_to", "currency_options"):
        if key in p:
            raise _bad(f"The sandbox does not support `{key}` on coupons.", key)
    coupon_id = p.get("id") or None
    if coupon_id is not None and (engine.store.get(coupon_id) is not None or coupon_id in engine.store.deleted):
        raise StripeErrorResponse(400, "Coupon already exists.", param="id", code="resource_already_exists")
    has_percent, has_amount = p.get("percent_off") not in (None, ""), p.get("amount_off") not in (None, "")
    if has_percent and has_amount:
        raise _bad("You may only specify one of these parameters: amount_off, percent_off.", "amount_off")
    if not has_percent and not has_amount:
        raise missing_param("percent_off")
    fields: dict[str, Any] = {"percent_off": None, "amount_off": None, "currency": None}
    if p.get("currency") not in (None, ""):
        fields["currency"] = currency(p["currency"])
    if has_percent:
        try:
            percent = float(p["percent_off"])
        except (TypeError, ValueError):
            raise _bad(f"Invalid float: {p['percent_off']}", "percent_off", None) from None
        if not 0 < percent <= 100:
            raise _bad("percent_off must be greater than 0 and at most 100.", "percent_off", "parameter_invalid_decimal")
        fields["percent_off"] = int(percent) if percent == int(percent) else percent
    else:
        amount = as_int(p["amount_off"], "amount_off")
        if amount < 1:
            raise _bad("amount_off must be a positive integer.", "amount_off", "parameter_invalid_integer")
        if fields["currency"] is None:
            raise missing_param("currency")
        fields["amount_off"] = amount
    duration = p.get("duration") or "once"
    if duration not in _DURATIONS:
        raise _bad("Invalid duration: must be one of forever, once, or repeating", "duration", None)
    months = p.get("duration_in_months")
    if duration == "repeating":
        if months in (None, ""):
            raise missing_param("duration_in_months")
        months = as_int(months, "duration_in_months")
        if months < 1:
            raise _bad("duration_in_months must be a positive integer.", "duration_in_months", "parameter_invalid_integer")  # fmt: skip
    elif months not in (None, ""):
        raise _bad("duration_in_months can only be set when duration is repeating.", "duration_in_months")
    fields.update(duration=duration, duration_in_months=months if duration == "repeating" else None)
    if p.get("max_redemptions") not in (None, ""):
        fields["max_redemptions"] = as_int(p["max_redemptions"], "max_redemptions")
        if fields["max_redemptions"] < 1:
            raise _bad("max_redemptions must be a positive integer.", "max_redemptions", "parameter_invalid_integer")
    if p.get("redeem_by") not in (None, ""):
        redeem_by, now = as_int(p["redeem_by"], "redeem_by"), engine.now()
        if redeem_by <= now:
            raise _bad("redeem_by must be in the future.", "redeem_by", "parameter_invalid_integer")
        if redeem_by > now + _FIVE_YEARS:
            raise _bad("redeem_by cannot be set to more than 5 years in the future.", "redeem_by", "parameter_invalid_integer")  # fmt: skip
        fields["redeem_by"] = redeem_by
    if p.get("name") not in (None, "") and len(str(p["name"])) > 40:
        raise _bad("A coupon's name may be up to 40 characters.", "name", "parameter_invalid_string_size")
    fields.update(id=coupon_id, name=p.get("name") or None, metadata=merged_metadata({}, p.get("metadata")))
    return fields


def _expire(engine: Engine, coupon_id: str) -> None:
    coupon = engine.store.get(coupon_id, "coupon")
    if coupon is not None and coupon["valid"]:
        engine.update(coupon, {"valid": False}, event=None)


@route("POST", "/v1/coupons")
def create_coupon(req: Request) -> dict[str, Any]:
    engine = req.engine
    fields = _parse_coupon(engine, req.params)
    fields["id"] = fields["id"] or _new_coupon_id(engine)
    coupon = engine.create("coupon", "", valid=True, times_redeemed=0, livemode=req.livemode, **fields)
    if coupon.get("redeem_by") is not None:
        coupon_id = coupon["id"]
        engine.clocks.schedule(SANDBOX, coupon["redeem_by"] + 1, lambda: _expire(engine, coupon_id), f"coupon {coupon_id} expires")  # fmt: skip
    return coupon


@route("GET", "/v1/coupons/{}")
def retrieve_coupon(req: Request) -> dict[str, Any]:
    return req.engine.get("coupon", req.arg())


@route("POST", "/v1/coupons/{}")
def update_coupon(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    coupon = engine.get("coupon", req.arg())
    if "currency_options" in p:
        raise _bad("The sandbox does not support `currency_options` on coupons.", "currency_options")
    changes: dict[str, Any] = {}
    if "name" in p:
        if p["name"] and len(str(p["name"])) > 40:
            raise _bad("A coupon's name may be up to 40 characters.", "name", "parameter_invalid_string_size")
        changes["name"] = p["name"] or None
    if "metadata" in p:
        changes["metadata"] = merged_metadata(coupon.get("metadata"), p["metadata"])
    return engine.update(coupon, changes)


@route("DELETE", "/v1/coupons/{}")
def delete_coupon(req: Request) -> dict[str, Any]:
    engine = req.engine
    coupon = engine.get("coupon", req.arg())
    _RETIRED.setdefault(engine.store, {})[coupon["id"]] = copy.deepcopy(coupon)
    return engine.delete(coupon)
