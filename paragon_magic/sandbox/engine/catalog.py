"""Products: create, retrieve, update, delete (``product.created/updated/deleted``).

Rules followed (stripe-python 16.1 ``ProductCreateParams``/``ProductUpdateParams``): ``name`` is required;
``id`` may be chosen and must be unique; ``type`` good|service (default service); at most 8 ``images``
and 15 ``marketing_features``; ``statement_descriptor`` up to 22 characters without ``< > \\ " '``;
``default_price_data`` creates a price and makes it ``default_price`` (validated with the product, so a
bad price creates no product); ``default_price`` on update must be a price of this product; a product
with prices cannot be deleted. ``updated`` moves with every change.
"""

from __future__ import annotations

from typing import Any

from ..front.errors import StripeErrorResponse, missing_param, no_such
from . import Engine, Request, route
from .common import as_bool, merged_metadata
from .prices import make_price, parse_price

_TEXT = ("description", "tax_code", "unit_label", "url")
_TYPES = ("good", "service")


def _bad(message: str, param: str, code: str | None = "parameter_invalid_empty") -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def product_of(engine: Engine, product_id: Any, *, param: str) -> dict[str, Any]:
    """The live product ``product_id``, or Stripe's 404 naming ``param``."""
    return engine.get("product", product_id, param=param)


def _statement_descriptor(value: Any, param: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) > 22 or any(c in text for c in "<>\\\"'"):
        raise _bad("The statement descriptor must be at most 22 characters and may not include <, >, \\, \" or '.",
                   param, "parameter_invalid_string")  # fmt: skip
    return text


def _images(value: Any, param: str) -> list[str]:
    images = [] if value in (None, "") else list(value) if isinstance(value, list) else [value]
    if len(images) > 8:
        raise _bad("A product can have at most 8 images.", param)
    return [str(i) for i in images]


def _features(value: Any, param: str) -> list[dict[str, str]]:
    features = [] if value in (None, "") else list(value)
    if len(features) > 15:
        raise _bad("A product can have at most 15 marketing features.", param)
    out = []
    for index, feature in enumerate(features):
        name = feature.get("name") if isinstance(feature, dict) else None
        if not name:
            raise missing_param(f"{param}[{index}][name]")
        if len(str(name)) > 80:
            raise _bad("A marketing feature name may be up to 80 characters.", f"{param}[{index}][name]")
        out.append({"name": str(name)})
    return out


def parse_product(engine: Engine, params: Any, *, prefix: str = "") -> dict[str, Any]:
    """Every field of a new product from ``params`` (posted under ``prefix``: ``product_data`` on a price,
    ``product`` on a plan), validated; raises Stripe's 4xx and creates nothing."""

    def name(key: str) -> str:
        return f"{prefix}[{key}]" if prefix else key

    if not isinstance(params, dict):
        raise _bad("Invalid object", prefix or "product")
    if params.get("name") in (None, ""):
        raise missing_param(name("name"))
    product_id = params.get("id") or None
    if product_id is not None and (engine.store.get(product_id) is not None or product_id in engine.store.deleted):
        raise StripeErrorResponse(400, f"Product already exists: a product with the id '{product_id}' exists.",
                                  param=name("id"), code="resource_already_exists")  # fmt: skip
    kind = params.get("type") or "service"
    if kind not in _TYPES:
        raise _bad(f"Invalid {name('type')}: must be one of good or service", name("type"), None)
    fields: dict[str, Any] = {
        "id": product_id, "name": str(params["name"]), "type": kind,
        "active": as_bool(params.get("active", True), name("active")),
        "metadata": merged_metadata({}, params.get("metadata")),
        "images": _images(params.get("images"), name("images")),
        "marketing_features": _features(params.get("marketing_features"), name("marketing_features")),
        "statement_descriptor": _statement_descriptor(params.get("statement_descriptor"), name("statement_descriptor")),
        "package_dimensions": params.get("package_dimensions") or None,
        "shippable": None if params.get("shippable") in (None, "") else as_bool(params["shippable"], name("shippable")),
    }  # fmt: skip
    fields.update({key: params.get(key) or None for key in _TEXT})
    return fields


