"""Refuse a create before localstripe half-does it: a failed create leaves nothing behind on Stripe.

localstripe creates a subscription (``incomplete``), its item and an open invoice before finding
that the customer cannot pay, then answers 404 "This customer has no payment method". Stripe
refuses such a request without creating anything, so the front layer checks first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from .errors import StripeErrorResponse
from .proxy import Upstream

_PLAN_KEY = re.compile(r"^(?:items\[(\d+)\]\[(?:plan|price)\]|plan|price)$")
_NO_CHARGE_NEEDED = ("trial_end", "trial_period_days", "default_payment_method", "default_source")


def no_payment_source() -> StripeErrorResponse:
    return StripeErrorResponse(
        400,
        "This customer has no attached payment source or default payment method. "
        "Please consider adding a default payment method.",
        param="customer",
    )


async def _get(upstream: Upstream, path: str) -> dict | None:
    data = await upstream.get(path)
    return data if isinstance(data, dict) else None


async def refuse_doomed_create(upstream: Upstream, method: str, path: str, form: Mapping[str, str]) -> None:
    """Raise the error a ``POST /v1/subscriptions`` would end in when its first invoice cannot be paid."""
    if method != "POST" or path != "/v1/subscriptions":
        return
    if any(key.split("[", 1)[0] in _NO_CHARGE_NEEDED for key in form) or form.get("trial_from_plan") == "true":
        return
    customer = await _get(upstream, f"/v1/customers/{quote(form.get('customer', ''), safe='')}")
    if customer is None:
        return  # the forwarded request reports the missing customer
    if (customer.get("invoice_settings") or {}).get("default_payment_method") or customer.get("default_source"):
        return
    due = 0
    for key, plan_id in form.items():
        match = _PLAN_KEY.match(key)
        if not match:
            continue
        plan = await _get(upstream, f"/v1/plans/{quote(plan_id, safe='')}")
        if plan is None:
            return  # the forwarded request reports the missing plan
        quantity_key = f"items[{match.group(1)}][quantity]" if match.group(1) else "quantity"
        try:
            quantity = int(form.get(quantity_key, "1"))
        except ValueError:
            return  # the forwarded request reports the bad quantity
        due += int(plan.get("amount") or 0) * quantity
    if due > 0:
        raise no_payment_source()
