"""Prices, and the plans they are: ``/v1/prices`` and ``/v1/plans``.

On Stripe a recurring price *is* a plan with the same id (``POST /v1/plans`` makes a price; a recurring
``POST /v1/prices`` makes a plan): both create events fire, and each update is announced as
``price.updated`` and ``plan.updated``. The engine stores prices only; the ``plan`` collection is a
read-only view (:func:`plan_view`) registered in ``engine.views`` at startup, so lists, retrieves and
events all read the same object.

Rules followed (stripe-python 16.1 ``PriceCreateParams``/``PlanCreateParams`` docstrings): one of
``product``/``product_data``; one of ``unit_amount``/``unit_amount_decimal`` (≤ 12 decimal places);
``recurring[interval]`` in day/week/month/year, at most three years (3 years, 36 months, 156 weeks,
1095 days); ``usage_type`` licensed|metered; ``lookup_key`` ≤ 200 characters and unique unless
``transfer_lookup_key``; ``tax_behavior`` can only leave ``unspecified`` once. Tiers, custom amounts,
currency options, transform_quantity and billing meters are not modelled: they are refused with a
clear 400 instead of being ignored.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import STARTUP, Engine, Request, route
from .common import as_bool, as_int, currency, merged_metadata, ref
from .events import diff

#: The longest interval Stripe allows, per unit (three years).
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
_TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
_UNSUPPORTED = ("tiers", "tiers_mode", "custom_unit_amount", "currency_options", "transform_quantity",
                "transform_usage")  # fmt: skip


def _bad(message: str, param: str, code: str | None = "parameter_invalid_empty") -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def _namer(prefix: str) -> Callable[[str], str]:
    """``key`` -> the name a client posted it under (``default_price_data[recurring][interval]``)."""
    return (lambda key: f"{prefix}[{key}]") if prefix else (lambda key: key)


def add_interval(moment: int, interval: str, count: int = 1) -> int:
    """``moment`` plus ``count`` intervals in UTC, as Stripe bills: months and years keep the day of
    the month, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    start = datetime.fromtimestamp(moment, timezone.utc)
    if interval in ("day", "week"):
        return moment + count * (7 if interval == "week" else 1) * 86_400
    months = count * (12 if interval == "year" else 1)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown interval {interval!r}")
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    moved = start.replace(year=year, month=month + 1, day=day)
    return int(moved.timestamp())


