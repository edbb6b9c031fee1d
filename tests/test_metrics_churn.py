"""Churn (Stripe's 30-day subscriber churn rate, voluntary vs involuntary), cohorts and trial conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metrics_world import World
from paragon_magic import metrics
from paragon_magic.errors import UsageError
from paragon_magic.metrics import CohortTable


@pytest.fixture
def world() -> World:
    w = World(now="2026-06-15")
    w.add_price("p_10", 1000)
    w.add_price("p_30", 3000)
    w.add_price("p_jpy", 800, currency="jpy")
    return w


def test_subscriber_churn_rate_is_churned_over_active_30_days_ago_plus_new(world: World) -> None:
    for n in range(4):  # active before the window, still active
        world.subscribe(f"sub_stay{n}", f"cus_stay{n}", [("p_10", 1)], "2026-01-10")
    world.subscribe("sub_quit", "cus_quit", [("p_30", 1)], "2026-02-01", status="canceled", ended="2026-06-01",
                    reason="cancellation_requested")
    world.subscribe("sub_fail", "cus_fail", [("p_10", 2)], "2026-02-01", status="canceled", ended="2026-06-05",
                    reason="payment_failed")
    world.subscribe("sub_new", "cus_new", [("p_10", 1)], "2026-05-25")
    world.subscribe("sub_blip", "cus_blip", [("p_10", 1)], "2026-05-26", status="canceled", ended="2026-06-02")
    world.subscribe("sub_old", "cus_old", [("p_10", 1)], "2026-01-01", status="canceled", ended="2026-03-01",
                    reason="payment_failed")  # outside the window
    world.subscribe("sub_jpy", "cus_jpy", [("p_jpy", 1)], "2026-01-10")
    f = world.frames()
    result = metrics.churn(f["subscriptions"], at="2026-06-15")
    usd = result.set_index("currency").loc["usd"]
    assert usd["start"] == pd.Timestamp("2026-05-16", tz="UTC")
    assert (usd["subscribers_at_start"], usd["new_subscribers"], usd["churned_subscribers"]) == (6, 2, 3)
    assert usd["subscriber_churn_rate"] == pytest.approx(3 / 8)
    assert usd["churned_mrr"] == 3000 + 2000 + 1000  # the blip counts as churned, so does its MRR
    assert (usd["voluntary_churned"], usd["voluntary_mrr"]) == (1, 3000)
    assert (usd["involuntary_churned"], usd["involuntary_mrr"]) == (1, 2000)
    assert (usd["other_churned"], usd["other_mrr"]) == (1, 1000)
    jpy = result.set_index("currency").loc["jpy"]
    assert (jpy["churned_subscribers"], jpy["subscriber_churn_rate"]) == (0, 0.0)
    assert result.stripe.to_major().set_index("currency").loc["usd", "churned_mrr"] == 60.0


def test_churn_days_and_dates_are_checked(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-10")
    subs = world.frames()["subscriptions"]
    for kwargs, message in (({"days": 0}, "--days takes a positive"), ({"at": "2030-01-01"}, "after the data")):
        with pytest.raises(UsageError, match=message):
            metrics.churn(subs, **kwargs)


def test_monthly_revenue_churn_in_the_history(world: World) -> None:
    world.subscribe("sub_a", "cus_a", [("p_30", 1)], "2026-01-05")
    world.subscribe("sub_b", "cus_b", [("p_10", 1)], "2026-01-05", status="canceled", ended="2026-03-10")
    world.subscribe("sub_c", "cus_c", [("p_30", 2)], "2026-01-05", changes=[("2026-03-20", "p_30", 1)])
    f = world.frames()
    frame = metrics.mrr_history(f["subscriptions"], f["invoices"], f["prices"])
    march = frame[frame["month"].astype(str) == "2026-03"].iloc[0]
    assert (march["starting_mrr"], march["churned"], march["contraction"]) == (10000, 1000, 3000)
    assert march["revenue_churn_rate"] == pytest.approx(4000 / 10000)
    assert march["subscriber_churn_rate"] == pytest.approx(1 / 3)


def test_cohorts_group_by_first_month_with_mrr(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-05")
    world.subscribe("sub_2", "cus_2", [("p_30", 1)], "2026-01-20", status="canceled", ended="2026-03-02")
    world.subscribe("sub_3", "cus_3", [("p_10", 1)], "2026-03-03", changes=[("2026-04-10", "p_30", 1)])
    f = world.frames()
    table = metrics.cohorts(f["subscriptions"], f["invoices"], f["prices"])
    assert isinstance(table, CohortTable)
    january = table[table["cohort"].astype(str) == "2026-01"].set_index("months_since")
    assert january["subscribers"].tolist() == [2, 2, 1, 1, 1, 1]
    assert january["retention"].tolist() == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert january["mrr"].tolist() == [4000, 4000, 1000, 1000, 1000, 1000]
    assert january["mrr_retention"].tolist() == pytest.approx([1, 1, 0.25, 0.25, 0.25, 0.25])
    march = table[table["cohort"].astype(str) == "2026-03"].set_index("months_since")
    assert march["mrr_retention"].tolist() == pytest.approx([1.0, 3.0, 3.0, 3.0])
    recent = metrics.cohorts(f["subscriptions"], f["invoices"], f["prices"], months=4)
    assert sorted(set(recent["cohort"].astype(str))) == ["2026-03"]


def test_a_customer_who_leaves_in_its_signup_month_is_in_that_cohort(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-02-03")
    world.subscribe("sub_2", "cus_2", [("p_30", 1)], "2026-02-05", status="canceled", ended="2026-02-20")
    f = world.frames()
    table = metrics.cohorts(f["subscriptions"], f["invoices"], f["prices"])
    february = table[table["cohort"].astype(str) == "2026-02"].set_index("months_since")
    assert february["cohort_size"].tolist() == [2] * 5
    assert february["subscribers"].tolist() == [1] * 5
    assert february["retention"].tolist() == [0.5] * 5  # gone before the first month's end
    assert february["mrr_retention"].tolist() == [1.0] * 5


def test_cohort_heatmap_plots(world: World) -> None:
    import matplotlib

    matplotlib.use("Agg")
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-05")
    world.subscribe("sub_2", "cus_2", [("p_10", 1)], "2026-01-20", status="canceled", ended="2026-03-02")
    f = world.frames()
    ax = metrics.cohorts(f["subscriptions"], f["invoices"], f["prices"]).plot()
    grid = np.asarray(ax.images[0].get_array())
    assert grid[0].tolist()[:3] == [1.0, 1.0, 0.5]
    assert ax.get_yticklabels()[0].get_text() == "2026-01 (2)"


def test_trial_conversion(world: World) -> None:
    world.subscribe("sub_ok", "cus_1", [("p_10", 1)], "2026-03-01", trial_end="2026-03-15")
    world.subscribe("sub_later", "cus_2", [("p_10", 1)], "2026-03-05", trial_end="2026-03-19", status="canceled",
                    ended="2026-05-01")
    world.subscribe("sub_no", "cus_3", [("p_10", 1)], "2026-03-10", trial_end="2026-03-24", status="canceled",
                    ended="2026-03-24")
    world.subscribe("sub_running", "cus_4", [("p_10", 1)], "2026-06-10", trial_end="2026-06-24", status="trialing")
    world.subscribe("sub_plain", "cus_5", [("p_10", 1)], "2026-03-10")
    result = metrics.trial_conversion(world.frames()["subscriptions"], at="2026-06-15")
    assert result["month"].astype(str).tolist() == ["2026-03"]
    assert (int(result["trials_ended"][0]), int(result["converted"][0])) == (3, 2)
    assert result["conversion_rate"][0] == pytest.approx(2 / 3)
