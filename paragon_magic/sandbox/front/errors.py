"""Stripe-shaped error bodies and request ids for the sandbox front layer."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from aiohttp import web

#: URL collection segment -> the noun Stripe uses in "No such <noun>: 'id'".
RESOURCE_NOUNS: dict[str, str] = {
    "customers": "customer",
    "subscriptions": "subscription",
    "subscription_items": "subscription_item",
    "products": "product",
    "plans": "plan",
    "prices": "price",
    "charges": "charge",
    "refunds": "refund",
    "payment_intents": "payment_intent",
    "payment_methods": "PaymentMethod",
    "setup_intents": "setup_intent",
    "invoices": "invoice",
    "invoiceitems": "invoiceitem",
    "coupons": "coupon",
    "tax_rates": "tax_rate",
    "balance_transactions": "balance transaction",
    "history": "balance transaction",
    "payouts": "payout",
    "events": "event",
    "sources": "source",
    "tokens": "token",
    "accounts": "account",
}

#: Id prefix -> noun, to name the object behind a dangling reference in a request body.
PREFIX_NOUNS: dict[str, tuple[str, str]] = {
    "cus_": ("customer", "customers"),
    "prod_": ("product", "products"),
    "plan_": ("plan", "plans"),
    "price_": ("price", "prices"),
    "sub_": ("subscription", "subscriptions"),
    "pm_": ("PaymentMethod", "payment_methods"),
    "ch_": ("charge", "charges"),
    "pi_": ("payment_intent", "payment_intents"),
    "in_": ("invoice", "invoices"),
    "txr_": ("tax_rate", "tax_rates"),
    "src_": ("source", "sources"),
}


def new_request_id() -> str:
    return "req_" + secrets.token_hex(7)


def doc_url(code: str) -> str:
    return "https://stripe.com/docs/error-codes/" + code.replace("_", "-")


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """``{"error": {...}}`` as Stripe sends it (absent fields are omitted, as Stripe does)."""
    err: dict[str, Any] = {"type": type, "message": message}
    if code:
        err["code"] = code
        err["doc_url"] = doc_url(code)
    if param:
        err["param"] = param
    if request_id:
        err["request_log_url"] = (
            f"https://dashboard.stripe.com/test/logs/{request_id}?t={int(time.time())}"
        )
    return {"error": err}


class StripeErrorResponse(Exception):
    """Raised inside the front layer; the middleware turns it into a Stripe-shaped JSON response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}
        #: Further error fields passed through as they are (``decline_code``, ``charge``, ...).
        self.extra: dict[str, Any] = {}

    def to_response(self, request_id: str) -> web.Response:
        body = error_body(
            self.message, type=self.type, code=self.code, param=self.param, request_id=request_id
        )
        body["error"].update(self.extra)
        return json_response(body, status=self.status, headers=self.headers)


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(data, indent=2).encode() + b"\n",
        status=status,
        headers=headers,
        content_type="application/json",
    )


def no_such(noun: str, obj_id: str, param: str = "id") -> StripeErrorResponse:
    return StripeErrorResponse(
        404, f"No such {noun}: '{obj_id}'", code="resource_missing", param=param
    )


def missing_param(param: str) -> StripeErrorResponse:
    return StripeErrorResponse(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def unknown_param(param: str) -> StripeErrorResponse:
    return StripeErrorResponse(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
    )


def unrecognized_url(method: str, path: str) -> StripeErrorResponse:
    return StripeErrorResponse(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )
