"""df.stripe.explode (nested lists as typed frames) and df.stripe.to_major(currency=...) after merges."""

from __future__ import annotations

import copy
import json
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from paragon_magic.accessor import CurrencyPairingWarning
from paragon_magic.errors import UsageError
from paragon_magic.frames import to_frame

RESOURCES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "stripe" / "fixtures3.json").read_text())["resources"]
UTC_NS = pd.DatetimeTZDtype("ns", "UTC")
STRING, INT64 = pd.StringDtype(), pd.Int64Dtype()


def resource(name: str, **changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(RESOURCES[name])
    obj.update(changes)
    return obj


def subscriptions() -> list[dict[str, Any]]:
    first = resource("subscription", id="sub_1")
    item = first["items"]["data"][0]
    second_item = copy.deepcopy(item)
    second_item.update(id="si_2", quantity=3, current_period_start=1_767_225_600, current_period_end=1_769_904_000)
    first["items"]["data"] = [item, second_item]
    empty = resource("subscription", id="sub_2")
    empty["items"] = {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": "/v1/x"}
    missing = resource("subscription", id="sub_3")
    del missing["items"]
    return [first, empty, missing]


def test_subscription_items_become_typed_rows_with_the_parent_id_first() -> None:
    subs = to_frame(subscriptions(), "subscription")
    items = subs.stripe.explode("items.data")
    assert list(items.columns[:2]) == ["parent_id", "id"]
    assert items["parent_id"].tolist() == ["sub_1", "sub_1"] and items["id"].tolist()[1] == "si_2"
    assert items["current_period_start"].dtype == UTC_NS and items["current_period_end"].dtype == UTC_NS
    assert items.loc[1, "current_period_start"] == pd.Timestamp("2026-01-01", tz="UTC")
    assert items["quantity"].dtype == INT64 and items["quantity"].tolist()[1] == 3
    assert items["price.unit_amount"].dtype == INT64 and items["plan.trial_period_days"].dtype == INT64
    assert items.attrs["stripe"]["object_type"] == "subscription_item"
    assert items.attrs["stripe"]["parent"] == {"object_type": "subscription", "column": "items.data"}


def test_no_elements_give_a_typed_empty_frame() -> None:
    subs = to_frame(subscriptions()[1:], "subscription")
    items = subs.stripe.explode("items.data")
    full = to_frame(subscriptions()[:1], "subscription").stripe.explode("items.data")
    assert len(items) == 0 and list(items.columns) == list(full.columns)
    assert {c: items[c].dtype for c in items} == {c: full[c].dtype for c in full}
    nothing = to_frame([], "subscription").stripe.explode("items.data")
    assert len(nothing) == 0 and nothing["current_period_end"].dtype == UTC_NS


def test_fee_details_tiers_lines_and_refunds() -> None:
    txn = resource("balance_transaction", id="txn_1", fee_details=[
        {"amount": 30, "application": None, "currency": "usd", "description": "Stripe fee", "type": "stripe_fee"},
        {"amount": 5, "application": None, "currency": "usd", "description": "Tax", "type": "tax"}])
    fees = to_frame([txn, resource("balance_transaction", id="txn_2", fee_details=[])],
                    "balance_transaction").stripe.explode("fee_details")
    assert fees["parent_id"].tolist() == ["txn_1", "txn_1"] and fees["amount"].dtype == INT64
    assert fees["amount"].sum() == 35 and fees["type"].dtype == STRING

    tiered = resource("plan", id="plan_t", tiers=[{"flat_amount": None, "flat_amount_decimal": None,
                                                   "unit_amount": 1000, "unit_amount_decimal": "1000.5",
                                                   "up_to": 10},
                                                  {"flat_amount": 500, "flat_amount_decimal": "500",
                                                   "unit_amount": 800, "unit_amount_decimal": "800", "up_to": None}])
    tiers = to_frame([tiered], "plan").stripe.explode("tiers")
    assert tiers["unit_amount"].dtype == INT64 and tiers["up_to"].tolist() == [10, pd.NA]
    assert tiers["unit_amount_decimal"].dtype == STRING and tiers["unit_amount_decimal"][0] == "1000.5"  # exact

    lines = to_frame([RESOURCES["invoice"]], "invoice").stripe.explode("lines.data")
    assert lines["period.start"].dtype == UTC_NS and lines["amount"].dtype == INT64
    assert lines.attrs["stripe"]["object_type"] == "line_item"

    refunds = to_frame([RESOURCES["charge"]], "charge").stripe.explode("refunds.data")
    assert refunds["created"].dtype == UTC_NS and refunds.attrs["stripe"]["object_type"] == "refund"


def test_discounts_ids_or_expanded_and_scalar_lists() -> None:
    discount = resource("discount")
    sub = resource("subscription", id="sub_1", discounts=["di_1", discount])
    discounts = to_frame([sub], "subscription").stripe.explode("discounts")
    assert discounts["id"].tolist() == ["di_1", discount["id"]]
    assert discounts["start"].dtype == UTC_NS and discounts["start"].isna().tolist() == [True, False]

    customer = resource("customer", id="cus_1", preferred_locales=["de", "en"])
    locales = to_frame([customer], "customer").stripe.explode("preferred_locales")
    assert locales.columns.tolist() == ["parent_id", "value"] and locales["value"].tolist() == ["de", "en"]
    assert locales["value"].dtype == STRING


def test_an_object_column_kept_whole_explodes_to_its_fields() -> None:
    charges = to_frame([RESOURCES["charge"]], "charge")
    details = charges.stripe.explode("payment_method_details")
    assert details["parent_id"].tolist() == [RESOURCES["charge"]["id"]]
    assert details["type"].tolist() == ["card"]
    card = details.stripe.explode("card")
    assert card["exp_year"].dtype == INT64


def test_unknown_column_suggests_the_list_column() -> None:
    subs = to_frame(subscriptions(), "subscription")
    with pytest.raises(UsageError, match=r"no column 'items'.*did you mean 'items.data'"):
        subs.stripe.explode("items")
    with pytest.raises(UsageError, match=r"did you mean 'discounts'"):
        subs.stripe.explode("discount")
    with pytest.raises(UsageError, match="not lists or objects"):
        subs.stripe.explode("status")


# --- to_major ------------------------------------------------------------------------------------------


def plans_and_subscriptions() -> tuple[pd.DataFrame, pd.DataFrame]:
    plans = to_frame([resource("plan", id="plan_jpy", amount=500, currency="jpy"),
                      resource("plan", id="plan_kwd", amount=1500, currency="kwd")], "plan")
    subs = pd.DataFrame({"id": ["sub_1", "sub_2", "sub_3"], "plan": ["plan_jpy", "plan_kwd", "plan_none"],
                         "currency": pd.array(["usd", "usd", "usd"], dtype="string"),
                         "balance": pd.array([1999, 0, -250], dtype="Int64")})
    return plans, subs


def test_merge_suffix_pairs_amount_plan_with_currency_plan() -> None:
    plans, subs = plans_and_subscriptions()
    plans = plans.assign(balance=pd.array([7, 7], dtype="Int64"))  # so both sides have amounts
    merged = subs.merge(plans[["id", "amount", "currency", "balance"]], left_on="plan", right_on="id",
                        how="left", suffixes=("", "_plan"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        major = merged.stripe.to_major()
    assert major["balance_plan"].tolist()[:2] == [7.0, 0.007]  # JPY has no decimals, KWD three
    assert major["balance"].tolist() == [19.99, 0.0, -2.5]
    messages = [str(w.message) for w in caught if issubclass(w.category, CurrencyPairingWarning)]
    assert any("'amount'" in m and "'currency_plan'" in m for m in messages)  # `amount` kept its name
    assert any("'balance' is paired with 'currency'" in m for m in messages)  # whose balance? it says so
    assert not any("'balance_plan'" in m for m in messages)  # suffix pairing is certain; a NaN row has no amount


def test_currency_argument_column_code_or_mapping() -> None:
    plans, subs = plans_and_subscriptions()
    merged = subs.merge(plans[["id", "amount", "currency"]], left_on="plan", right_on="id", how="left",
                        suffixes=("", "_plan"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CurrencyPairingWarning)
        major = merged.stripe.to_major({"amount": "currency_plan", "balance": "currency"})
    assert major["amount"].tolist()[:2] == [500.0, 1.5] and np.isnan(major["amount"][2])
    assert major["balance"].tolist() == [19.99, 0.0, -2.5]
    assert merged.stripe.to_major(currency="jpy")["balance"].tolist() == [1999.0, 0.0, -250.0]
    with pytest.warns(CurrencyPairingWarning, match=r"1 row\(s\) of 'balance'.*'currency_plan'"):
        exact = merged.stripe.to_major(currency="currency_plan", exact=True)  # sub_3 has no plan
    assert exact["amount"].tolist() == [Decimal("500"), Decimal("1.500"), None]
    with pytest.raises(UsageError, match="neither a column"):
        merged.stripe.to_major(currency="dollars")
    with pytest.raises(UsageError, match="not an amount column"):
        merged.stripe.to_major({"plan": "currency"})


def test_a_missing_currency_warns_and_names_the_column() -> None:
    df = to_frame([{"id": "a", "amount": 100, "currency": "usd"}, {"id": "b", "amount": 100, "currency": None}])
    with pytest.warns(CurrencyPairingWarning, match=r"1 row\(s\) of 'amount'.*'currency'"):
        major = df.stripe.to_major()
    assert major["amount"][0] == 1.0 and np.isnan(major["amount"][1])