def make_product(engine: Engine, fields: dict[str, Any], *, livemode: bool = False,
                 default_price: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Create the product :func:`parse_product` validated (``product.created``), dated now."""
    now = engine.now()
    fields = {**fields, "id": fields.get("id") or engine.store.new_id("prod_", 14)}
    return engine.create("product", "prod_", livemode=livemode, created=now, updated=now,
                         default_price=default_price, **fields)  # fmt: skip


@route("POST", "/v1/products")
def create_product(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    if "default_price" in p:
        raise _bad("default_price can only be set on an existing product: use default_price_data here.", "default_price")
    fields = parse_product(engine, p)
    price_data = p.get("default_price_data")
    price_fields = None
    if price_data not in (None, ""):
        if not isinstance(price_data, dict):
            raise _bad("Invalid object", "default_price_data")
        price_fields = parse_price(engine, price_data, prefix="default_price_data", product_required=False)
    if price_fields is None:
        return make_product(engine, fields, livemode=req.livemode)
    fields["id"] = fields["id"] or engine.store.new_id("prod_", 14)
    price_id = engine.store.new_id("price_")
    product = make_product(engine, fields, livemode=req.livemode, default_price=price_id)
    make_price(engine, price_fields, product=product["id"], price_id=price_id, livemode=req.livemode)
    return product


@route("GET", "/v1/products/{}")
def retrieve_product(req: Request) -> dict[str, Any]:
    return product_of(req.engine, req.arg(), param="id")


@route("POST", "/v1/products/{}")
def update_product(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    product = product_of(engine, req.arg(), param="id")
    changes: dict[str, Any] = {key: (p[key] or None) for key in _TEXT if key in p}
    if "name" in p:
        if p["name"] in (None, ""):
            raise _bad("A product's name cannot be empty.", "name")
        changes["name"] = str(p["name"])
    if "active" in p:
        changes["active"] = as_bool(p["active"], "active")
    if "shippable" in p:
        changes["shippable"] = as_bool(p["shippable"], "shippable")
    if "metadata" in p:
        changes["metadata"] = merged_metadata(product.get("metadata"), p["metadata"])
    if "images" in p:
        changes["images"] = _images(p["images"], "images")
    if "marketing_features" in p:
        changes["marketing_features"] = _features(p["marketing_features"], "marketing_features")
    if "statement_descriptor" in p:
        changes["statement_descriptor"] = _statement_descriptor(p["statement_descriptor"], "statement_descriptor")
    if "package_dimensions" in p:
        changes["package_dimensions"] = p["package_dimensions"] or None
    if "unit_label" in changes and changes["unit_label"] and product.get("type") != "service":
        raise _bad("unit_label may only be set on products of type=service.", "unit_label")
    if "default_price" in p:
        changes["default_price"] = _default_price(engine, product, p["default_price"])
    if any(product.get(key) != value for key, value in changes.items()):
        changes["updated"] = engine.now()
    return engine.update(product, changes)


def _default_price(engine: Engine, product: dict[str, Any], price_id: Any) -> str | None:
    if price_id in (None, ""):
        return None
    price = engine.store.get(str(price_id), "price")
    if price is None:
        raise no_such("price", str(price_id), param="default_price")
    if price.get("product") != product["id"]:
        raise _bad(f"The price `{price_id}` does not belong to product `{product['id']}`.", "default_price")
    if not price.get("active"):
        raise _bad(f"The price `{price_id}` is archived: an inactive price cannot be a product's default price.",
                   "default_price")  # fmt: skip
    return price["id"]


@route("DELETE", "/v1/products/{}")
def delete_product(req: Request) -> dict[str, Any]:
    engine = req.engine
    product = product_of(engine, req.arg(), param="id")
    if any(price.get("product") == product["id"] for price in engine.store.all("price")):
        raise _bad("This product cannot be deleted because it has one or more user-created prices.", "id", None)
    return engine.delete(product)
