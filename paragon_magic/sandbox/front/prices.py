"""``/v1/prices`` in the front layer (localstripe knows only plans), consistent with plans as on Stripe.

A recurring price and its plan share the id: creating a recurring price creates the localstripe plan
with the price's id, and every plan (also one made with ``/v1/plans``) reads as a price. The price's own
fields (``lookup_key``, ``tax_behavior``, ``unit_amount_decimal``, one-time prices) live in a
:class:`PriceStore` in the front state. Subscriptions may name prices (``items[0][price]``): the body
sent upstream names the plan instead (``price_refs.py``).
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .errors import StripeErrorResponse, missing_param, no_such, unknown_param, unrecognized_url
from .list_specs import find_list_spec
from .shapes_types import price_from_plan

if TYPE_CHECKING:
    from .app import Call, FrontState

_FORM = "application/x-www-form-urlencoded"
_INTERVALS = ("day", "week", "month", "year")
_BAD_INTERVAL = "Invalid recurring[interval]: must be one of day, week, month, year"
CREATE_PARAMS = {
    "active", "billing_scheme", "currency", "expand", "lookup_key", "metadata", "nickname", "product",
    "product_data", "recurring", "tax_behavior", "transfer_lookup_key", "unit_amount", "unit_amount_decimal",
}  # fmt: skip
_UPDATE = {"active", "expand", "lookup_key", "metadata", "nickname", "tax_behavior", "transfer_lookup_key"}
_NOT_IN_SANDBOX = {"custom_unit_amount", "currency_options", "tiers", "tiers_mode", "transform_quantity"}
_RECURRING = {"interval", "interval_count", "usage_type", "trial_period_days"}


@dataclass
class PriceStore:
    """Prices created through the front layer, by id in creation order (reset with the front state)."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: product id -> its ``default_price`` (set by ``default_price_data`` or a product update).
    default_for_product: dict[str, str] = field(default_factory=dict)

    def clear(self) -> None:
        self.by_id.clear()
        self.default_for_product.clear()

    def with_lookup_key(self, lookup_key: str) -> dict[str, Any] | None:
        return next((p for p in self.by_id.values() if p.get("lookup_key") == lookup_key), None)


def bad_param(message: str, param: str, code: str | None = None) -> StripeErrorResponse:
    return StripeErrorResponse(400, message, code=code, param=param)


def _new_id() -> str:
    return "price_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))


