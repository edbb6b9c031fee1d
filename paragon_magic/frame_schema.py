"""What the columns of each Stripe object type are, so frames get the same columns and dtypes every time.

The columns and their kinds come from Stripe's object model (``paragon_magic.stripe_model``): a frame of a
known type always has every column the model gives it, and a nested object is flattened (``address.city``)
while it is small; a large or open-ended one (a charge's ``payment_method_details``, with one sub-object per
payment method) stays one column of dicts. An embedded object of a named type (``plan`` and ``price`` in a
subscription item) is always flattened, so its columns have the dtypes of that type's own frame. Hashes become ``metadata.<key>`` columns from the data. For types
and columns the model does not know, a column's name (``created``, ``*_at``, ``amount``, ``amount_*``, ...)
implies a kind that counts only when the values agree (integers for a timestamp or an amount).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from . import stripe_model
from .frame_json import JSONDtype

__all__ = ["ColumnKind", "DTYPES", "MODEL_KINDS", "TypeSchema", "schema_for", "kind_by_name", "is_amount_name",
           "column_order", "HEADLINES", "ZERO_DECIMAL", "THREE_DECIMAL"]

ColumnKind = Literal["string", "decimal", "int", "amount", "timestamp", "bool", "boolean", "float", "list",
                     "object"]

#: The pandas dtype of each kind. ``bool`` (a flag of an object the model does not know) becomes ``boolean``
#: when a value is missing; the model's flags are always ``boolean``, so their dtype does not depend on the data.
#: Decimal strings (``unit_amount_decimal``) stay strings: exact, never float.
DTYPES: dict[str, object] = {
    "string": pd.StringDtype(),
    "decimal": pd.StringDtype(),
    "int": pd.Int64Dtype(),
    "amount": pd.Int64Dtype(),
    "timestamp": pd.DatetimeTZDtype("ns", "UTC"),
    "bool": np.dtype(bool),
    "boolean": pd.BooleanDtype(),
    "float": np.dtype("float64"),
    "list": JSONDtype(),  # lists and dicts as they came; exported as JSON text (frame_json)
    "object": JSONDtype(),
}

#: The frame kind of each object-model kind (None: no column of its own, e.g. a hash).
MODEL_KINDS: dict[str, ColumnKind | None] = {
    "timestamp": "timestamp", "amount": "amount", "currency": "string", "boolean": "boolean", "integer": "int",
    "number": "float", "decimal": "decimal", "string": "string", "id": "string", "enum": "string",
    "expandable": "string", "list": "list", "hash": None, "object": "object",
}
_FLATTEN_AT_MOST = 20  # a nested object with more fields than this stays one column of dicts
_FLATTEN_DEPTH = 3  # ... and so does one nested deeper than this (``a.b.c`` is flattened, ``a.b.c.d`` is not)


@dataclass(frozen=True)
class TypeSchema:
    """The fixed columns of one object type and how to treat the rest of its data."""

    object_type: str | None
    columns: Mapping[str, ColumnKind] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()  # dict-valued columns kept as one column (not split into ``x.*``)
    flattened: frozenset[str] = frozenset()  # objects and hashes split into their fields: never a column
    expandable: frozenset[str] = frozenset()  # an id, or an expanded object: ``x`` keeps the id, ``x.*`` the rest

    @cached_property
    def leaves(self) -> frozenset[str]:
        """Columns the model says hold scalars or lists, never an object to split."""
        return frozenset(name for name, kind in self.columns.items()
                         if kind != "object" and name not in self.expandable)

    def get(self, column: str) -> ColumnKind | None:
        """The kind of ``column`` that the model states (None: unknown, decide by name and values)."""
        known = self.columns.get(column)
        return known if known is not None else _model_kind(self.object_type, column)

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def items(self) -> Iterable[tuple[str, ColumnKind]]:
        return self.columns.items()


@lru_cache(maxsize=None)
def schema_for(object_type: str | None) -> TypeSchema:
    """The schema of ``object_type`` from the object model (no fixed columns for a type it does not know)."""
    codes = stripe_model.fields(object_type)
    if not codes:
        return TypeSchema(object_type)
    children: dict[str, list[str]] = defaultdict(list)
    for path in codes:
        if "[]" not in path:
            children[path.rpartition(".")[0]].append(path)
    columns: dict[str, ColumnKind] = {}
    whole: set[str] = set()
    flattened: set[str] = set()
    expandable: set[str] = set()

    def visit(parent: str, depth: int) -> None:
        for path in children[parent]:
            model_kind = codes[path]
            if model_kind == "object":
                nested = children.get(path)
                named = stripe_model.target_type(object_type, path) is not None  # ``plan`` in an item
                if nested and (named or len(nested) <= _FLATTEN_AT_MOST and depth < _FLATTEN_DEPTH):
                    flattened.add(path)
                    visit(path, depth + 1)
                    continue
                whole.add(path)
            elif model_kind == "hash":
                flattened.add(path)
            elif model_kind == "expandable":
                expandable.add(path)
            kind = MODEL_KINDS[model_kind]
            if kind is not None:
                columns[path] = kind

    visit("", 0)
    return TypeSchema(object_type, columns, frozenset(whole), frozenset(flattened), frozenset(expandable))


@lru_cache(maxsize=65536)
def _model_kind(object_type: str | None, column: str) -> ColumnKind | None:
    """A data column the fixed columns do not list: a hash key, an expanded object's field, ..."""
    if not stripe_model.is_known(object_type):
        return None
    parent = column.rpartition(".")[0]
    if parent and stripe_model.field_kind(object_type, parent) == "hash":
        return "string"
    model_kind = stripe_model.field_kind(object_type, column)
    return MODEL_KINDS[model_kind] if model_kind else None


