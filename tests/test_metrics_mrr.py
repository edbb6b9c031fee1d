"""MRR by Stripe's definition on hand-built subscriptions with known answers (frames from real Stripe JSON)."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics_world import World, discount
from paragon_magic import metrics
from paragon_magic.errors import UsageError


def total(frame: pd.DataFrame, currency: str = "usd") -> int:
    return int(frame.loc[frame["currency"] == currency, "mrr"].sum())


def mrr_of(world: World, **kwargs: object) -> pd.DataFrame:
    f = world.frames()
    return metrics.mrr(f["subscriptions"], coupons=f["coupons"], customers=f.get("customers"), **kwargs)


@pytest.fixture
def world() -> World:
    w = World()
    w.add_price("p_month", 1000)
    w.add_price("p_year", 12000, interval="year")
    w.add_price("p_quarter", 3000, count=3)
    w.add_price("p_week", 1200, interval="week")
    w.add_price("p_metered", 50, usage="metered")
    w.add_price("p_free", 0)
    w.add_price("p_jpy", 500, currency="jpy")
    w.add_price("p_b", 2500, product="prod_b")
    w.add_coupon("c_forever_pct", "forever", percent_off=20.0)
    w.add_coupon("c_forever_amt", "forever", amount_off=300, currency="usd")
    w.add_coupon("c_once", "once", amount_off=500, currency="usd")
    w.add_coupon("c_repeating", "repeating", percent_off=50.0)
    return w


@pytest.mark.parametrize("price, quantity, expected", [
    ("p_month", 1, 1000), ("p_year", 1, 1000), ("p_quarter", 1, 1000), ("p_month", 5, 5000),
    ("p_week", 1, 5200),  # 52 weeks / 12 months
])
def test_intervals_and_quantity_normalise_to_a_month(world: World, price: str, quantity: int, expected: int) -> None:
    world.subscribe("sub_1", "cus_1", [(price, quantity)], "2026-01-10")
    assert total(mrr_of(world)) == expected


def test_only_forever_coupons_reduce_mrr_percent_and_amount(world: World) -> None:
    world.subscribe("sub_pct", "cus_1", [("p_month", 1)], "2026-01-10", discounts=[discount("di_1", "c_forever_pct")])
    world.subscribe("sub_amt", "cus_2", [("p_month", 1)], "2026-01-10", discounts=[discount("di_2", "c_forever_amt")])
    world.subscribe("sub_once", "cus_3", [("p_month", 1)], "2026-01-10", discounts=[discount("di_3", "c_once")])
    world.subscribe("sub_rep", "cus_4", [("p_month", 1)], "2026-01-10", discounts=[discount("di_4", "c_repeating")])
    world.subscribe("sub_year", "cus_5", [("p_year", 1)], "2026-01-10", discounts=[discount("di_5", "c_forever_amt")])
    by_customer = mrr_of(world, by="customer").set_index("customer")["mrr"]
    assert by_customer.to_dict() == {"cus_1": 800, "cus_2": 700, "cus_3": 1000, "cus_4": 1000,
                                     "cus_5": 975}  # (12000 - 300 per invoice) / 12


def test_discount_ids_resolve_through_the_coupons_frame_and_unknown_ones_say_what_to_pass(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_month", 1)], "2026-01-10")
    world.subscriptions[0]["discounts"] = ["c_forever_pct"]  # an id the coupons frame knows
    assert total(mrr_of(world)) == 800
    world.subscriptions[0]["discounts"] = ["di_unknown"]
    f = world.frames()
    with pytest.raises(UsageError, match=r"^mrr: cannot tell which coupon.*expand=.*coupons=") as raised:
        metrics.mrr(f["subscriptions"], coupons=f["coupons"])
    assert "\n" not in str(raised.value)


def test_customer_discount_applies_when_the_subscription_has_none(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_month", 2)], "2026-01-10")
    world.subscribe("sub_2", "cus_2", [("p_month", 1)], "2026-01-10", discounts=[discount("di_2", "c_forever_amt")])
    world.customers = [{"id": c, "object": "customer", "discount": discount("di_c", "c_forever_pct")}
                       for c in ("cus_1", "cus_2")]
    by_customer = mrr_of(world, by="customer").set_index("customer")["mrr"]
    assert by_customer.to_dict() == {"cus_1": 1600, "cus_2": 700}


def test_trials_metered_free_and_statuses(world: World) -> None:
    world.subscribe("sub_trial", "cus_1", [("p_month", 1)], "2026-06-10", status="trialing", trial_end="2026-06-24")
    world.subscribe("sub_converted", "cus_2", [("p_month", 1)], "2026-04-01", trial_end="2026-04-15")
    world.subscribe("sub_due", "cus_3", [("p_month", 1)], "2026-01-10", status="past_due")
    world.subscribe("sub_metered", "cus_4", [("p_metered", 1)], "2026-01-10")
    world.subscribe("sub_free", "cus_5", [("p_free", 1)], "2026-01-10")
    world.subscribe("sub_unpaid", "cus_6", [("p_month", 1)], "2026-01-10", status="unpaid")
    world.subscribe("sub_gone", "cus_7", [("p_month", 1)], "2026-01-10", status="canceled", ended="2026-05-02")
    world.subscribe("sub_incomplete", "cus_8", [("p_month", 1)], "2026-06-14", status="incomplete")
    result = mrr_of(world, by="customer")
    assert result.set_index("customer")["mrr"].to_dict() == {"cus_2": 1000, "cus_3": 1000}
    assert int(result["subscribers"].sum()) == 2


def test_multi_item_subscription_with_a_subscription_coupon_splits_by_product(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_month", 2), ("p_b", 1), ("p_metered", 1)], "2026-01-10",
                    discounts=[discount("di_1", "c_forever_pct")])
    by_product = mrr_of(world, by="product").set_index("product")["mrr"].to_dict()
    assert by_product == {"prod_a": 1600, "prod_b": 2000}
    assert total(mrr_of(world)) == 3600
    by_price = mrr_of(world, by="price").set_index("price")["mrr"].to_dict()
    assert by_price == {"p_month": 1600, "p_b": 2000}


def test_jpy_stays_per_currency_and_to_major_knows_zero_decimals(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_jpy", 3)], "2026-01-10")
    world.subscribe("sub_2", "cus_2", [("p_month", 1)], "2026-01-10")
    result = mrr_of(world)
    assert result.set_index("currency")["mrr"].to_dict() == {"jpy": 1500, "usd": 1000}
    major = result.stripe.to_major().set_index("currency")["mrr"].to_dict()
    assert major == {"jpy": 1500.0, "usd": 10.0}
    converted = mrr_of(world, to="usd", rates={"jpy": 0.0067})
    assert converted.set_index("currency")["mrr"].to_dict() == {"usd": 1000 + 1005}  # 1500 JPY = 10.05 USD


def test_at_a_past_date_reads_invoices_and_sees_the_price_then(world: World) -> None:
    world.add_price("p_big", 3000)
    world.subscribe("sub_1", "cus_1", [("p_month", 1)], "2026-01-01", changes=[("2026-03-15", "p_big", 1)])
    f = world.frames()
    now = metrics.mrr(f["subscriptions"])
    then = metrics.mrr(f["subscriptions"], at="2026-02-20", invoices=f["invoices"], prices=f["prices"])
    assert total(now) == 3000 and total(then) == 1000
    assert then.attrs["stripe"]["at"].startswith("2026-02-20")


def test_bad_input_is_one_line_saying_what_to_pass(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_jpy", 1)], "2026-01-10")
    world.subscribe("sub_2", "cus_2", [("p_month", 1)], "2026-01-10")
    f = world.frames()
    subs = f["subscriptions"]
    cases = [
        (lambda: metrics.mrr(subs.drop(columns=["items.data"])), r"no column 'items.data'; pass the frame of"),
        (lambda: metrics.mrr(subs, to="usd"), r"no rate from jpy to usd; pass rates="),
        (lambda: metrics.mrr(subs, at="2027-01-01"), r"after the data .*pass a date up to then"),
        (lambda: metrics.mrr(subs, at="2025-01-01"), r"before the data .*pass a date from 2026-01-10 on"),
        (lambda: metrics.mrr(subs, by="planet"), r"--by takes currency, product"),
        (lambda: metrics.mrr(subs.iloc[:, :5].to_dict()), r"must be a DataFrame"),
        (lambda: metrics.mrr_history(subs, f["invoices"]), r"needs the prices too: pass prices="),
        (lambda: metrics.mrr_history(subs, months=0), r"--months takes a positive whole number"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError, match=message) as raised:
            call()
        assert "\n" not in str(raised.value)


def test_tiered_and_decimal_prices(world: World) -> None:
    tiers = [{"up_to": 5, "unit_amount": 1000, "flat_amount": None}, {"up_to": None, "unit_amount": 500,
                                                                       "flat_amount": 200}]
    world.add_price("p_graduated", None, billing_scheme="tiered", tiers=tiers, tiers_mode="graduated")
    world.add_price("p_volume", None, billing_scheme="tiered", tiers=tiers, tiers_mode="volume")
    world.prices["p_decimal"] = {**world.prices["p_month"], "id": "p_decimal", "unit_amount": None,
                                 "unit_amount_decimal": "12.5"}
    world.subscribe("sub_g", "cus_g", [("p_graduated", 7)], "2026-01-10", invoice=False)
    world.subscribe("sub_v", "cus_v", [("p_volume", 7)], "2026-01-10", invoice=False)
    world.subscribe("sub_d", "cus_d", [("p_decimal", 4)], "2026-01-10", invoice=False)
    by_customer = mrr_of(world, by="customer").set_index("customer")["mrr"].to_dict()
    assert by_customer == {"cus_g": 5000 + 1000 + 200, "cus_v": 3500 + 200, "cus_d": 50}


def test_at_uses_the_moment_given(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_month", 1)], "2026-06-01")
    world.subscribe("sub_2", "cus_2", [("p_month", 2)], "2026-06-10")
    assert total(mrr_of(world, at="2026-06-05")) == 1000
    assert total(mrr_of(world, at=pd.Timestamp("2026-06-10", tz="UTC"))) == 3000