def _int(value: str, param: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise bad_param(f"Invalid integer: {value}", param, "parameter_invalid_integer") from None
    if number < minimum:
        raise bad_param(
            f"This value must be greater than or equal to {minimum}.", param, "parameter_invalid_integer"
        )
    return number


def _bool(value: str, param: str) -> bool:
    if value not in ("true", "false"):
        raise bad_param(f"Invalid boolean: {value}", param, "parameter_invalid_boolean")
    return value == "true"


def check_param_names(form: dict[str, str], allowed: set[str]) -> None:
    for key in form:
        name = key.split("[", 1)[0]
        if name in _NOT_IN_SANDBOX:
            raise bad_param(f"The sandbox does not support `{name}` on prices.", name)
        if name not in allowed:
            raise unknown_param(key)


def sub_params(form: Mapping[str, str], name: str) -> dict[str, str]:
    """``name[a]=1``, ``name[b][c]=2`` -> ``{"a": "1", "b[c]": "2"}``."""
    prefix = name + "["
    return {key[len(prefix) :].replace("]", "", 1): value for key, value in form.items() if key.startswith(prefix)}


def _apply_metadata(metadata: dict[str, str], updates: dict[str, str]) -> dict[str, str]:
    out = dict(metadata)
    for key, value in updates.items():
        if value == "":
            out.pop(key, None)
        else:
            out[key] = value
    return out


async def upstream_post(state: FrontState, path: str, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    reply = await state.upstream.call("POST", path, body=urlencode(list(pairs)).encode(), content_type=_FORM)
    if reply.status >= 400 or not isinstance(reply.data, dict):
        raise await state.upstream.translate_error("POST", path, dict(pairs), reply)
    return reply.data


async def find_price(state: FrontState, price_id: str) -> dict[str, Any] | None:
    """The price with this id: a stored one, else the one a localstripe plan of that id reads as."""
    if price_id in state.prices.by_id:
        return dict(state.prices.by_id[price_id])
    if not price_id or "/" in price_id:
        return None
    reply = await state.upstream.call("GET", f"/v1/plans/{price_id}")
    if reply.status != 200 or not isinstance(reply.data, dict):
        return None
    return price_from_plan(reply.data, state.prices.by_id)


async def prices_oldest_first(state: FrontState) -> list[dict[str, Any]]:
    """Every price (stored ones and those plans read as), oldest first: the source the list and search
    endpoints read (registered as ``state.lists.sources["prices"]``)."""
    plans = await state.lists.ordered(find_list_spec("/v1/plans"), (), state.upstream, state.backdates,
                                      state.backdate_fields, state.backdate_version)  # fmt: skip
    derived = [price_from_plan(p, {}) for p in reversed(plans.objects) if p["id"] not in state.prices.by_id]
    return [*derived, *(dict(p) for p in state.prices.by_id.values())]


def _lookup_key(state: FrontState, form: dict[str, str], price_id: str) -> None:
    key = form.get("lookup_key")
    if not key:
        return
    holder = state.prices.with_lookup_key(key)
    if holder is None or holder["id"] == price_id:
        return
    if form.get("transfer_lookup_key") == "true":
        holder["lookup_key"] = None
        return
    raise bad_param(f"A price (`{holder['id']}`) already uses that lookup key.", "lookup_key")


def _tax_behavior(value: str) -> str:
    if value not in ("inclusive", "exclusive", "unspecified"):
        raise bad_param(
            "Invalid tax_behavior: must be one of inclusive, exclusive, or unspecified", "tax_behavior"
        )
    return value


def parse_amounts(form: dict[str, str]) -> tuple[int | None, str]:
    if "unit_amount" in form and "unit_amount_decimal" in form:
        raise bad_param(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.", "unit_amount"
        )
    if "unit_amount" in form:
        amount = _int(form["unit_amount"], "unit_amount")
        return amount, str(amount)
    if "unit_amount_decimal" not in form:
        raise missing_param("unit_amount")
    try:
        decimal = Decimal(form["unit_amount_decimal"])
    except InvalidOperation:
        raise bad_param(f"Invalid decimal: {form['unit_amount_decimal']}", "unit_amount_decimal") from None  # fmt: skip
    if decimal < 0 or not decimal.is_finite():
        raise bad_param("This value must be greater than or equal to 0.", "unit_amount_decimal")
    text = format(decimal.normalize(), "f")
    return (int(decimal) if decimal == int(decimal) else None), text


def parse_recurring(form: dict[str, str]) -> dict[str, Any] | None:
    raw = sub_params(form, "recurring")
    if not raw:
        return None
    for key in raw:
        if key not in _RECURRING:
            raise unknown_param(f"recurring[{key}]")
    interval = raw.get("interval")
    if interval is None:
        raise missing_param("recurring[interval]")
    if interval not in _INTERVALS:
        raise bad_param(_BAD_INTERVAL, "recurring[interval]")
    usage = raw.get("usage_type", "licensed")
    if usage not in ("licensed", "metered"):
        raise bad_param(
            "Invalid recurring[usage_type]: must be one of licensed or metered", "recurring[usage_type]"
        )
    trial = raw.get("trial_period_days")
    return {
        "interval": interval,
        "interval_count": _int(raw.get("interval_count", "1"), "recurring[interval_count]", 1),
        "meter": None,
        "trial_period_days": None if trial is None else _int(trial, "recurring[trial_period_days]"),
        "usage_type": usage,
    }


async def create_price(state: FrontState, form: dict[str, str]) -> dict[str, Any]:
    check_param_names(form, CREATE_PARAMS)
    if "currency" not in form:
        raise missing_param("currency")
    if form.get("billing_scheme", "per_unit") != "per_unit":
        raise bad_param("The sandbox supports only billing_scheme=per_unit prices.", "billing_scheme")
    currency = form["currency"].lower()
    recurring = parse_recurring(form)
    unit_amount, decimal = parse_amounts(form)
    active = _bool(form.get("active", "true"), "active")
    tax_behavior = _tax_behavior(form.get("tax_behavior", "unspecified"))
    product = form.get("product")
    product_data = sub_params(form, "product_data")
    if product and product_data:
        raise bad_param(
            "You may only specify one of these parameters: product, product_data.", "product"
        )
    price_id = _new_id()
    _lookup_key(state, form, price_id)
    if product_data:
        if not product_data.get("name"):
            raise missing_param("product_data[name]")
        pairs = [(k, v) for k, v in product_data.items() if k in ("name", "active") or k.startswith("metadata[")]
        product = (await upstream_post(state, "/v1/products", pairs))["id"]
    elif not product:
        raise missing_param("product")
    elif not await state.upstream.exists("products", product):
        raise no_such("product", product, param="product")
    metadata = _apply_metadata({}, sub_params(form, "metadata"))
    nickname = form.get("nickname") or None
    created = int(time.time())
    if recurring is not None:
        plan_pairs = [("id", price_id), ("product", product), ("currency", currency),
                      ("amount", str(unit_amount if unit_amount is not None else int(Decimal(decimal)))),
                      ("interval", recurring["interval"]), ("interval_count", str(recurring["interval_count"])),
                      ("usage_type", recurring["usage_type"]), ("active", "true" if active else "false"),
                      *[(f"metadata[{k}]", v) for k, v in metadata.items()]]  # fmt: skip
        if recurring["trial_period_days"] is not None:
            plan_pairs.append(("trial_period_days", str(recurring["trial_period_days"])))
        if nickname:
            plan_pairs.append(("nickname", nickname))
        created = int((await upstream_post(state, "/v1/plans", plan_pairs)).get("created") or created)
    price = {
        "id": price_id, "object": "price", "active": active, "billing_scheme": "per_unit", "created": created,
        "currency": currency, "custom_unit_amount": None, "livemode": False,
        "lookup_key": form.get("lookup_key") or None, "metadata": metadata, "nickname": nickname,
        "product": product, "recurring": recurring, "tax_behavior": tax_behavior, "tiers_mode": None,
        "transform_quantity": None, "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount, "unit_amount_decimal": decimal,
    }  # fmt: skip
    state.prices.by_id[price_id] = price
    return dict(price)


async def update_price(state: FrontState, price_id: str, form: dict[str, str]) -> dict[str, Any]:
    price = await find_price(state, price_id)
    if price is None:
        raise no_such("price", price_id)
    check_param_names(form, _UPDATE)
    _lookup_key(state, form, price_id)
    if "active" in form:
        price["active"] = _bool(form["active"], "active")
    if "nickname" in form:
        price["nickname"] = form["nickname"] or None
    if "lookup_key" in form:
        price["lookup_key"] = form["lookup_key"] or None
    if "tax_behavior" in form:
        wanted = _tax_behavior(form["tax_behavior"])
        if price["tax_behavior"] not in ("unspecified", wanted):
            raise bad_param(
                "The tax_behavior of a price cannot be changed once set to inclusive or exclusive.", "tax_behavior"
            )
        price["tax_behavior"] = wanted
    metadata_updates = sub_params(form, "metadata")
    price["metadata"] = _apply_metadata(price.get("metadata") or {}, metadata_updates)
    state.prices.by_id[price_id] = price
    if price["type"] == "recurring":  # keep the plan of the same id in step (best effort)
        pairs = [("active", "true" if price["active"] else "false")]
        pairs += [(f"metadata[{k}]", v) for k, v in metadata_updates.items()]
        if "nickname" in form:
            pairs.append(("nickname", form["nickname"]))
        body = urlencode(pairs).encode()
        await state.upstream.call("POST", f"/v1/plans/{price_id}", body=body, content_type=_FORM)
    return dict(price)


async def handle_prices(state: FrontState, call: Call) -> dict[str, Any]:
    """Answer ``/v1/prices`` and ``/v1/prices/{id}`` (create, retrieve, update; the list is served by
    the list layer from :func:`prices_oldest_first`)."""
    parts = [p for p in call.path.split("/") if p]
    if len(parts) == 2 and call.method == "POST":
        return await create_price(state, call.form)
    if len(parts) == 3 and call.method == "GET":
        price = await find_price(state, parts[2])
        if price is None:
            raise no_such("price", parts[2])
        return price
    if len(parts) == 3 and call.method == "POST":
        return await update_price(state, parts[2], call.form)
    raise unrecognized_url(call.method, call.path)
