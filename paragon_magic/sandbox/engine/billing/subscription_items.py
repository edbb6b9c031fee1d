"""``/v1/subscription_items``: create, retrieve, update, delete one item of a subscription (the
list is the front's, filtered by ``subscription``). Each is a one-item subscription update, with the
same checks and prorations (``proration_behavior``, ``proration_date``)."""

from __future__ import annotations

from typing import Any

from ...front.errors import StripeErrorResponse, missing_param
from .. import Request, route
from . import changes, items as items_mod


def _update(engine: Any, sub_id: str, item: dict[str, Any], p: dict[str, Any]) -> None:
    for name in ("discounts", "price_data", "tax_rates", "billing_thresholds"):  # not billed by: refused, not ignored
        if p.get(name) not in (None, "", [], {}):
            raise StripeErrorResponse(400, f"The sandbox does not support `{name}` on subscription items.", param=name,
                                      code="parameter_invalid_empty")  # fmt: skip
    sub = engine.get("subscription", sub_id, param="subscription")
    if sub["status"] in ("canceled", "incomplete_expired"):  # as POST /v1/subscriptions/{id} answers
        raise StripeErrorResponse(400, "A canceled subscription can only update its cancellation_details and metadata.")
    options = {key: p[key] for key in ("proration_behavior", "proration_date", "payment_behavior") if key in p}
    changes.update(engine, sub, {"items": [item], **options})


@route("POST", "/v1/subscription_items")
def create_subscription_item(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    if not p.get("subscription"):
        raise missing_param("subscription")
    engine.get("subscription", p["subscription"], param="subscription")
    spec = {key: p[key] for key in ("price", "plan", "quantity", "metadata") if key in p}
    before = {item["id"] for item in items_mod.items_of(engine, p["subscription"])}
    _update(engine, p["subscription"], spec, p)
    return next(item for item in items_mod.items_of(engine, p["subscription"]) if item["id"] not in before)


@route("GET", "/v1/subscription_items/{}")
def retrieve_subscription_item(req: Request) -> dict[str, Any]:
    return req.engine.get("subscription_item", req.arg())


@route("POST", "/v1/subscription_items/{}")
def update_subscription_item(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    item = engine.get("subscription_item", req.arg())
    spec = {"id": item["id"], **{key: p[key] for key in ("price", "plan", "quantity", "metadata") if key in p}}
    _update(engine, item["subscription"], spec, p)
    return item


@route("DELETE", "/v1/subscription_items/{}")
def delete_subscription_item(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    item = engine.get("subscription_item", req.arg())
    _update(engine, item["subscription"], {"id": item["id"], "deleted": "true"}, p)
    return engine.store.deleted[item["id"]]
