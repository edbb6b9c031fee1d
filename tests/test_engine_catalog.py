"""The engine's catalog (products, prices, plans, coupons, tax rates), driven through ``Engine.handle``.

Checks Stripe's rules from stripe-python 16.1's params docstrings: a recurring price is its plan (same
id, both events), price validation (currency, amounts, interval limits, usage type), coupon durations,
and that every refused request (4xx) leaves the engine exactly as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import call, refused

from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.front.errors import StripeErrorResponse

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z


@pytest.fixture
def engine() -> Engine:
    return Engine(wall=lambda: NOW)




def types(engine: Engine) -> list[str]:
    return [event["type"] for event in engine.collection("event")]


def monthly(engine: Engine, product: str, amount: int = 2000, **extra: Any) -> dict[str, Any]:
    return call(engine, "POST", "/v1/prices", {"product": product, "unit_amount": amount, "currency": "usd",
                                                "recurring": {"interval": "month"}, **extra})  # fmt: skip


# -- products --------------------------------------------------------------------------------------
def test_product_lifecycle_with_events(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro", "metadata": {"tier": "pro", "x": "1"},
                                                      "statement_descriptor": "PRO PLAN"})  # fmt: skip
    assert product["id"].startswith("prod_") and product["object"] == "product"
    assert (product["active"], product["type"], product["created"], product["updated"]) == (True, "service", NOW, NOW)
    assert call(engine, "GET", f"/v1/products/{product['id']}") == product
    updated = call(engine, "POST", f"/v1/products/{product['id']}", {"name": "Pro+", "metadata": {"x": ""}})
    assert (updated["name"], updated["metadata"]) == ("Pro+", {"tier": "pro"})
    event = engine.collection("event")[-1]
    assert event["type"] == "product.updated"
    assert event["data"]["previous_attributes"] == {"name": "Pro", "metadata": {"x": "1"}}
    assert call(engine, "DELETE", f"/v1/products/{product['id']}") == {"id": product["id"], "object": "product", "deleted": True}  # fmt: skip
    assert types(engine) == ["product.created", "product.updated", "product.deleted"]
    assert refused(engine, "GET", f"/v1/products/{product['id']}", status=404).code == "resource_missing"


def test_default_price_data_creates_the_default_price(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Team", "default_price_data": {
        "currency": "eur", "unit_amount": 4900, "recurring": {"interval": "year"}}})  # fmt: skip
    price = call(engine, "GET", f"/v1/prices/{product['default_price']}")
    assert (price["product"], price["currency"], price["unit_amount"], price["recurring"]["interval"]) == (
        product["id"], "eur", 4900, "year")
    assert types(engine) == ["product.created", "price.created", "plan.created"]
    assert engine.collection("event")[0]["data"]["object"]["default_price"] == price["id"]
    # a bad default price creates no product either
    error = refused(engine, "POST", "/v1/products", {"name": "X", "default_price_data": {"currency": "usd"}})
    assert (error.code, error.param) == ("parameter_missing", "default_price_data[unit_amount]")
    error = refused(engine, "POST", "/v1/products", {"name": "X", "default_price_data": {
        "currency": "usd", "unit_amount": 100, "recurring": {"interval": "fortnight"}}})  # fmt: skip
    assert error.param == "default_price_data[recurring][interval]"


def test_default_price_must_belong_to_the_product_and_stay_active(engine: Engine) -> None:
    one = call(engine, "POST", "/v1/products", {"name": "One"})["id"]
    two = call(engine, "POST", "/v1/products", {"name": "Two"})["id"]
    price = monthly(engine, one)
    assert refused(engine, "POST", f"/v1/products/{two}", {"default_price": price["id"]}).param == "default_price"
    assert refused(engine, "POST", f"/v1/products/{one}", {"default_price": "price_nope"}, 404).param == "default_price"
    assert call(engine, "POST", f"/v1/products/{one}", {"default_price": price["id"]})["default_price"] == price["id"]
    assert refused(engine, "POST", f"/v1/prices/{price['id']}", {"active": False}).param == "active"
    assert refused(engine, "DELETE", f"/v1/products/{one}").param == "id"  # it has prices
    call(engine, "DELETE", f"/v1/products/{two}")


def test_product_validation(engine: Engine) -> None:
    assert refused(engine, "POST", "/v1/products", {}).param == "name"
    assert refused(engine, "POST", "/v1/products", {"name": "A", "type": "digital"}).param == "type"
    assert refused(engine, "POST", "/v1/products", {"name": "A", "statement_descriptor": "x" * 23}).param == "statement_descriptor"  # fmt: skip
    assert refused(engine, "POST", "/v1/products", {"name": "A", "images": [f"https://x/{i}" for i in range(9)]}).param == "images"  # fmt: skip
    assert refused(engine, "POST", "/v1/products", {"name": "A", "metadata": {"k" * 41: "v"}}).param.startswith("metadata[")  # fmt: skip
    call(engine, "POST", "/v1/products", {"name": "A", "id": "prod_custom"})
    assert refused(engine, "POST", "/v1/products", {"name": "B", "id": "prod_custom"}).code == "resource_already_exists"


# -- prices and plans ------------------------------------------------------------------------------
def test_recurring_price_is_a_plan_with_the_same_id(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    price = monthly(engine, product, 2500, nickname="Pro monthly", recurring={"interval": "month", "interval_count": 3})
    plan = call(engine, "GET", f"/v1/plans/{price['id']}")
    assert (plan["object"], plan["id"], plan["amount"], plan["amount_decimal"], plan["interval"],
            plan["interval_count"], plan["product"], plan["nickname"]) == (
        "plan", price["id"], 2500, "2500", "month", 3, product, "Pro monthly")  # fmt: skip
    assert [p["id"] for p in engine.collection("plan")] == [price["id"]]
    assert types(engine)[-2:] == ["price.created", "plan.created"]
    assert engine.collection("event")[-1]["data"]["object"] == plan
    # a plan created as a plan is a price too, with an inline product
    made = call(engine, "POST", "/v1/plans", {"id": "gold-yearly", "amount": 9900, "currency": "EUR",
                                                "interval": "year", "product": {"name": "Gold"}})  # fmt: skip
    as_price = call(engine, "GET", "/v1/prices/gold-yearly")
    assert (as_price["type"], as_price["unit_amount"], as_price["currency"], as_price["recurring"]["interval"]) == (
        "recurring", 9900, "eur", "year")
    assert call(engine, "GET", f"/v1/products/{made['product']}")["name"] == "Gold"
    assert [p["id"] for p in engine.collection("plan")] == [price["id"], "gold-yearly"]
    assert refused(engine, "POST", "/v1/plans", {"id": "gold-yearly", "amount": 1, "currency": "usd", "interval": "day",
                                                 "product": product}).code == "resource_already_exists"  # fmt: skip
    # one-time prices are no plans
    once = call(engine, "POST", "/v1/prices", {"product": product, "unit_amount": 500, "currency": "usd"})
    assert once["type"] == "one_time" and once["recurring"] is None
    assert refused(engine, "GET", f"/v1/plans/{once['id']}", status=404).code == "resource_missing"
    assert len(engine.collection("plan")) == 2


def test_updating_a_price_updates_its_plan(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    price = monthly(engine, product, metadata={"a": "1"})
    call(engine, "POST", f"/v1/prices/{price['id']}", {"nickname": "Monthly", "metadata": {"b": "2"}, "active": False})
    price_event, plan_event = engine.collection("event")[-2:]
    assert (price_event["type"], plan_event["type"]) == ("price.updated", "plan.updated")
    assert price_event["data"]["previous_attributes"] == {"nickname": None, "metadata": {"b": None}, "active": True}
    assert plan_event["data"]["previous_attributes"] == {"nickname": None, "metadata": {"b": None}, "active": True}
    plan = call(engine, "GET", f"/v1/plans/{price['id']}")
    assert (plan["active"], plan["nickname"], plan["metadata"]) == (False, "Monthly", {"a": "1", "b": "2"})
    call(engine, "POST", f"/v1/plans/{price['id']}", {"active": True, "trial_period_days": 14})
    assert call(engine, "GET", f"/v1/prices/{price['id']}")["recurring"]["trial_period_days"] == 14
    count = len(engine.collection("event"))
    call(engine, "POST", f"/v1/prices/{price['id']}", {"nickname": "Monthly"})  # no change: no event
    assert len(engine.collection("event")) == count
    other = call(engine, "POST", "/v1/products", {"name": "Other"})["id"]
    assert call(engine, "POST", f"/v1/plans/{price['id']}", {"product": other})["product"] == other
    engine.create("subscription_item", "si_", subscription="sub_1", price=price["id"])  # billing's, made directly
    assert refused(engine, "POST", f"/v1/plans/{price['id']}", {"product": product}).param == "product"


def test_deleting_a_plan_deletes_its_price(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Legacy", "default_price_data": {
        "currency": "usd", "unit_amount": 100, "recurring": {"interval": "month"}}})  # fmt: skip
    old = monthly(engine, product["id"], 900)
    assert refused(engine, "DELETE", f"/v1/plans/{product['default_price']}").param == "id"  # the default price
    assert call(engine, "DELETE", f"/v1/plans/{old['id']}") == {"id": old["id"], "object": "plan", "deleted": True}
    assert types(engine)[-2:] == ["plan.deleted", "price.deleted"]
    assert refused(engine, "GET", f"/v1/prices/{old['id']}", status=404).code == "resource_missing"
    assert [p["id"] for p in engine.collection("plan")] == [product["default_price"]]
    once = call(engine, "POST", "/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 5})
    assert refused(engine, "DELETE", f"/v1/plans/{once['id']}", status=404).code == "resource_missing"


def test_price_amounts(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Usage"})["id"]
    decimal = call(engine, "POST", "/v1/prices", {"product": product, "currency": "usd", "unit_amount_decimal": "0.125"})
    assert (decimal["unit_amount"], decimal["unit_amount_decimal"]) == (None, "0.125")
    whole = call(engine, "POST", "/v1/prices", {"product": product, "currency": "usd", "unit_amount_decimal": "300.00"})
    assert (whole["unit_amount"], whole["unit_amount_decimal"]) == (300, "300")
    base = {"product": product, "currency": "usd"}
    assert refused(engine, "POST", "/v1/prices", base).param == "unit_amount"
    assert refused(engine, "POST", "/v1/prices", {**base, "unit_amount": 1, "unit_amount_decimal": "1"}).param == "unit_amount"  # fmt: skip
    assert refused(engine, "POST", "/v1/prices", {**base, "unit_amount": -1}).param == "unit_amount"
    assert refused(engine, "POST", "/v1/prices", {**base, "unit_amount": "ten"}).code == "parameter_invalid_integer"
    assert refused(engine, "POST", "/v1/prices", {**base, "unit_amount_decimal": "0.0000000000001"}).param == "unit_amount_decimal"  # fmt: skip


@pytest.mark.parametrize(("params", "param", "code"), [
    ({"currency": "usx"}, "currency", "parameter_invalid_string"),
    ({"currency": None}, "currency", "parameter_missing"),
    ({"recurring": {"interval_count": 2}}, "recurring[interval]", "parameter_missing"),
    ({"recurring": {"interval": "fortnight"}}, "recurring[interval]", None),
    ({"recurring": {"interval": "month", "interval_count": 37}}, "recurring[interval_count]", "parameter_invalid_integer"),
    ({"recurring": {"interval": "year", "interval_count": 4}}, "recurring[interval_count]", "parameter_invalid_integer"),
    ({"recurring": {"interval": "week", "interval_count": 0}}, "recurring[interval_count]", "parameter_invalid_integer"),
    ({"recurring": {"interval": "month", "usage_type": "tiered"}}, "recurring[usage_type]", None),
    ({"recurring": {"interval": "month", "usage_type": "metered", "trial_period_days": 7}},
     "recurring[trial_period_days]", "parameter_invalid_empty"),
    ({"recurring": {"interval": "month", "usage_type": "metered", "meter": "mtr_1"}}, "recurring[meter]",
     "parameter_invalid_empty"),
    ({"tax_behavior": "sometimes"}, "tax_behavior", None),
    ({"billing_scheme": "tiered"}, "billing_scheme", "parameter_invalid_empty"),
    ({"tiers": [{"up_to": "inf", "unit_amount": 1}]}, "tiers", "parameter_invalid_empty"),
    ({"product": "prod_missing"}, "product", "resource_missing"),
    ({"product": None}, "product", "parameter_missing"),
    ({"product_data": {"name": "X"}}, "product", "parameter_invalid_empty"),
    ({"product": None, "product_data": {"active": True}}, "product_data[name]", "parameter_missing"),
    ({"lookup_key": "k" * 201}, "lookup_key", "parameter_invalid_string_size"),
])  # fmt: skip
def test_price_validation_changes_nothing(engine: Engine, params: dict[str, Any], param: str, code: str) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    base = {"product": product, "currency": "usd", "unit_amount": 1000}
    error = refused(engine, "POST", "/v1/prices", {k: v for k, v in {**base, **params}.items() if v is not None},
                    status=404 if code == "resource_missing" else 400)  # fmt: skip
    assert (error.param, error.code) == (param, code)


def test_metered_and_multi_interval_prices(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "API"})["id"]
    metered = monthly(engine, product, 2, recurring={"interval": "month", "usage_type": "metered"})
    assert metered["recurring"]["usage_type"] == "metered"
    assert call(engine, "GET", f"/v1/plans/{metered['id']}")["usage_type"] == "metered"
    for interval, most in (("day", 1095), ("week", 156), ("month", 36), ("year", 3)):
        price = monthly(engine, product, recurring={"interval": interval, "interval_count": most})
        assert (price["recurring"]["interval"], price["recurring"]["interval_count"]) == (interval, most)


def test_lookup_keys_are_unique_unless_transferred(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    first = monthly(engine, product, lookup_key="pro")
    error = refused(engine, "POST", "/v1/prices", {"product": product, "currency": "usd", "unit_amount": 1,
                                                   "lookup_key": "pro"})  # fmt: skip
    assert error.param == "lookup_key" and first["id"] in error.message
    second = monthly(engine, product, lookup_key="pro", transfer_lookup_key=True)
    assert second["lookup_key"] == "pro"
    assert call(engine, "GET", f"/v1/prices/{first['id']}")["lookup_key"] is None
    moved = [e for e in engine.collection("event") if e["type"] == "price.updated"]
    assert moved[0]["data"]["previous_attributes"] == {"lookup_key": "pro"}
    assert refused(engine, "POST", f"/v1/prices/{first['id']}", {"lookup_key": "pro"}).param == "lookup_key"
    call(engine, "POST", f"/v1/prices/{first['id']}", {"lookup_key": "pro", "transfer_lookup_key": True})
    assert call(engine, "GET", f"/v1/prices/{second['id']}")["lookup_key"] is None


def test_tax_behavior_is_set_once(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    price = monthly(engine, product)
    assert call(engine, "POST", f"/v1/prices/{price['id']}", {"tax_behavior": "exclusive"})["tax_behavior"] == "exclusive"
    assert refused(engine, "POST", f"/v1/prices/{price['id']}", {"tax_behavior": "inclusive"}).param == "tax_behavior"
    assert refused(engine, "POST", "/v1/prices/price_missing", {"nickname": "x"}, 404).code == "resource_missing"


def test_price_of_names_the_param(engine: Engine) -> None:
    from paragon_magic.sandbox.engine.prices import price_of

    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    price = monthly(engine, product)
    assert price_of(engine, price["id"], param="items[0][price]") is engine.store.get(price["id"])
    with pytest.raises(StripeErrorResponse) as caught:
        price_of(engine, "price_missing", param="items[0][price]")
    assert (caught.value.status, caught.value.param, caught.value.message) == (
        404, "items[0][price]", "No such price: 'price_missing'")


def test_plan_create_validation(engine: Engine) -> None:
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    base = {"product": product, "currency": "usd", "amount": 100, "interval": "month"}
    assert refused(engine, "POST", "/v1/plans", {**base, "interval": "quarter"}).param == "interval"
    assert refused(engine, "POST", "/v1/plans", {k: v for k, v in base.items() if k != "amount"}).param == "amount"
    assert refused(engine, "POST", "/v1/plans", {**base, "product": {"active": True}}).param == "product[name]"
    assert refused(engine, "POST", "/v1/plans", {**base, "currency": "xyz"}).param == "currency"
    assert refused(engine, "POST", "/v1/plans", {**base, "product": "prod_x"}, 404).param == "product"


# -- coupons and discounts -------------------------------------------------------------------------
def test_coupon_durations(engine: Engine) -> None:
    once = call(engine, "POST", "/v1/coupons", {"percent_off": 25})
    assert (once["duration"], once["duration_in_months"], once["percent_off"], once["valid"], once["created"]) == (
        "once", None, 25, True, NOW)
    assert len(once["id"]) == 8 and once["id"] == once["id"].upper()
    repeating = call(engine, "POST", "/v1/coupons", {"percent_off": "12.5", "duration": "repeating",
                                                       "duration_in_months": 3, "id": "SPRING"})  # fmt: skip
    assert (repeating["id"], repeating["percent_off"], repeating["duration_in_months"]) == ("SPRING", 12.5, 3)
    forever = call(engine, "POST", "/v1/coupons", {"amount_off": 500, "currency": "EUR", "duration": "forever"})
    assert (forever["amount_off"], forever["currency"], forever["percent_off"]) == (500, "eur", None)
    assert [e["type"] for e in engine.collection("event")] == ["coupon.created"] * 3


@pytest.mark.parametrize(("params", "param", "code"), [
    ({}, "percent_off", "parameter_missing"),
    ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "amount_off", "parameter_invalid_empty"),
    ({"amount_off": 100}, "currency", "parameter_missing"),
    ({"amount_off": 0, "currency": "usd"}, "amount_off", "parameter_invalid_integer"),
    ({"amount_off": 100, "currency": "zzz"}, "currency", "parameter_invalid_string"),
    ({"percent_off": 0}, "percent_off", "parameter_invalid_decimal"),
    ({"percent_off": 100.5}, "percent_off", "parameter_invalid_decimal"),
    ({"percent_off": "half"}, "percent_off", None),
    ({"percent_off": 10, "duration": "repeating"}, "duration_in_months", "parameter_missing"),
    ({"percent_off": 10, "duration": "repeating", "duration_in_months": 0}, "duration_in_months",
     "parameter_invalid_integer"),
    ({"percent_off": 10, "duration": "forever", "duration_in_months": 3}, "duration_in_months",
     "parameter_invalid_empty"),
    ({"percent_off": 10, "duration": "weekly"}, "duration", None),
    ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions", "parameter_invalid_integer"),
    ({"percent_off": 10, "redeem_by": NOW}, "redeem_by", "parameter_invalid_integer"),
    ({"percent_off": 10, "redeem_by": NOW + 6 * 366 * 86_400}, "redeem_by", "parameter_invalid_integer"),
    ({"percent_off": 10, "applies_to": {"products": ["prod_1"]}}, "applies_to", "parameter_invalid_empty"),
    ({"percent_off": 10, "id": "TAKEN"}, "id", "resource_already_exists"),
])  # fmt: skip
def test_coupon_validation_changes_nothing(engine: Engine, params: dict[str, Any], param: str, code: str | None) -> None:
    call(engine, "POST", "/v1/coupons", {"percent_off": 5, "id": "TAKEN"})
    error = refused(engine, "POST", "/v1/coupons", params)
    assert (error.param, error.code) == (param, code)


def test_coupon_update_and_delete(engine: Engine) -> None:
    coupon = call(engine, "POST", "/v1/coupons", {"percent_off": 10, "name": "Ten", "metadata": {"a": "1"}})
    updated = call(engine, "POST", f"/v1/coupons/{coupon['id']}", {"name": "Ten off", "metadata": {"a": ""}})
    assert (updated["name"], updated["metadata"]) == ("Ten off", {})
    assert engine.collection("event")[-1]["data"]["previous_attributes"] == {"name": "Ten", "metadata": {"a": "1"}}
    assert call(engine, "DELETE", f"/v1/coupons/{coupon['id']}") == {"id": coupon["id"], "object": "coupon", "deleted": True}  # fmt: skip
    assert [e["type"] for e in engine.collection("event")] == ["coupon.created", "coupon.updated", "coupon.deleted"]
    assert refused(engine, "GET", f"/v1/coupons/{coupon['id']}", status=404).code == "resource_missing"


def test_discounts_end_for_repeating_coupons_and_count_redemptions(engine: Engine) -> None:
    from paragon_magic.sandbox.engine.coupons import (
        coupon_of,
        coupon_terms,
        discount_amount,
        discount_applies,
        new_discount,  # fmt: skip
    )

    customer = call(engine, "POST", "/v1/customers", {"email": "a@example.com"})["id"]
    repeating = call(engine, "POST", "/v1/coupons", {"percent_off": 20, "duration": "repeating",
                                                       "duration_in_months": 3, "max_redemptions": 2})  # fmt: skip
    jan31 = 1_706_659_200  # 2024-01-31T00:00:00Z
    coupon = coupon_of(engine, repeating["id"], param="discounts[0][coupon]")
    discount = new_discount(engine, coupon, customer=customer, subscription="sub_1", invoice=None, start=jan31)
    assert discount["id"].startswith("di_") and discount["object"] == "discount"
    assert (discount["source"], discount["customer"], discount["subscription"], discount["invoice"]) == (
        {"coupon": repeating["id"], "type": "coupon"}, customer, "sub_1", None)
    assert (discount["start"], discount["end"]) == (jan31, 1_714_435_200)  # 2024-04-30: Jan 31 + 3 months
    assert engine.store.get(discount["id"]) is discount
    assert engine.collection("event")[-1]["type"] == "customer.discount.created"
    assert discount_applies(engine, discount, jan31 + 86_400, first_invoice=False)
    assert not discount_applies(engine, discount, 1_714_435_200, first_invoice=False)
    assert discount_amount(coupon, 999, "usd") == 200  # 199.8 rounded
    count = len(engine.collection("event"))
    new_discount(engine, coupon, customer=customer, subscription=None, invoice="in_1", start=jan31)
    assert (coupon["times_redeemed"], coupon["valid"]) == (2, False)
    assert len(engine.collection("event")) == count  # an invoice's discount: no customer.discount event
    with pytest.raises(StripeErrorResponse) as caught:
        coupon_of(engine, coupon["id"], param="coupon")
    assert (caught.value.code, caught.value.param) == ("coupon_expired", "coupon")
    # once and forever coupons have no end; a deleted coupon still gives its terms to its discounts
    once = call(engine, "POST", "/v1/coupons", {"amount_off": 300, "currency": "usd"})
    first = new_discount(engine, once, customer=customer, subscription=None, invoice=None, start=NOW)
    assert first["end"] is None
    assert discount_applies(engine, first, NOW, first_invoice=True)
    assert not discount_applies(engine, first, NOW + 1, first_invoice=False)
    assert (discount_amount(once, 1000, "usd"), discount_amount(once, 200, "usd"), discount_amount(once, 1000, "eur")) == (300, 200, 0)  # fmt: skip
    call(engine, "DELETE", f"/v1/coupons/{once['id']}")
    assert coupon_terms(engine, first)["amount_off"] == 300


def test_a_coupon_expires_at_redeem_by(engine: Engine) -> None:
    from paragon_magic.sandbox.engine.coupons import coupon_of

    coupon = call(engine, "POST", "/v1/coupons", {"percent_off": 10, "redeem_by": NOW + 3600})
    assert coupon_of(engine, coupon["id"], param="coupon") is coupon
    engine.clocks.set_frozen(NOW + 3601)  # the sandbox clock passes redeem_by: the coupon's job runs
    assert coupon["valid"] is False
    with pytest.raises(StripeErrorResponse) as caught:
        coupon_of(engine, coupon["id"], param="coupon")
    assert caught.value.code == "coupon_expired"


# -- tax rates -------------------------------------------------------------------------------------
def test_tax_rates(engine: Engine) -> None:
    rate = call(engine, "POST", "/v1/tax_rates", {"display_name": "VAT", "inclusive": False, "percentage": "19",
                                                   "country": "de", "tax_type": "vat", "jurisdiction": "DE"})  # fmt: skip
    assert rate["id"].startswith("txr_")
    assert (rate["percentage"], rate["effective_percentage"], rate["inclusive"], rate["active"], rate["country"],
            rate["rate_type"], rate["created"]) == (19, 19, False, True, "DE", "percentage", NOW)  # fmt: skip
    assert call(engine, "GET", f"/v1/tax_rates/{rate['id']}") == rate
    archived = call(engine, "POST", f"/v1/tax_rates/{rate['id']}", {"active": False, "display_name": "MwSt"})
    assert (archived["active"], archived["display_name"]) == (False, "MwSt")
    assert engine.collection("event")[-1]["data"]["previous_attributes"] == {"active": True, "display_name": "VAT"}
    base = {"display_name": "GST", "inclusive": True, "percentage": 10}
    for params, param in (({**base, "percentage": 101}, "percentage"), ({"inclusive": True, "percentage": 5}, "display_name"),
                          ({**base, "inclusive": None}, "inclusive"), ({**base, "country": "AUS"}, "country"),
                          ({**base, "tax_type": "poll_tax"}, "tax_type"), ({**base, "inclusive": "maybe"}, "inclusive")):  # fmt: skip
        assert refused(engine, "POST", "/v1/tax_rates", {k: v for k, v in params.items() if v is not None}).param == param
    assert refused(engine, "POST", f"/v1/tax_rates/{rate['id']}", {"percentage": 7}).param == "percentage"
    assert [e["type"] for e in engine.collection("event")] == ["tax_rate.created", "tax_rate.updated"]
