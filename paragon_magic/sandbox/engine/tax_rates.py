"""Tax rates (``/v1/tax_rates``): create, retrieve, update (``tax_rate.created/updated``).

Rules (stripe-python 16.1 ``TaxRateCreateParams``/``TaxRateUpdateParams``): ``display_name``,
``inclusive`` and ``percentage`` (0–100) are required and the last two never change; ``active``
archives; ``country`` is ISO 3166-1 alpha-2; ``tax_type`` one of Stripe's types. Manual rates apply
their own percentage, so ``effective_percentage`` equals ``percentage`` and ``rate_type`` is
``percentage``. The list is served by the front from the collection.
"""

from __future__ import annotations

import re
from typing import Any

from ..front.errors import StripeErrorResponse, missing_param
from . import Engine, Request, route
from .common import as_bool, merged_metadata

TAX_TYPES = frozenset(
    "admissions_tax amusement_tax attendance_tax communications_tax digital_excise_tax entertainment_tax get_fund "
    "gross_receipts_tax gst hospitality_tax hst igst jct lease_tax luxury_tax mass_transit_parking_tax nhil "
    "parking_tax pst qst resort_tax retail_delivery_fee rst sales_tax service_tax tourism_tax utility_users_tax "
    "vat".split()
)
_TEXT = ("description", "jurisdiction", "state")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _bad(message: str, param: str, code: str | None = "parameter_invalid_empty") -> StripeErrorResponse:
    return StripeErrorResponse(400, message, param=param, code=code)


def tax_rate_of(engine: Engine, tax_rate_id: Any, *, param: str) -> dict[str, Any]:
    """The tax rate ``tax_rate_id`` (Stripe's 404 naming ``param``)."""
    return engine.get("tax_rate", tax_rate_id, param=param)


def _descriptive(p: dict[str, Any]) -> dict[str, Any]:
    """The fields both create and update take (validated)."""
    fields: dict[str, Any] = {key: (p[key] or None) for key in _TEXT if key in p}
    if "display_name" in p:
        if p["display_name"] in (None, ""):
            raise missing_param("display_name")
        if len(str(p["display_name"])) > 50:
            raise _bad("A tax rate's display_name may be up to 50 characters.", "display_name", "parameter_invalid_string_size")  # fmt: skip
        fields["display_name"] = str(p["display_name"])
    if "country" in p:
        if p["country"] and not _COUNTRY.match(str(p["country"])):
            raise _bad(f"Invalid country: {p['country']} (a two-letter ISO 3166-1 code).", "country", "country_code_invalid")  # fmt: skip
        fields["country"] = str(p["country"]).upper() if p["country"] else None
    if "tax_type" in p:
        if p["tax_type"] and p["tax_type"] not in TAX_TYPES:
            raise _bad(f"Invalid tax_type: {p['tax_type']}", "tax_type", None)
        fields["tax_type"] = p["tax_type"] or None
    if "active" in p:
        fields["active"] = as_bool(p["active"], "active")
    return fields


@route("POST", "/v1/tax_rates")
def create_tax_rate(req: Request) -> dict[str, Any]:
    p = req.params
    for name in ("display_name", "inclusive", "percentage"):
        if p.get(name) in (None, ""):
            raise missing_param(name)
    try:
        percentage = float(p["percentage"])
    except (TypeError, ValueError):
        raise _bad(f"Invalid float: {p['percentage']}", "percentage", None) from None
    if not 0 <= percentage <= 100:
        raise _bad("percentage must be between 0 and 100.", "percentage", "parameter_invalid_decimal")
    number: float | int = int(percentage) if percentage == int(percentage) else percentage
    fields = {"active": True, **_descriptive(p)}
    return req.engine.create(
        "tax_rate", "txr_", inclusive=as_bool(p["inclusive"], "inclusive"), percentage=number,
        effective_percentage=number, rate_type="percentage", metadata=merged_metadata({}, p.get("metadata")),
        livemode=req.livemode, **fields,
    )  # fmt: skip


@route("GET", "/v1/tax_rates/{}")
def retrieve_tax_rate(req: Request) -> dict[str, Any]:
    return tax_rate_of(req.engine, req.arg(), param="id")


@route("POST", "/v1/tax_rates/{}")
def update_tax_rate(req: Request) -> dict[str, Any]:
    engine, p = req.engine, req.params
    rate = tax_rate_of(engine, req.arg(), param="id")
    for fixed in ("percentage", "inclusive"):
        if fixed in p:
            raise _bad(f"A tax rate's {fixed} cannot be changed: create a new tax rate and archive this one.", fixed)
    changes = _descriptive(p)
    if "metadata" in p:
        changes["metadata"] = merged_metadata(rate.get("metadata"), p["metadata"])
    return engine.update(rate, changes)
