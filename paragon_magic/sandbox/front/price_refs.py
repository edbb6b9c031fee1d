"""Writes of other resources that name prices, which localstripe does not know: subscriptions and their
items (``items[0][price]``, sent upstream as the plan of the same id) and products (``default_price_data``,
``default_price``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import missing_param, no_such, unknown_param
from .prices import (
    CREATE_PARAMS,
    bad_param,
    check_param_names,
    create_price,
    find_price,
    parse_amounts,
    parse_recurring,
    sub_params,
    upstream_post,
)

if TYPE_CHECKING:
    from .app import FrontState

_SUBSCRIPTION_PATHS = re.compile(r"^/v1/(subscriptions|subscription_items)(/[^/]+)?$")
_ONE_TIME_IN_SUBSCRIPTION = (
    "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`."
)
async def subscription_upstream_pairs(
    state: FrontState, method: str, path: str, pairs: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The body pairs to send upstream for a subscription (item) write: prices named as their plans."""
    if method != "POST" or not _SUBSCRIPTION_PATHS.match(path):
        return pairs
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        if re.match(r"^(items\[\d+\]\[)?price_data", key):
            param = key.split("]")[0] + "]" if key.startswith("items[") else "price_data"
            raise bad_param("The sandbox does not support price_data: create the price first.", param)
        if re.match(r"^(items\[\d+\]\[)?price\]?$", key):
            price = await find_price(state, value)
            if price is None:
                raise no_such("price", value, param=key)
            if price.get("type") != "recurring":
                raise bad_param(_ONE_TIME_IN_SUBSCRIPTION, key)
            key = key[: key.rindex("price")] + "plan" + key[key.rindex("price") + 5 :]
        out.append((key, value))
    return out


_PRODUCT_PATHS = re.compile(r"^/v1/products(/[^/]+)?$")


async def write_product(state: FrontState, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """A product create/update naming a default price (``default_price_data``, ``default_price``), done
    here (localstripe has no prices); None when the write names none and goes upstream as it is."""
    match = _PRODUCT_PATHS.match(path)
    if not match or not any(k.startswith("default_price") for k, _ in pairs):
        return None
    product_id = match.group(1)[1:] if match.group(1) else None
    form = dict(pairs)
    price_data = sub_params(form, "default_price_data")
    rest = [(k, v) for k, v in pairs if not k.startswith("default_price")]
    if product_id is None and "default_price" in form:
        raise unknown_param("default_price")
    if product_id is not None and price_data:
        raise unknown_param("default_price_data")
    if price_data:  # validate before anything is created: a failed create leaves nothing behind
        allowed = CREATE_PARAMS - {"product_data", "lookup_key", "transfer_lookup_key"}
        check_param_names({**price_data, "product": ""}, allowed)
        if "currency" not in price_data:
            raise missing_param("default_price_data[currency]")
        parse_recurring(price_data)
        parse_amounts(price_data)
    if product_id is None:
        product = await upstream_post(state, "/v1/products", rest)
        if price_data:
            price = await create_price(state, {**price_data, "product": product["id"]})
            state.prices.default_for_product[product["id"]] = price["id"]
        return product
    default = form.get("default_price", "")
    if default:
        price = await find_price(state, default)
        if price is None:
            raise no_such("price", default, param="default_price")
        if price.get("product") != product_id:
            raise bad_param(
                f"The price `{default}` does not belong to product `{product_id}`.", "default_price"
            )
    if rest:
        product = await upstream_post(state, path, rest)
    else:
        reply = await state.upstream.call("GET", path)
        if reply.status != 200 or not isinstance(reply.data, dict):
            raise no_such("product", product_id)
        product = reply.data
    if default:
        state.prices.default_for_product[product_id] = default
    else:
        state.prices.default_for_product.pop(product_id, None)
    return product