_TIMESTAMP_LEAVES = frozenset({
    "created", "updated", "start_date", "available_on", "arrival_date", "billing_cycle_anchor",
    "current_period_start", "current_period_end", "trial_start", "trial_end", "period_start", "period_end",
    "due_date", "next_payment_attempt", "redeem_by", "due_by", "effective_at", "expires_at", "cancel_at",
    "ended_at", "canceled_at", "webhooks_delivered_at", "finalized_at", "paid_at", "voided_at",
})
_AMOUNT_LEAVES = frozenset({"amount", "fee", "net", "balance", "unit_amount", "total", "subtotal", "tax"})


# The columns a reader looks for first, right after ``id``; the rest follow alphabetically. Wide
# frames (a customer has ~80 columns) are shown with their middle elided, so these must lead.
HEADLINES: dict[str, tuple[str, ...]] = {
    "customer": ("name", "email", "description", "created"),
    "subscription": ("customer", "status", "created", "cancel_at_period_end", "canceled_at"),
    "subscription_item": ("subscription", "price.id", "quantity", "current_period_start", "current_period_end"),
    "product": ("name", "active", "description", "created"),
    "plan": ("nickname", "product", "amount", "currency", "interval", "active", "created"),
    "price": ("nickname", "product", "unit_amount", "currency", "type", "active", "created"),
    "balance_transaction": ("type", "amount", "fee", "net", "currency", "status", "created", "source"),
    "charge": ("amount", "currency", "status", "customer", "created"),
    "refund": ("amount", "currency", "status", "charge", "created"),
    "invoice": ("customer", "status", "total", "currency", "created"),
    "line_item": ("amount", "currency", "description", "period.start", "period.end"),
    "payout": ("amount", "currency", "status", "arrival_date", "created"),
    "account": ("business_profile.name", "email", "country", "default_currency"),
}


def column_order(names: Iterable[str], object_type: str | None) -> list[str]:
    """``id``, then the object type's headline columns that are present, then the rest A–Z."""
    present = set(names)
    lead = ["id", *HEADLINES.get(object_type or "", ())]
    first = [n for n in lead if n in present]
    return first + sorted(present - set(first))


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