# -- reading -------------------------------------------------------------------------------------
def _shared_changes(engine: Engine, price: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """What a price update and a plan update both change: ``active``, ``nickname``, ``metadata``."""
    changes: dict[str, Any] = {}
    if "active" in p:
        changes["active"] = as_bool(p["active"], "active")
        _refuse_archiving_default(engine, price, changes["active"], "active")
    if "nickname" in p:
        changes["nickname"] = p["nickname"] or None
    if "metadata" in p:
        changes["metadata"] = merged_metadata(price.get("metadata"), p["metadata"])
    return changes


def price_of(engine: Engine, price_id: Any, *, param: str) -> dict[str, Any]:
    """The price ``price_id`` (also the id of its plan), or Stripe's 404 naming ``param``."""
    return engine.get("price", price_id, param=param)


def plan_view(price: dict[str, Any]) -> dict[str, Any]:
    """The plan a recurring price is (fixtures3.json's plan keys)."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"], "object": "plan", "active": price["active"], "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"], "billing_scheme": price["billing_scheme"],
        "created": price["created"], "currency": price["currency"], "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"), "livemode": price["livemode"],
        "metadata": dict(price.get("metadata") or {}), "meter": recurring.get("meter"),
        "nickname": price["nickname"], "product": price["product"], "tiers_mode": price.get("tiers_mode"),
        "transform_usage": None, "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type"),
    }  # fmt: skip


def _plans(engine: Engine) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [plan_view(p) for p in engine.store.all("price") if p.get("type") == "recurring"]


def _register_plans(engine: Engine) -> None:
    engine.views["plan"] = _plans(engine)


STARTUP.append(_register_plans)


# -- validation (no side effects) ----------------------------------------------------------------
def refuse_unsupported(params: dict[str, Any], name: Callable[[str], str]) -> None:
    for key in _UNSUPPORTED:
        if key in params:
            raise _bad(f"The sandbox does not support `{key}` on prices: use per-unit amounts.", name(key))
    if params.get("billing_scheme", "per_unit") != "per_unit":
        raise _bad("The sandbox supports only billing_scheme=per_unit prices.", name("billing_scheme"))


def parse_amount(params: dict[str, Any], int_key: str, decimal_key: str,
                 name: Callable[[str], str]) -> tuple[int | None, str]:  # fmt: skip
    """``(unit_amount, unit_amount_decimal)`` from one of the two parameters (integer ≥ 0, or a
    decimal ≥ 0 with at most 12 places; an integral decimal also sets the integer)."""
    if int_key in params and decimal_key in params:
        raise _bad(f"You may only specify one of these parameters: {int_key}, {decimal_key}.", name(int_key))
    if int_key in params:
        amount = as_int(params[int_key], name(int_key))
        if amount < 0:
            raise _bad("This value must be greater than or equal to 0.", name(int_key), "parameter_invalid_integer")
        return amount, str(amount)
    if params.get(decimal_key) in (None, ""):
        raise missing_param(name(int_key))
    try:
        value = Decimal(str(params[decimal_key]))
    except InvalidOperation:
        raise _bad(f"Invalid decimal: {params[decimal_key]}", name(decimal_key), None) from None  # fmt: skip
    if not value.is_finite() or value < 0:
        raise _bad("This value must be greater than or equal to 0.", name(decimal_key), "parameter_invalid_decimal")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise _bad("Decimal amounts can have at most 12 decimal places.", name(decimal_key), "parameter_invalid_decimal")  # fmt: skip
    text = format(value.normalize(), "f")
    return (int(value) if value == int(value) else None), text


def parse_recurring(raw: Any, name: Callable[[str], str]) -> dict[str, Any]:
    """Stripe's ``recurring`` hash; ``name`` maps each field to the parameter it was posted as."""
    if not isinstance(raw, dict):
        raise _bad("Invalid object", name("interval"), "parameter_invalid_empty")
    interval = raw.get("interval")
    if interval in (None, ""):
        raise missing_param(name("interval"))
    if interval not in MAX_INTERVAL_COUNT:
        raise _bad(f"Invalid {name('interval')}: must be one of day, week, month, or year",
                   name("interval"), None)  # fmt: skip
    count = as_int(raw.get("interval_count", 1), name("interval_count"))
    if count < 1:
        raise _bad("This value must be greater than or equal to 1.", name("interval_count"), "parameter_invalid_integer")  # fmt: skip
    if count > MAX_INTERVAL_COUNT[interval]:
        raise _bad("The maximum billing interval is three years (3 years, 36 months, 156 weeks or 1095 days): "
                   f"{count} {interval}s is too long.", name("interval_count"), "parameter_invalid_integer")  # fmt: skip
    usage = raw.get("usage_type") or "licensed"
    if usage not in ("licensed", "metered"):
        raise _bad(f"Invalid {name('usage_type')}: must be one of licensed or metered", name("usage_type"), None)  # fmt: skip
    if raw.get("meter"):
        raise _bad("The sandbox has no billing meters: a metered price records no usage and bills $0 "
                   "(in arrears, at each period end).", name("meter"))  # fmt: skip
    trial = raw.get("trial_period_days")
    if trial not in (None, ""):
        trial = as_int(trial, name("trial_period_days"))
        if trial < 0 or trial > 730:
            raise _bad("trial_period_days must be between 0 and 730 days.", name("trial_period_days"), "parameter_invalid_integer")  # fmt: skip
        if usage == "metered":
            raise _bad("Metered prices cannot have trial_period_days.", name("trial_period_days"))
    return {"interval": interval, "interval_count": count, "meter": None,
            "trial_period_days": None if trial in (None, "") else trial, "usage_type": usage}  # fmt: skip


def tax_behavior(value: Any, param: str = "tax_behavior") -> str:
    if value not in _TAX_BEHAVIORS:
        raise _bad(f"Invalid {param}: must be one of exclusive, inclusive, or unspecified", param, None)
    return str(value)


def lookup_key_holder(engine: Engine, key: Any, *, price_id: str | None, transfer: bool,
                      param: str = "lookup_key") -> dict[str, Any] | None:  # fmt: skip
    """The other price holding ``key`` when ``transfer`` moves it here (None: nobody holds it); a 400
    when another price holds it and ``transfer`` is false."""
    if key in (None, ""):
        return None
    if len(str(key)) > 200:
        raise _bad("A lookup key may be up to 200 characters.", param, "parameter_invalid_string_size")
    holder = next((p for p in engine.store.all("price") if p.get("lookup_key") == key and p["id"] != price_id), None)
    if holder is not None and not transfer:
        raise _bad(f"A price (`{holder['id']}`) already uses that lookup key.", param, "lookup_key_already_used")
    return holder


def parse_price(engine: Engine, params: dict[str, Any], *, prefix: str = "",
                product_required: bool = True) -> dict[str, Any]:  # fmt: skip
    """Every field of a price to create from ``params`` (posted under ``prefix``, e.g.
    ``default_price_data``), validated; raises Stripe's 4xx and creates nothing. The ``product`` key
    holds an existing product's id, or ``product_data`` the validated fields of a new one."""
    name = _namer(prefix)
    refuse_unsupported(params, name)
    if params.get("currency") in (None, ""):
        raise missing_param(name("currency"))
    fields: dict[str, Any] = {"currency": currency(params["currency"], name("currency"))}
    fields["unit_amount"], fields["unit_amount_decimal"] = parse_amount(params, "unit_amount", "unit_amount_decimal", name)
    recurring = params.get("recurring")
    fields["recurring"] = None if recurring in (None, "") else parse_recurring(recurring, _namer(name("recurring")))
    fields["active"] = as_bool(params.get("active", True), name("active"))
    fields["tax_behavior"] = tax_behavior(params.get("tax_behavior") or "unspecified", name("tax_behavior"))
    fields["metadata"] = merged_metadata({}, params.get("metadata"))
    fields["nickname"] = params.get("nickname") or None
    transfer = as_bool(params.get("transfer_lookup_key", False), name("transfer_lookup_key"))
    fields["lookup_key"] = params.get("lookup_key") or None
    lookup_key_holder(engine, fields["lookup_key"], price_id=None, transfer=transfer, param=name("lookup_key"))
    fields["transfer_lookup_key"] = transfer
    if not product_required:
        return fields
    if params.get("product") not in (None, "") and params.get("product_data") not in (None, ""):
        raise _bad("You may only specify one of these parameters: product, product_data.", name("product"))
    if params.get("product_data") not in (None, ""):
        from .catalog import parse_product  # products own their validation

        fields["product_data"] = parse_product(engine, params["product_data"], prefix=name("product_data"))
    elif params.get("product") in (None, ""):
        raise missing_param(name("product"))
    else:
        fields["product"] = engine.get("product", params["product"], param=name("product"))["id"]
    return fields


# -- writing -------------------------------------------------------------------------------------
def make_price(engine: Engine, fields: dict[str, Any], *, product: str | None = None, price_id: str | None = None,
               livemode: bool = False) -> dict[str, Any]:  # fmt: skip
    """Create the price :func:`parse_price` validated (its new product first, if any), moving a
    transferred lookup key; announces ``price.created`` and, when recurring, ``plan.created``."""
    fields = dict(fields)
    product_data = fields.pop("product_data", None)
    if product_data is not None:
        from .catalog import make_product

        product = make_product(engine, product_data, livemode=livemode)["id"]
    product = product or fields.pop("product")
    fields.pop("product", None)
    transfer = fields.pop("transfer_lookup_key", False)
    holder = lookup_key_holder(engine, fields["lookup_key"], price_id=None, transfer=transfer)
    if holder is not None:
        update_price_fields(engine, holder, {"lookup_key": None})
    price = engine.create("price", "price_", id=price_id, event="price.created", product=product, livemode=livemode,
                          billing_scheme="per_unit", type="recurring" if fields["recurring"] else "one_time",
                          **fields)  # fmt: skip
    if price["type"] == "recurring":
        engine.announce("plan.created", plan_view(price))
    return price


def update_price_fields(engine: Engine, price: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` with ``price.updated`` and, for a recurring price whose plan changed,
    ``plan.updated`` (each with its own ``previous_attributes``)."""
    plan_before = plan_view(price) if price["type"] == "recurring" else None
    engine.update(price, changes)
    if plan_before is not None:
        previous = diff(plan_before, plan_view(price))
        if previous:
            engine.announce("plan.updated", plan_view(price), previous_attributes=previous)
    return price


def _refuse_archiving_default(engine: Engine, price: dict[str, Any], active: bool, param: str) -> None:
    product = engine.store.get(price["product"], "product")
    if not active and product is not None and product.get("default_price") == price["id"]:
        raise _bad("This price cannot be archived because it is the default price of its product "
                   f"(`{product['id']}`): set another default_price on the product first.", param)  # fmt: skip


@route("POST", "/v1/prices")
def create_price(req: Request) -> dict[str, Any]:
    fields = parse_price(req.engine, req.params)
    return make_price(req.engine, fields, livemode=req.livemode)


@route("GET", "/v1/prices/{}")
def retrieve_price(req: Request) -> dict[str, Any]:
    return price_of(req.engine, req.arg(), param="id")


@route("POST", "/v1/prices/{}")
def update_price(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    price = price_of(engine, req.arg(), param="id")
    for key in ("currency_options",):
        if key in p:
            raise _bad(f"The sandbox does not support `{key}` on prices.", key)
    changes = _shared_changes(engine, price, p)
    if "tax_behavior" in p:
        wanted = tax_behavior(p["tax_behavior"])
        if price["tax_behavior"] not in ("unspecified", wanted):
            raise _bad("The tax_behavior of a price cannot be changed once set to inclusive or exclusive.", "tax_behavior")
        changes["tax_behavior"] = wanted
    holder = None
    if "lookup_key" in p:
        transfer = as_bool(p.get("transfer_lookup_key", False), "transfer_lookup_key")
        holder = lookup_key_holder(engine, p["lookup_key"], price_id=price["id"], transfer=transfer)
        changes["lookup_key"] = p["lookup_key"] or None
    if holder is not None:
        update_price_fields(engine, holder, {"lookup_key": None})
    return update_price_fields(engine, price, changes)


# -- plans ---------------------------------------------------------------------------------------
def _plan_of(engine: Engine, plan_id: str) -> dict[str, Any]:
    price = engine.store.get(plan_id, "price")
    if price is None or price.get("type") != "recurring":
        raise no_such("plan", plan_id)
    return price


@route("POST", "/v1/plans")
def create_plan(req: Request) -> dict[str, Any]:
    """``POST /v1/plans``: the recurring price of the same id (``amount`` -> ``unit_amount``, ``interval``
    -> ``recurring[interval]``, ``product`` an id or an inline ``product[name]``)."""
    engine, p = req.engine, req.params
    plan_id = p.get("id") or None
    if plan_id is not None and (engine.store.get(plan_id) is not None or plan_id in engine.store.deleted):
        raise StripeErrorResponse(400, "Plan already exists.", param="id", code="resource_already_exists")
    refuse_unsupported(p, _namer(""))
    if p.get("currency") in (None, ""):
        raise missing_param("currency")
    fields: dict[str, Any] = {"currency": currency(p["currency"])}
    fields["unit_amount"], fields["unit_amount_decimal"] = parse_amount(p, "amount", "amount_decimal", _namer(""))
    fields["recurring"] = parse_recurring({k: p[k] for k in ("interval", "interval_count", "usage_type",
                                                             "trial_period_days", "meter") if k in p}, _namer(""))  # fmt: skip
    fields.update(active=as_bool(p.get("active", True), "active"), metadata=merged_metadata({}, p.get("metadata")),
                  nickname=p.get("nickname") or None, tax_behavior="unspecified", lookup_key=None)  # fmt: skip
    product = p.get("product")
    if isinstance(product, dict):
        from .catalog import parse_product

        fields["product_data"] = parse_product(engine, product, prefix="product")
    elif product in (None, ""):
        raise missing_param("product")
    else:
        fields["product"] = engine.get("product", product, param="product")["id"]
    return plan_view(make_price(engine, fields, price_id=plan_id, livemode=req.livemode))


@route("GET", "/v1/plans/{}")
def retrieve_plan(req: Request) -> dict[str, Any]:
    return plan_view(_plan_of(req.engine, req.arg()))


@route("POST", "/v1/plans/{}")
def update_plan(req: Request) -> dict[str, Any]:
    """Update a plan (``active``, ``metadata``, ``nickname``, ``product``, ``trial_period_days``): its price."""
    engine, p = req.engine, req.params
    price = _plan_of(engine, req.arg())
    changes = _shared_changes(engine, price, p)
    if "product" in p:
        changes["product"] = engine.get("product", p["product"], param="product")["id"]
        in_use = any(ref(item.get("price")) == price["id"] for item in engine.store.all("subscription_item"))
        if in_use and changes["product"] != price["product"]:
            raise _bad("The product of a plan cannot be changed once the plan is used in a subscription.", "product")
    if "trial_period_days" in p:
        raw = {**price["recurring"], "trial_period_days": p["trial_period_days"] or None}
        changes["recurring"] = parse_recurring(raw, _namer(""))
    update_price_fields(engine, price, changes)
    return plan_view(price)


@route("DELETE", "/v1/plans/{}")
def delete_plan(req: Request) -> dict[str, Any]:
    """Delete a plan, and so its price (``plan.deleted``, ``price.deleted``): no new subscriptions to
    it; subscriptions that have it keep their copy of it and renew as before (Stripe's docs)."""
    engine = req.engine
    price = _plan_of(engine, req.arg())
    product = engine.store.get(price["product"], "product")
    if product is not None and product.get("default_price") == price["id"]:
        raise _bad(f"This plan is the default price of its product (`{product['id']}`): set another default_price "
                   "on the product first.", "id")  # fmt: skip
    engine.announce("plan.deleted", plan_view(price))
    engine.delete(price, event="price.deleted")
    return {"id": price["id"], "object": "plan", "deleted": True}
