"""A small world for the billing engine tests: a catalog, customers with Stripe's test cards, test
clocks, all made through the engine's own endpoints."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval
from engine_helpers import call  # noqa: F401  (the billing tests import it from here)

DAY = 86_400
#: 2026-01-31 12:00 UTC: a month end, so day clamping shows.
T0 = int(datetime(2026, 1, 31, 12, tzinfo=timezone.utc).timestamp())


def product_price(engine: Engine, amount: int, *, interval: str = "month", currency: str = "usd",
                  name: str = "Pro", trial_days: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A recurring price of a new product."""
    product = call(engine, "POST", "/v1/products", {"name": name})
    recurring: dict[str, Any] = {"interval": interval}
    if trial_days:
        recurring["trial_period_days"] = trial_days
    return call(engine, "POST", "/v1/prices", {"product": product["id"], "unit_amount": amount, "currency": currency,
                                               "recurring": recurring})  # fmt: skip


def coupon(engine: Engine, **fields: Any) -> dict[str, Any]:
    return call(engine, "POST", "/v1/coupons", fields)


def new_clock(engine: Engine, frozen_time: int = T0) -> str:
    return call(engine, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": frozen_time})["id"]


def advance(engine: Engine, clock: str, to: int) -> None:
    """Advance ``clock`` to ``to`` in steps of at most a month (Stripe refuses more than two
    intervals of the shortest subscription at once)."""
    while (now := engine.now(clock)) < to:
        call(engine, "POST", f"/v1/test_helpers/test_clocks/{clock}/advance", {"frozen_time": min(to, add_interval(now, "month"))})


def customer(engine: Engine, clock: str | None, card: str | None = "pm_card_visa", **fields: Any) -> dict[str, Any]:
    """A customer on ``clock`` whose invoices are charged to the test card ``card`` (attached and made
    the invoice default)."""
    params: dict[str, Any] = {"name": "Ada Lovelace", "email": "ada@example.com", **fields}
    if clock:
        params["test_clock"] = clock
    if card:
        params["payment_method"] = card
    return call(engine, "POST", "/v1/customers", params)


def switch_card(engine: Engine, cus: dict[str, Any], card: str) -> None:
    """Make ``card`` the customer's default payment method (a card that starts failing later)."""
    method = call(engine, "POST", f"/v1/payment_methods/{card}/attach", {"customer": cus["id"]})
    call(engine, "POST", f"/v1/customers/{cus['id']}", {"invoice_settings": {"default_payment_method": method["id"]}})


def events(engine: Engine, type: str, obj_id: str | None = None) -> list[dict[str, Any]]:
    """Every event of ``type`` (about ``obj_id``), oldest first."""
    found = [e for e in engine.store.all("event") if e["type"] == type]
    return [e for e in found if obj_id is None or e["data"]["object"].get("id") == obj_id]


def invoices_of(engine: Engine, customer_id: str) -> list[dict[str, Any]]:
    return [i for i in engine.store.all("invoice") if i["customer"] == customer_id]


def lines_of(engine: Engine, invoice_id: str) -> list[dict[str, Any]]:
    return [line for line in engine.store.all("line_item") if line["invoice"] == invoice_id]
