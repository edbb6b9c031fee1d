"""Customers: create, retrieve, update, delete (``customer.*`` events); invoice numbering fields."""

from __future__ import annotations

from typing import Any

from . import INCLUDES, Request, route
from ..front.errors import StripeErrorResponse
from .common import email, merged_metadata

_SIMPLE = ("name", "description", "phone", "preferred_locales", "shipping", "tax_exempt", "address",
           "invoice_settings", "balance", "business_name", "individual_name")  # fmt: skip


def _prefix(engine: Any) -> str:
    """A customer's ``invoice_prefix``: 8 upper-case letters and digits, unique in the account."""
    taken = {c.get("invoice_prefix") for c in engine.store.all("customer")}
    while True:
        candidate = engine.store.new_id("", 8).upper()
        if candidate not in taken:
            return candidate


@route("POST", "/v1/customers")
def create_customer(req: Request) -> dict[str, Any]:
    p, engine = req.params, req.engine
    address = email(p.get("email"))
    metadata = merged_metadata({}, p.get("metadata"))
    clock = p.get("test_clock") or ""
    if clock:
        engine.get("test_helpers.test_clock", clock, noun="test_clock", param="test_clock")
    default = (p.get("invoice_settings") or {}).get("default_payment_method")
    if default and default != p.get("payment_method"):  # only the method attached by this request can be it
        raise StripeErrorResponse(
            400, f"The customer does not have a payment method with the ID {default}. The payment method must "
                 "be attached to the customer.", param="invoice_settings[default_payment_method]",
            code="resource_missing")  # fmt: skip
    fields = {key: p[key] for key in _SIMPLE if key in p and p[key] != ""}
    if p.get("payment_method"):
        from .payment_methods import check_attach

        check_attach(engine, p["payment_method"], None)  # a declining card is refused before anything exists
    if p.get("source"):
        from .sources import check_source

        check_source(engine, p["source"])
    customer = engine.create(
        "customer", "cus_", clock=clock, email=address, metadata=metadata, test_clock=clock or None,
        invoice_prefix=p.get("invoice_prefix") or _prefix(engine), next_invoice_sequence=int(p.get("next_invoice_sequence") or 1),
        balance=int(p.get("balance") or 0), livemode=req.livemode,
        invoice_settings={"custom_fields": None, "footer": None, "rendering_options": None,
                          **(p.get("invoice_settings") or {}), "default_payment_method": None},  # set once attached
        **{k: v for k, v in fields.items() if k not in ("balance", "invoice_settings")},
    )  # fmt: skip
    if p.get("payment_method"):
        from .payment_methods import attach  # the payments module owns payment methods

        method = attach(engine, p["payment_method"], customer["id"])
        settings = {**customer["invoice_settings"], "default_payment_method": method["id"]}
        customer["invoice_settings"] = settings
    if p.get("source"):
        from .sources import add_source

        add_source(engine, customer, p["source"])
    if customer["balance"]:
        from .customer_balance import record

        record(engine, customer, customer["balance"], type="initial", clock=clock)
    return customer


def with_includes(engine: Any, customer: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """The customer with the properties Stripe includes only when expanded (``sources``,
    ``subscriptions``, ``tax_ids``), as lists read from the engine."""
    wanted = [name for name in ("sources", "subscriptions", "tax_ids") if name in names]
    if not wanted or customer.get("deleted"):
        return customer
    owner = customer["id"]
    found = {
        "sources": [c for c in engine.store.all("card") if c.get("customer") == owner],
        "subscriptions": [s for s in engine.store.all("subscription") if s.get("customer") == owner
                          and s.get("status") not in ("canceled", "incomplete_expired")][::-1],
        "tax_ids": [],
    }  # fmt: skip
    return {**customer, **{name: {"object": "list", "data": found[name], "has_more": False,
                                  "url": f"/v1/customers/{owner}/{name}"} for name in wanted}}  # fmt: skip


@route("GET", "/v1/customers/{}")
def retrieve_customer(req: Request) -> dict[str, Any]:
    deleted = req.engine.store.deleted.get(req.arg())
    if deleted is not None and deleted["object"] == "customer":
        return deleted
    return req.engine.get("customer", req.arg())


@route("POST", "/v1/customers/{}")
def update_customer(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    customer = engine.get("customer", req.arg())
    changes: dict[str, Any] = {key: (None if p[key] == "" else p[key]) for key in _SIMPLE if key in p}
    if "email" in p:
        changes["email"] = email(p["email"])
    if "metadata" in p:
        changes["metadata"] = merged_metadata(customer.get("metadata"), p["metadata"])
    if "invoice_settings" in p:
        settings = {**(customer.get("invoice_settings") or {}), **(p["invoice_settings"] or {})}
        if settings.get("default_payment_method"):
            from .payment_methods import attached_to

            attached_to(engine, settings["default_payment_method"], customer["id"],
                        param="invoice_settings[default_payment_method]")  # fmt: skip
        changes["invoice_settings"] = settings
    if "balance" in changes:
        changes["balance"] = int(changes["balance"] or 0)
    moved = changes.get("balance", customer.get("balance") or 0) - int(customer.get("balance") or 0)
    engine.update(customer, changes, clock=engine.clock_of(customer))
    if moved:
        from .customer_balance import record

        record(engine, customer, moved, type="adjustment", clock=engine.clock_of(customer))
    return customer


@route("DELETE", "/v1/customers/{}")
def delete_customer(req: Request) -> dict[str, Any]:
    engine = req.engine
    customer = engine.get("customer", req.arg())
    for sub in list(engine.store.all("subscription")):
        if sub.get("customer") == customer["id"] and sub.get("status") not in ("canceled", "incomplete_expired"):
            from .billing.subscriptions import cancel_now

            cancel_now(engine, sub, reason="cancellation_requested")
    return engine.delete(customer, clock=engine.clock_of(customer))


INCLUDES["customer"] = with_includes
