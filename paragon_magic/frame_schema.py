"""What the columns of each Stripe object type are, so frames get the same dtypes every time.

A column's kind comes from the object type's schema when the schema lists it, else from its name
(``created``, ``*_at``, ``amount``, ``amount_*``, ...) — and a name only counts when the values agree
(integers for a timestamp or an amount). Values alone never make a timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["ColumnKind", "SCHEMAS", "DTYPES", "schema_for", "kind_by_name", "is_amount_name",
           "ZERO_DECIMAL", "THREE_DECIMAL"]

ColumnKind = Literal["string", "int", "amount", "timestamp", "bool", "boolean", "float", "list", "object"]

#: The pandas dtype of each kind. ``bool`` becomes ``boolean`` when a value is missing; ``boolean`` is for
#: flags Stripe may leave null, so their dtype does not depend on the data.
DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "int": pd.Int64Dtype(),
    "amount": pd.Int64Dtype(),
    "timestamp": pd.DatetimeTZDtype("ns", "UTC"),
    "bool": np.dtype(bool),
    "boolean": pd.BooleanDtype(),
    "float": np.dtype("float64"),
    "list": object,
    "object": object,
}

_ADDRESS = {f"address.{k}": "string" for k in ("city", "country", "line1", "line2", "postal_code", "state")}
_COMMON: dict[str, ColumnKind] = {"id": "string", "object": "string", "created": "timestamp", "livemode": "bool"}

SCHEMAS: dict[str, dict[str, ColumnKind]] = {
    "customer": {
        **_COMMON, **_ADDRESS, "balance": "amount", "currency": "string", "default_source": "string",
        "delinquent": "boolean", "description": "string", "discount.start": "timestamp", "discount.end": "timestamp",
        "email": "string", "invoice_prefix": "string", "invoice_settings.default_payment_method": "string",
        "invoice_settings.footer": "string", "name": "string", "next_invoice_sequence": "int", "phone": "string",
        "preferred_locales": "list", "tax_exempt": "string", "test_clock": "string",
    },
    "subscription": {
        **_COMMON, "application": "string", "application_fee_percent": "float", "billing_cycle_anchor": "timestamp",
        "cancel_at": "timestamp", "cancel_at_period_end": "bool", "canceled_at": "timestamp",
        "cancellation_details.reason": "string", "collection_method": "string", "currency": "string",
        "customer": "string", "days_until_due": "int", "default_payment_method": "string",
        "default_source": "string", "description": "string", "ended_at": "timestamp", "items.data": "list",
        "latest_invoice": "string", "schedule": "string", "start_date": "timestamp", "status": "string",
        "test_clock": "string", "trial_end": "timestamp", "trial_start": "timestamp",
    },
    "product": {
        **_COMMON, "active": "bool", "default_price": "string", "description": "string", "images": "list",
        "marketing_features": "list", "name": "string", "shippable": "boolean", "statement_descriptor": "string",
        "tax_code": "string", "type": "string", "unit_label": "string", "updated": "timestamp", "url": "string",
    },
    "plan": {
        **_COMMON, "active": "bool", "amount": "amount", "amount_decimal": "string", "billing_scheme": "string",
        "currency": "string", "interval": "string", "interval_count": "int", "nickname": "string",
        "product": "string", "tiers_mode": "string", "trial_period_days": "int", "usage_type": "string",
    },
    "price": {
        **_COMMON, "active": "bool", "billing_scheme": "string", "currency": "string", "lookup_key": "string",
        "nickname": "string", "product": "string", "recurring.interval": "string", "recurring.interval_count": "int",
        "recurring.usage_type": "string", "recurring.trial_period_days": "int", "tax_behavior": "string",
        "tiers_mode": "string", "type": "string", "unit_amount": "amount", "unit_amount_decimal": "string",
    },
    "balance_transaction": {
        **_COMMON, "amount": "amount", "available_on": "timestamp", "balance_type": "string", "currency": "string",
        "description": "string", "exchange_rate": "float", "fee": "amount", "fee_details": "list", "net": "amount",
        "reporting_category": "string", "source": "string", "status": "string", "type": "string",
    },
    "account": {
        **_COMMON, "business_profile.name": "string", "business_profile.url": "string",
        "business_profile.support_email": "string", "business_type": "string", "charges_enabled": "bool",
        "country": "string", "default_currency": "string", "details_submitted": "bool", "email": "string",
        "payouts_enabled": "bool", "settings.dashboard.display_name": "string", "tos_acceptance.date": "timestamp",
        "type": "string",
    },
}
# Accounts and balance transactions carry no livemode field.
SCHEMAS["account"].pop("livemode")
SCHEMAS["balance_transaction"].pop("livemode")

_TIMESTAMP_LEAVES = frozenset({
    "created", "updated", "start_date", "available_on", "arrival_date", "billing_cycle_anchor",
    "current_period_start", "current_period_end", "trial_start", "trial_end", "period_start", "period_end",
    "due_date", "next_payment_attempt", "redeem_by", "due_by", "effective_at", "expires_at", "cancel_at",
    "ended_at", "canceled_at", "webhooks_delivered_at", "finalized_at", "paid_at", "voided_at",
})
_AMOUNT_LEAVES = frozenset({"amount", "fee", "net", "balance", "unit_amount", "total", "subtotal", "tax"})


# The columns a reader looks for first, right after ``id``; the rest follow alphabetically. Wide
# frames (a customer has ~50 columns) are shown with their middle elided, so these must lead.
HEADLINES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "email", "description", "created"),
    "subscription": ("customer", "status", "created", "current_period_end", "cancel_at_period_end", "canceled_at"),
    "product": ("name", "active", "description", "created"),
    "plan": ("nickname", "product", "amount", "currency", "interval", "active", "created"),
    "price": ("nickname", "product", "unit_amount", "currency", "type", "active", "created"),
    "balance_transaction": ("type", "amount", "fee", "net", "currency", "status", "created", "source"),
    "charge": ("amount", "currency", "status", "customer", "created"),
    "account": ("business_profile.name", "email", "country", "default_currency"),
}


def column_order(names: Iterable[str], object_type: str | None) -> list[str]:
    """``id``, then the object type's headline columns that are present, then the rest A–Z."""
    present = set(names)
    lead = ["id", *HEADLINES.get(object_type or "", ())]
    first = [n for n in lead if n in present]
    return first + sorted(present - set(first))


def schema_for(object_type: str | None) -> dict[str, ColumnKind]:
    """The known columns of ``object_type`` (empty for an unknown type)."""
    return SCHEMAS.get(object_type or "", {})


def is_amount_name(column: str) -> bool:
    """``amount``, ``amount_refunded``, ``application_fee_amount``, ``fee``, ``net``, ``balance``, ..."""
    leaf = column.rsplit(".", 1)[-1]
    if leaf.endswith(("_decimal", "_percent", "_details", "_count")):
        return False
    return (leaf in _AMOUNT_LEAVES or leaf.startswith(("amount_", "total_", "subtotal_"))
            or leaf.endswith(("_amount", "_balance")))


def kind_by_name(column: str) -> ColumnKind | None:
    """The kind a column's name implies (to be confirmed by integer values), or None."""
    leaf = column.rsplit(".", 1)[-1]
    if column.startswith("metadata."):
        return "string"
    if leaf in _TIMESTAMP_LEAVES or leaf.endswith("_at"):
        return "timestamp"
    if is_amount_name(column):
        return "amount"
    return None


ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

