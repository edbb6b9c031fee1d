"""Frames from Stripe's own example objects (tests/fixtures/stripe, MIT): dtypes, flattening, streaming, df.stripe."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paragon_magic.errors import UsageError
from paragon_magic.frame_json import JSONDtype
from paragon_magic.frame_schema import column_order, schema_for
from paragon_magic.frames import FrameBuilder, attach_metadata, flatten_columns, to_frame

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe" / "objects.json").read_text())
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")
STRING = pd.StringDtype()
JSON = JSONDtype()  # nested lists and objects: Python values inside, JSON text when exported


def example(object_type: str, **changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(FIXTURES[object_type])
    obj.update(changes)
    return obj


def assert_dtypes(df: pd.DataFrame, expected: dict[str, Any]) -> None:
    actual = {c: df[c].dtype for c in expected}
    assert actual == expected


def customers() -> list[dict[str, Any]]:
    return [
        example("customer", id="cus_1", email="jenny@example.com", name="Jenny Rosen", balance=-500,
                address={"city": "Berlin", "country": "DE", "line1": "Main St 1", "line2": None,
                         "postal_code": "10115", "state": None},
                metadata={"tier": "gold", "crm_id": "42"}),
        example("customer", id="cus_2", address=None, balance=None, delinquent=None, metadata={"tier": "silver"}),
        example("customer", id="cus_3"),
    ]


def test_customers_columns_and_dtypes() -> None:
    df = to_frame(customers(), "customer")
    assert list(df.columns[:1]) == ["id"] and len(df) == 3
    assert_dtypes(df, {
        "id": STRING, "object": STRING, "email": STRING, "name": STRING, "description": STRING, "phone": STRING,
        "address.city": STRING, "address.country": STRING, "address.line2": STRING,
        "balance": pd.Int64Dtype(), "created": UTC_NS, "discount.start": UTC_NS, "discount.end": UTC_NS,
        "currency": STRING, "delinquent": pd.BooleanDtype(), "livemode": pd.BooleanDtype(),
        "next_invoice_sequence": pd.Int64Dtype(), "preferred_locales": JSON,
        "metadata.tier": STRING, "metadata.crm_id": STRING, "invoice_settings.default_payment_method": STRING,
        "tax_exempt": STRING,
    })
    assert "address" not in df.columns and "metadata" not in df.columns and "shipping" not in df.columns
    assert df["address.city"].tolist()[0] == "Berlin" and df["address.city"].isna().tolist() == [False, True, True]
    assert df["balance"].tolist()[:1] == [-500] and df["balance"].isna().tolist() == [False, True, False]
    assert df["metadata.tier"].tolist() == ["gold", "silver", pd.NA]
    assert df["metadata.crm_id"].isna().tolist() == [False, True, True]
    assert df.loc[0, "created"] == pd.Timestamp("2009-02-13 23:31:30", tz="UTC")
    assert df.loc[0, "discount.start"] == pd.Timestamp(109757538, unit="s", tz="UTC")
    assert df["preferred_locales"].tolist() == [[], [], []]
    assert df.attrs["stripe"]["object_type"] == "customer"


def test_subscriptions_keep_item_lists_and_convert_timestamps() -> None:
    live = example("subscription", id="sub_1", canceled_at=None, ended_at=None, cancel_at=None,
                   metadata={"source": "web"}, billing_thresholds={"amount_gte": 10000,
                                                                   "reset_billing_cycle_anchor": None})
    df = to_frame([FIXTURES["subscription"], live], "subscription")
    assert_dtypes(df, {
        "id": STRING, "customer": STRING, "status": STRING, "currency": STRING, "collection_method": STRING,
        "created": UTC_NS, "start_date": UTC_NS, "billing_cycle_anchor": UTC_NS, "cancel_at": UTC_NS,
        "canceled_at": UTC_NS, "ended_at": UTC_NS, "trial_start": UTC_NS, "trial_end": UTC_NS,
        "pending_update.expires_at": UTC_NS, "cancel_at_period_end": pd.BooleanDtype(), "livemode": pd.BooleanDtype(),
        "days_until_due": pd.Int64Dtype(), "application_fee_percent": np.dtype("float64"),
        "items.data": JSON, "items.has_more": pd.BooleanDtype(), "items.url": STRING,
        "billing_cycle_anchor_config.day_of_month": pd.Int64Dtype(),  # an int by name, not a timestamp
        "billing_thresholds.amount_gte": pd.Int64Dtype(), "metadata.source": STRING,
    })
    items = df.loc[0, "items.data"]
    assert isinstance(items, list) and items[0]["price"]["unit_amount"] == 2000
    assert df["canceled_at"].isna().tolist() == [False, True]
    assert df["items.data"].map(len).tolist() == [1, 1]


def test_products_nullable_flags_and_lists() -> None:
    df = to_frame([example("product", id="prod_1", shippable=True, images=["https://x/1.png"]),
                   FIXTURES["product"]], "product")
    assert_dtypes(df, {"id": STRING, "active": pd.BooleanDtype(), "shippable": pd.BooleanDtype(),
                       "images": JSON, "created": UTC_NS, "updated": UTC_NS, "type": STRING,
                       "package_dimensions.height": np.dtype("float64"), "url": STRING})  # Stripe: a float
    assert df["shippable"].tolist() == [True, pd.NA]
    assert df.loc[0, "images"] == ["https://x/1.png"]


def test_plans_null_amount_is_int64_na() -> None:
    tiered = FIXTURES["subscription"]["items"]["data"][0]["plan"]  # amount null, metadata null
    df = to_frame([FIXTURES["plan"], tiered], "plan")
    assert_dtypes(df, {"id": STRING, "amount": pd.Int64Dtype(), "amount_decimal": STRING, "active": pd.BooleanDtype(),
                       "interval_count": pd.Int64Dtype(), "trial_period_days": pd.Int64Dtype(), "created": UTC_NS,
                       "product": STRING, "currency": STRING})
    assert df["amount"].tolist()[0] == 2000 and df["amount"].isna().tolist() == [False, True]
    assert df["trial_period_days"].isna().all()


def test_balance_transactions_amounts_are_exact_int64() -> None:
    big = 2**53 + 1  # not representable as float64: must survive exactly
    rows = [example("balance_transaction", id="txn_1", amount=big, fee=30, net=big - 30, exchange_rate=1.0827),
            example("balance_transaction", id="txn_2", currency="jpy", amount=500, fee=0, net=500,
                    fee_details=[{"amount": 0, "currency": "jpy", "type": "stripe_fee"}]),
            example("balance_transaction", id="txn_3", amount=None)]
    df = to_frame(rows, "balance_transaction")
    assert_dtypes(df, {"id": STRING, "amount": pd.Int64Dtype(), "fee": pd.Int64Dtype(), "net": pd.Int64Dtype(),
                       "available_on": UTC_NS, "created": UTC_NS, "exchange_rate": np.dtype("float64"),
                       "fee_details": JSON, "type": STRING, "status": STRING, "source": STRING})
    assert df.loc[0, "amount"] == big and df.loc[0, "net"] == big - 30
    assert df["amount"].isna().tolist() == [False, False, True]
    assert df["exchange_rate"].isna().tolist() == [False, True, True]
    assert "livemode" not in df.columns


def test_empty_customers_dtypes_spelled_out() -> None:
    df = FrameBuilder("customer").build()
    assert_dtypes(df, {"id": STRING, "created": UTC_NS, "balance": pd.Int64Dtype(), "address.city": STRING,
                       "livemode": pd.BooleanDtype(), "delinquent": pd.BooleanDtype()})


def test_missing_schema_columns_are_added_with_their_dtype() -> None:
    bare = {"id": "cus_9", "object": "customer", "created": 1700000000}
    df = to_frame([bare], "customer")
    assert set(schema_for("customer").columns) <= set(df.columns)
    assert df["email"].dtype == STRING and df["email"].isna().all()
    assert df["livemode"].dtype == pd.BooleanDtype() and df["balance"].dtype == pd.Int64Dtype()


def test_streaming_pages_equal_one_shot_and_handle_late_columns() -> None:
    first = [example("customer", id=f"cus_{i}", address=None, metadata={}) for i in range(3)]
    second = [example("customer", id="cus_x", metadata={"late": "yes"},
                      address={"city": "Paris", "country": "FR", "line1": None, "line2": None,
                               "postal_code": None, "state": None})]
    builder = FrameBuilder("customer")
    builder.add_page(first)
    builder.add_page([])
    builder.add_page(second)
    assert builder.rows == 4
    streamed = builder.build()
    pd.testing.assert_frame_equal(streamed, to_frame(first + second, "customer"))
    assert streamed["metadata.late"].tolist() == [pd.NA, pd.NA, pd.NA, "yes"]
    assert streamed["address.city"].tolist() == [pd.NA, pd.NA, pd.NA, "Paris"]
    assert "address" not in streamed.columns
    assert builder.build().shape == streamed.shape  # build() does not consume


def test_mixed_key_sets_take_the_slow_path_correctly() -> None:
    objs = [{"id": "a", "x": 1}, {"id": "b", "y": "z"}, {"x": 2, "id": "c"}]
    columns = flatten_columns(objs)
    assert {k: list(v) for k, v in columns.items()} == {"id": ["a", "b", "c"], "x": [1, None, 2],
                                                         "y": [None, "z", None]}
    df = to_frame(objs)
    assert df["x"].dtype == pd.Int64Dtype() and df["y"].dtype == STRING


def test_type_taken_from_the_objects_and_large_nested_objects_stay_whole() -> None:
    charge = FIXTURES["charge"]
    df = to_frame([charge], None)
    assert df.attrs["stripe"]["object_type"] == "charge"  # taken from the objects
    assert_dtypes(df, {"amount": pd.Int64Dtype(), "amount_captured": pd.Int64Dtype(),
                       "amount_refunded": pd.Int64Dtype(), "created": UTC_NS, "captured": pd.BooleanDtype(),
                       "payment_method_details": JSON, "refunds.data": JSON,
                       "billing_details.name": STRING, "application_fee_amount": pd.Int64Dtype()})
    # one sub-object per payment method (~50): one column of dicts, not hundreds of mostly empty columns
    assert df.loc[0, "payment_method_details"]["card"]["exp_month"] == 8


def test_unknown_type_falls_back_to_names_and_values() -> None:
    thing = {"id": "thing_1", "object": "thing", "amount": 5, "application_fee_amount": None, "flag": True,
             "card": {"exp_month": 8, "brand": "visa"}}
    df = to_frame([thing], None)
    assert_dtypes(df, {"amount": pd.Int64Dtype(), "flag": np.dtype(bool), "card.exp_month": pd.Int64Dtype(),
                       "card.brand": STRING})
    assert df["application_fee_amount"].dtype == JSON  # all null, unknown: no guess


def test_timestamps_come_from_names_never_from_values() -> None:
    df = to_frame([{"id": "x_1", "object": "thing", "expires_at": 1700000000, "count": 1700000000,
                    "paid_at": "yesterday", "created": 1700000000, "huge_at": 10**15}])
    assert df["expires_at"].dtype == UTC_NS and df["created"].dtype == UTC_NS
    assert df["count"].dtype == pd.Int64Dtype()
    assert df["paid_at"].dtype == STRING
    assert df["huge_at"].dtype == pd.Int64Dtype()


def test_to_major_uses_each_rows_currency() -> None:
    rows = [example("balance_transaction", id="t_usd", currency="usd", amount=1999, fee=59, net=1940),
            example("balance_transaction", id="t_jpy", currency="jpy", amount=500, fee=18, net=482),
            example("balance_transaction", id="t_kwd", currency="kwd", amount=1500, fee=0, net=1500),
            example("balance_transaction", id="t_na", currency="usd", amount=None, fee=0, net=None)]
    df = to_frame(rows, "balance_transaction")
    major = df.stripe.to_major()
    assert major["amount"].dtype == np.dtype("float64")
    assert major["amount"].tolist()[:3] == [19.99, 500.0, 1.5]
    assert np.isnan(major.loc[3, "amount"]) and major.loc[3, "fee"] == 0.0
    assert major["net"].tolist()[:3] == [19.40, 482.0, 1.5]
    assert df["amount"].tolist()[:3] == [1999, 500, 1500]  # the original is untouched
    exact = df.stripe.to_major(exact=True)
    assert exact["amount"].tolist() == [Decimal("19.99"), Decimal("500"), Decimal("1.500"), None]
    assert exact["fee"].tolist()[1] == Decimal(18)
    assert df.stripe.amount_columns() == ["amount", "fee", "net"]


def test_to_major_nested_amount_uses_nearest_currency() -> None:
    df = to_frame([{"id": "a", "currency": "usd", "annual": {"amount": 1000, "currency": "jpy"}, "amount": 250}])
    major = df.stripe.to_major()
    assert major.loc[0, "annual.amount"] == 1000.0 and major.loc[0, "amount"] == 2.5
    with pytest.raises(UsageError, match="no 'currency' column"):
        to_frame([{"id": "a", "amount": 5}]).stripe.to_major()


def test_raw_objects_follow_rows_by_id() -> None:
    objs = customers()
    df = to_frame(objs, "customer", keep_raw=True)
    assert df.stripe.raw == objs
    subset = df[df["id"] != "cus_2"].sort_values("id", ascending=False).reset_index(drop=True)
    assert [o["id"] for o in subset.stripe.raw] == ["cus_3", "cus_1"]
    assert subset.stripe.raw[1] is objs[0]  # the objects themselves, not copies
    with pytest.raises(UsageError, match="keep_raw=True"):
        _ = to_frame(objs, "customer").stripe.raw


def test_raw_is_not_copied_by_pandas_operations() -> None:
    df = to_frame(customers(), "customer", keep_raw=True)
    assert df.head(2).attrs["stripe_raw"] is df.attrs["stripe_raw"]


def test_attach_metadata_masks_secrets_and_feeds_the_accessor() -> None:
    df = to_frame(customers(), "customer")
    attach_metadata(df, "list_customers",
                    {"email": "jenny@example.com", "api_key": "sk_test_abcdefgh1234",
                     "nested": {"key": "rk_live_zzzzzzzz9876"}, "created": {"gte": 1}},
                    ["req_1", "req_2", None], livemode=False, complete=True)  # type: ignore[list-item]
    meta = df.attrs["stripe"]
    assert meta["action"] == "list_customers" and meta["object_type"] == "customer"
    assert meta["params"] == {"email": "jenny@example.com", "api_key": "sk_test_…1234",
                              "nested": {"key": "rk_live_…9876"}, "created": {"gte": 1}}
    assert "abcdefgh" not in repr(df.attrs) and "zzzzzzzz" not in repr(df.attrs)
    assert meta["livemode"] is False and meta["complete"] is True
    fetched = pd.Timestamp(meta["fetched_at"])
    assert fetched.tz is not None and abs(pd.Timestamp.now(tz="UTC") - fetched) < pd.Timedelta(minutes=5)
    assert df.stripe.request_ids == ["req_1", "req_2"] and df.stripe.complete is True
    filtered = df[df["id"] == "cus_1"]
    assert filtered.stripe.request_ids == ["req_1", "req_2"]


def test_accessor_without_metadata_is_empty_not_an_error() -> None:
    df = pd.DataFrame({"a": [1]})
    assert df.stripe.request_ids == [] and df.stripe.complete is None and df.stripe.meta == {}


def test_to_frame_consumes_generators_in_chunks() -> None:
    def generate():
        for i in range(2500):
            yield {"id": f"cus_{i}", "object": "customer", "created": 1700000000 + i, "balance": i}
    df = to_frame(generate(), "customer")
    assert len(df) == 2500 and df["balance"].sum() == sum(range(2500))
    assert df["created"].is_monotonic_increasing


def test_mixed_shapes_and_huge_integers_stay_objects() -> None:
    df = to_frame([{"id": "a", "customer": "cus_1", "n": 2**70}, {"id": "b", "customer": {"id": "cus_2"}, "n": 1}])
    assert df["customer"].dtype == JSON and df.loc[1, "customer"] == {"id": "cus_2"}
    assert df["n"].dtype == JSON and df.loc[0, "n"] == 2**70


def test_a_field_the_model_calls_scalar_stays_one_column_whichever_value_comes_first() -> None:
    odd = {"note": "not a string"}  # the model says a customer's description is text
    for first in (None, "plain"):
        df = to_frame([{"id": "cus_1", "description": first}, {"id": "cus_2", "description": odd}], "customer")
        assert df.loc[1, "description"] == odd and df.loc[0, "description"] == first
        assert not [c for c in df.columns if c.startswith("description.")]


# --- property: any page split gives the same frame, and every cell is the object's own value -------------

SCALARS = {"count": st.integers(-10**12, 10**12), "label": st.text(max_size=5), "flag": st.booleans(),
           "ratio": st.floats(allow_nan=False, allow_infinity=False), "created": st.integers(0, 2 * 10**9)}


@st.composite
def stripe_like(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": draw(st.text(min_size=1, max_size=8))}
    for key, strategy in SCALARS.items():
        present = draw(st.sampled_from(["value", "null", "absent"]))
        if present != "absent":
            obj[key] = draw(strategy) if present == "value" else None
    obj["metadata"] = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.text(max_size=3), max_size=3))
    obj["address"] = draw(st.none() | st.fixed_dictionaries(
        {"city": st.none() | st.text(max_size=4), "line1": st.none() | st.text(max_size=4)}))
    obj["tags"] = draw(st.lists(st.integers(0, 3), max_size=2))
    return obj


def reference_flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(reference_flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return int(value.timestamp())
    if value is None or (not isinstance(value, list) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(stripe_like(), max_size=12), st.lists(st.integers(1, 5), max_size=6))
def test_any_page_split_matches_one_shot_and_the_objects(objects: list[dict[str, Any]], cuts: list[int]) -> None:
    whole = to_frame(objects, "thing")
    builder = FrameBuilder("thing")
    start = 0
    for size in cuts + [len(objects)]:
        builder.add_page(objects[start:start + size])
        start += size
    pd.testing.assert_frame_equal(builder.build(), whole)
    assert len(whole) == len(objects)
    for row, obj in enumerate(objects):
        flat = reference_flatten(obj)
        for column, value in flat.items():
            if value is None and column not in whole.columns:
                continue  # an all-null parent dropped in favour of its children
            assert cell(whole.loc[row, column]) == value, (row, column)
        for column in whole.columns:
            if column not in flat and not any(k.startswith(column + ".") for k in flat):
                assert cell(whole.loc[row, column]) is None, (row, column)
    if objects and "created" in whole.columns and whole["created"].notna().any():
        assert whole["created"].dtype == UTC_NS


def test_headline_columns_lead_so_wide_frames_show_them() -> None:
    customer = example("customer")
    df = to_frame([customer], "customer")
    assert list(df.columns[:5]) == ["id", "name", "email", "description", "created"]
    rest = list(df.columns[5:])
    assert rest == sorted(rest)
    assert column_order(["b", "a", "id", "zz"], None) == ["id", "a", "b", "zz"]


def test_absorb_moves_rows_as_if_their_pages_were_added_in_order() -> None:
    objects = customers()
    first, second = FrameBuilder("customer"), FrameBuilder("customer")
    first.add_page(objects[:2])
    second.add_page([example("customer", id="cus_extra", metadata={"only": "here"})] + objects[2:])
    merged = FrameBuilder("customer")
    merged.absorb(first)
    merged.absorb(second, take=1)
    expected = FrameBuilder("customer")
    expected.add_page(objects[:2] + [example("customer", id="cus_extra", metadata={"only": "here"})])
    pd.testing.assert_frame_equal(merged.build(), expected.build())
    assert first.rows == 0 and second.rows == 0


def test_build_with_release_gives_the_same_frame_and_empties_the_builder() -> None:
    kept, released = FrameBuilder("customer", keep_raw=True), FrameBuilder("customer", keep_raw=True)
    for builder in (kept, released):
        builder.add_page(customers())
    pd.testing.assert_frame_equal(released.build(release=True), kept.build())
    assert released.rows == 0 and kept.rows == len(customers())


def test_invoice_money_and_dates_by_name_and_far_future_timestamps_stay_numbers() -> None:
    invoice = {"id": "in_1", "object": "invoice", "currency": "usd", "amount_due": 1999, "total": 1999,
               "subtotal": 1999, "starting_balance": -500, "ending_balance": 0, "total_excluding_tax": 1999,
               "due_date": 1_767_225_600, "next_payment_attempt": None, "lines": {"total_count": 3},
               "cancel_at": 20_000_000_000}
    df = to_frame([invoice], "invoice")
    assert str(df["due_date"].dtype) == "datetime64[ns, UTC]" and df["due_date"][0] == pd.Timestamp("2026-01-01", tz="UTC")
    assert df["lines.total_count"][0] == 3 and "lines.total_count" not in df.stripe.amount_columns()
    major = df.stripe.to_major()
    assert {c: major[c][0] for c in ("amount_due", "total", "subtotal", "starting_balance", "total_excluding_tax")} == {
        "amount_due": 19.99, "total": 19.99, "subtotal": 19.99, "starting_balance": -5.0, "total_excluding_tax": 19.99}
    assert df["cancel_at"].dtype == "Int64" and df["cancel_at"][0] == 20_000_000_000  # past 2262: not a datetime
