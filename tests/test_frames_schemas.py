"""Every Stripe object type converts by the object model: Stripe's own fixtures (tests/fixtures/stripe/fixtures3.json,
MIT) walked independently of the conversion code, stable empty schemas, and dtypes spelled out per type."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pytest

from paragon_magic import stripe_model
from paragon_magic.frame_json import JSONDtype
from paragon_magic.frames import to_frame

RESOURCES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "stripe" / "fixtures3.json").read_text())["resources"]
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")
STRING, INT64, BOOLEAN, FLOAT, OBJECT = pd.StringDtype(), pd.Int64Dtype(), pd.BooleanDtype(), np.dtype(
    "float64"), JSONDtype()
LIST_ACTION_TYPES = ("customer", "subscription", "product", "plan", "price", "balance_transaction", "charge",
                     "refund", "invoice", "invoiceitem", "line_item", "payout", "event", "payment_intent")


def object_type_of(name: str) -> str:
    """The type to convert a fixture as: ``deleted_customer`` as itself, the others as their ``object``."""
    obj = RESOURCES[name]
    return name if name.startswith("deleted_") else obj.get("object", name)


def int_leaves(value: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """Every integer in a JSON value by concrete path (``items.data[0].current_period_end``), walked directly."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from int_leaves(sub, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from int_leaves(sub, f"{path}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, value


def model_path(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def locate(df: pd.DataFrame, row: int, path: str) -> tuple[Any, Any]:
    """(dtype, value) of ``path`` in row ``row``, following list/object columns with ``df.stripe.explode``."""
    if path in df.columns:
        return df[path].dtype, df[path].iloc[row]
    column = max((c for c in df.columns if path.startswith(c) and path[len(c)] in ".["), key=len)
    rest = path[len(column):]
    index = 0
    if rest.startswith("["):
        index, rest = int(rest[1:rest.index("]")]), rest[rest.index("]") + 1:]
    nested = df.stripe.explode(column)
    key = df["id"].iloc[row] if "id" in df.columns else df.index[row]
    mine = np.flatnonzero((nested["parent_id"] == key).to_numpy(dtype=bool, na_value=False))
    return locate(nested, int(mine[index]), rest.removeprefix("."))


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_fixture_object_has_utc_timestamps_and_int64_amounts(name: str) -> None:
    object_type = object_type_of(name)
    obj = RESOURCES[name]
    df = to_frame([obj], object_type)
    assert len(df) == 1 and df.attrs["stripe"]["object_type"] == object_type
    checked = 0
    for path, value in int_leaves(obj):
        kind = stripe_model.field_kind(object_type, model_path(path))
        if kind not in ("timestamp", "amount"):
            continue
        dtype, cell = locate(df, 0, path)
        if kind == "timestamp":
            assert dtype == UTC_NS and cell == pd.Timestamp(value, unit="s", tz="UTC"), path
        else:
            assert dtype == INT64 and cell == value, path
        checked += 1
    if object_type in LIST_ACTION_TYPES:
        assert checked >= 1, "the model knows at least one timestamp or amount of this type"


def test_the_fixture_walk_reaches_nested_lists_and_objects() -> None:
    sub = RESOURCES["subscription"]
    paths = {model_path(p) for p, _ in int_leaves(sub)}
    assert "items.data[].current_period_end" in paths
    dtype, cell = locate(to_frame([sub], "subscription"), 0, "items.data[0].current_period_end")
    assert dtype == UTC_NS and cell == pd.Timestamp(sub["items"]["data"][0]["current_period_end"], unit="s", tz="UTC")
    charge = RESOURCES["charge"]
    dtype, _ = locate(to_frame([charge], "charge"), 0, "payment_method_details.card.exp_month")
    assert dtype == INT64


def extra_columns_allowed(object_type: str, column: str, empty: pd.DataFrame) -> bool:
    """Data-driven columns: hash keys (``metadata.<key>``), an expanded object's fields (its id stays in the
    expandable's own column), and fields Stripe's fixture carries that stripe-python 16.1 no longer defines."""
    parent = column.rpartition(".")[0]
    if parent and stripe_model.field_kind(object_type, parent) in ("hash", "expandable"):
        return True
    return stripe_model.field_kind(object_type, column) is None


@pytest.mark.parametrize("object_type", LIST_ACTION_TYPES)
def test_empty_result_has_the_columns_and_dtypes_of_a_full_one(object_type: str) -> None:
    empty = to_frame([], object_type)
    full = to_frame([RESOURCES[object_type]], object_type)
    assert len(empty) == 0 and empty.columns[0] == "id" and len(empty.columns) > 10
    assert set(empty.columns) <= set(full.columns)
    extra = set(full.columns) - set(empty.columns)
    assert all(extra_columns_allowed(object_type, c, empty) for c in extra), sorted(extra)
    assert {c: full[c].dtype for c in empty.columns} == {c: empty[c].dtype for c in empty.columns}
    assert [c for c in full.columns if c in set(empty.columns)] == list(empty.columns)  # same order too


# Spelled out by hand from Stripe's API reference, not from the conversion code (issue 18.5).
EXPECTED: dict[str, dict[str, Any]] = {
    "customer": {"id": STRING, "created": UTC_NS, "balance": INT64, "currency": STRING, "delinquent": BOOLEAN,
                 "livemode": BOOLEAN, "address.city": STRING, "email": STRING, "next_invoice_sequence": INT64,
                 "preferred_locales": OBJECT, "invoice_settings.default_payment_method": STRING},
    "subscription": {"id": STRING, "customer": STRING, "status": STRING, "created": UTC_NS, "start_date": UTC_NS,
                     "billing_cycle_anchor": UTC_NS, "cancel_at": UTC_NS, "canceled_at": UTC_NS,
                     "ended_at": UTC_NS, "trial_start": UTC_NS, "trial_end": UTC_NS, "cancel_at_period_end": BOOLEAN,
                     "application_fee_percent": FLOAT, "days_until_due": INT64, "items.data": OBJECT,
                     "items.has_more": BOOLEAN, "billing_thresholds.amount_gte": INT64,
                     "pending_update.expires_at": UTC_NS, "discounts": OBJECT},
    "product": {"id": STRING, "name": STRING, "active": BOOLEAN, "shippable": BOOLEAN, "created": UTC_NS,
                "updated": UTC_NS, "images": OBJECT, "package_dimensions.weight": FLOAT, "default_price": STRING},
    "plan": {"id": STRING, "amount": INT64, "amount_decimal": STRING, "currency": STRING, "interval": STRING,
             "interval_count": INT64, "trial_period_days": INT64, "active": BOOLEAN, "created": UTC_NS,
             "tiers": OBJECT, "product": STRING},
    "price": {"id": STRING, "unit_amount": INT64, "unit_amount_decimal": STRING, "currency": STRING,
              "recurring.interval": STRING, "recurring.interval_count": INT64, "recurring.trial_period_days": INT64,
              "active": BOOLEAN, "created": UTC_NS, "tiers": OBJECT, "custom_unit_amount.maximum": INT64},
    "balance_transaction": {"id": STRING, "amount": INT64, "fee": INT64, "net": INT64, "currency": STRING,
                            "available_on": UTC_NS, "created": UTC_NS, "exchange_rate": FLOAT,
                            "fee_details": OBJECT, "source": STRING, "type": STRING},
    "charge": {"id": STRING, "amount": INT64, "amount_captured": INT64, "amount_refunded": INT64,
               "application_fee_amount": INT64, "captured": BOOLEAN, "paid": BOOLEAN, "refunded": BOOLEAN,
               "created": UTC_NS, "currency": STRING, "customer": STRING, "billing_details.name": STRING,
               "payment_method_details": OBJECT, "refunds.data": OBJECT, "outcome.risk_score": INT64},
    "refund": {"id": STRING, "amount": INT64, "charge": STRING, "created": UTC_NS, "currency": STRING,
               "status": STRING, "reason": STRING},
    "invoice": {"id": STRING, "amount_due": INT64, "amount_paid": INT64, "amount_remaining": INT64,
                "total": INT64, "subtotal": INT64, "starting_balance": INT64, "ending_balance": INT64,
                "created": UTC_NS, "due_date": UTC_NS, "period_start": UTC_NS, "period_end": UTC_NS,
                "next_payment_attempt": UTC_NS, "status_transitions.paid_at": UTC_NS,
                "status_transitions.finalized_at": UTC_NS, "attempt_count": INT64, "attempted": BOOLEAN,
                "lines.data": OBJECT, "currency": STRING},
    "invoiceitem": {"id": STRING, "amount": INT64, "currency": STRING, "date": UTC_NS, "period.start": UTC_NS,
                    "period.end": UTC_NS, "quantity": INT64, "discountable": BOOLEAN},
    "line_item": {"id": STRING, "amount": INT64, "currency": STRING, "period.start": UTC_NS,
                  "period.end": UTC_NS, "quantity": INT64, "discountable": BOOLEAN, "discount_amounts": OBJECT,
                  "pricing.unit_amount_decimal": STRING},
    "payout": {"id": STRING, "amount": INT64, "arrival_date": UTC_NS, "automatic": BOOLEAN, "created": UTC_NS,
               "currency": STRING, "status": STRING, "method": STRING},
    "event": {"id": STRING, "created": UTC_NS, "type": STRING, "pending_webhooks": INT64, "livemode": BOOLEAN,
              "data.object": OBJECT, "request.id": STRING},
    "payment_intent": {"id": STRING, "amount": INT64, "amount_capturable": INT64, "amount_received": INT64,
                       "application_fee_amount": INT64, "canceled_at": UTC_NS, "created": UTC_NS,
                       "currency": STRING, "status": STRING, "customer": STRING},
    "subscription_item": {"id": STRING, "current_period_start": UTC_NS, "current_period_end": UTC_NS,
                          "quantity": INT64, "plan.amount": INT64, "price.unit_amount": INT64,
                          "plan.trial_period_days": INT64, "subscription": STRING},
    "test_helpers.test_clock": {"id": STRING, "frozen_time": UTC_NS, "deletes_after": UTC_NS, "created": UTC_NS},
    "account": {"id": STRING, "requirements.current_deadline": UTC_NS, "tos_acceptance.date": UTC_NS,
                "charges_enabled": BOOLEAN, "created": UTC_NS},
    "subscription_schedule": {"id": STRING, "current_phase.start_date": UTC_NS, "current_phase.end_date": UTC_NS,
                              "phases": OBJECT},
}


@pytest.mark.parametrize("object_type", sorted(EXPECTED))
def test_empty_frame_dtypes_spelled_out(object_type: str) -> None:
    df = to_frame([], object_type)
    assert {c: df[c].dtype for c in EXPECTED[object_type]} == EXPECTED[object_type]


@pytest.mark.parametrize(("parent", "column", "element"), [
    ("subscription", "items.data", "subscription_item"), ("invoice", "lines.data", "line_item"),
    ("charge", "refunds.data", "refund")])
def test_list_elements_have_the_dtypes_of_their_own_frames(parent: str, column: str, element: str) -> None:
    nested = to_frame([RESOURCES[parent]], parent).stripe.explode(column)
    own = to_frame([], element)
    assert {c: nested[c].dtype for c in own.columns} == {c: own[c].dtype for c in own.columns}


@pytest.mark.parametrize(("prefix", "object_type"), [("plan", "plan"), ("price", "price")])
def test_embedded_objects_have_the_dtypes_of_their_own_frames(prefix: str, object_type: str) -> None:
    items = to_frame([], "subscription_item")
    own = to_frame([], object_type)
    embedded = {c[len(prefix) + 1:]: items[c].dtype for c in items.columns if c.startswith(prefix + ".")}
    assert len(embedded) > 10
    assert embedded == {c: own[c].dtype for c in embedded}
