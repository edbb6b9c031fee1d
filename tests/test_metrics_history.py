"""MRR history from invoice lines: Stripe's movements, the exact roll-forward, the change log."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics_world import World, add_months, discount, ts
from paragon_magic import errors as metrics_errors
from paragon_magic import metrics
from paragon_magic.metrics import MrrHistory

MOVES = ["new", "expansion", "reactivation", "contraction", "churned"]


def history(world: World, **kwargs: object) -> pd.DataFrame:
    f = world.frames()
    return metrics.mrr_history(f["subscriptions"], f["invoices"], f["prices"], coupons=f["coupons"], **kwargs)


def log(world: World, **kwargs: object) -> pd.DataFrame:
    f = world.frames()
    return metrics.change_log(f["subscriptions"], f["invoices"], f["prices"], coupons=f["coupons"], **kwargs)


def by_month(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(m): int(v) for m, v in zip(frame["month"], frame[column])}


def assert_rolls_forward(frame: pd.DataFrame) -> None:
    for _, rows in frame.groupby("currency"):
        start = rows["starting_mrr"].to_numpy(dtype=np.int64)
        end = rows["mrr"].to_numpy(dtype=np.int64)
        moved = (rows["new"] + rows["expansion"] + rows["reactivation"] - rows["contraction"] - rows["churned"])
        assert (start + moved.to_numpy(dtype=np.int64) == end).all()
        assert (start[1:] == end[:-1]).all()


@pytest.fixture
def world() -> World:
    w = World()
    w.add_price("p_10", 1000)
    w.add_price("p_20", 2000)
    w.add_price("p_year", 12000, interval="year")
    w.add_price("p_metered", 7, usage="metered")
    w.add_coupon("c_forever", "forever", percent_off=25.0)
    w.add_coupon("c_once", "once", percent_off=50.0)
    return w


def test_upgrade_mid_month_with_proration_is_expansion_on_its_date(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-01", changes=[("2026-03-15T12:00", "p_20", 1)])
    frame = history(world)
    assert by_month(frame, "mrr") == {"2026-01": 1000, "2026-02": 1000, "2026-03": 2000, "2026-04": 2000,
                                      "2026-05": 2000, "2026-06": 2000}
    assert by_month(frame, "expansion")["2026-03"] == 1000
    changes = log(world)
    upgrade = changes[changes["type"] == "upgrade"].iloc[0]
    assert (upgrade["amount"], upgrade["mrr_before"], upgrade["mrr_after"]) == (1000, 1000, 2000)
    assert upgrade["date"] == pd.Timestamp("2026-03-15 12:00", tz="UTC")
    prorations = world.frames()["invoices"].stripe.explode("lines.data")
    assert prorations["parent.subscription_item_details.proration"].sum() == 2  # the credit and the charge


def test_downgrade_and_quantity_change_are_contraction(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_20", 3)], "2026-01-05",
                    changes=[("2026-02-10", "p_20", 2), ("2026-04-20", "p_10", 2)])
    frame = history(world)
    assert by_month(frame, "mrr") == {"2026-01": 6000, "2026-02": 4000, "2026-03": 4000, "2026-04": 2000,
                                      "2026-05": 2000, "2026-06": 2000}
    assert by_month(frame, "contraction") == {"2026-01": 0, "2026-02": 2000, "2026-03": 0, "2026-04": 2000,
                                              "2026-05": 0, "2026-06": 0}
    assert list(log(world)["type"]) == ["new", "downgrade", "downgrade"]


def test_reactivation_after_churn(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-10", status="canceled", ended="2026-02-10",
                    reason="cancellation_requested")
    world.subscribe("sub_2", "cus_1", [("p_20", 1)], "2026-04-03")
    frame = history(world)
    assert by_month(frame, "new")["2026-01"] == 1000
    assert by_month(frame, "churned")["2026-02"] == 1000
    assert by_month(frame, "reactivation") == {"2026-01": 0, "2026-02": 0, "2026-03": 0, "2026-04": 2000,
                                               "2026-05": 0, "2026-06": 0}
    assert sum(by_month(frame, "new").values()) == 1000
    entries = log(world)
    assert list(zip(entries["type"], entries["amount"])) == [("new", 1000), ("churn", -1000), ("reactivation", 2000)]
    assert list(entries["date"].dt.strftime("%Y-%m-%d")) == ["2026-01-10", "2026-02-10", "2026-04-03"]


def test_trial_converting_counts_from_its_end_and_past_due_counts(world: World) -> None:
    world.subscribe("sub_t", "cus_t", [("p_10", 1)], "2026-02-20", trial_end="2026-03-06")
    world.subscribe("sub_d", "cus_d", [("p_10", 1)], "2026-05-01", status="past_due")
    world.invoices[-1]["status"] = "open"  # the renewal that failed
    frame = history(world)
    assert by_month(frame, "mrr") == {"2026-02": 0, "2026-03": 1000, "2026-04": 1000, "2026-05": 2000, "2026-06": 2000}
    assert by_month(frame, "new")["2026-03"] == 1000
    entries = log(world)
    assert entries.loc[entries["customer"] == "cus_t", "date"].iloc[0] == pd.Timestamp("2026-03-06", tz="UTC")


def test_dunning_cancellation_ends_mrr_when_the_subscription_ended(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_year", 1)], "2025-11-10", status="canceled", ended="2026-03-20",
                    reason="payment_failed")
    frame = history(world)
    assert by_month(frame, "mrr")["2026-02"] == 1000
    assert by_month(frame, "churned")["2026-03"] == 1000
    assert by_month(frame, "mrr")["2026-03"] == 0


def test_forever_coupon_lines_reduce_once_lines_do_not_and_metered_lines_are_out(world: World) -> None:
    world.subscribe("sub_f", "cus_f", [("p_10", 4)], "2026-01-10", discounts=[discount("di_f", "c_forever")])
    world.subscribe("sub_o", "cus_o", [("p_10", 1), ("p_metered", 1)], "2026-01-10",
                    discounts=[discount("di_o", "c_once")])
    frame = history(world)
    assert set(by_month(frame, "mrr").values()) == {3000 + 1000}
    assert_rolls_forward(frame)


def test_void_invoices_are_left_out_and_months_windows_the_result(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-10")
    world.subscribe("sub_2", "cus_2", [("p_20", 1)], "2026-03-10", invoice=False)
    world.invoice("cus_2", "usd", [world.line("sub_2", 2000, "p_20", 1, ts("2026-03-10"), ts("2026-04-10"))],
                  created=ts("2026-03-10"), status="void")
    frame = history(world)
    assert by_month(frame, "mrr")["2026-03"] == 1000
    last = history(world, months=2)
    assert list(last["month"].astype(str)) == ["2026-05", "2026-06"]
    assert int(last["starting_mrr"].iloc[0]) == 1000  # the window starts from the month before it
    assert_rolls_forward(last)


def test_history_without_invoices_reads_the_subscriptions(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-10")
    world.subscribe("sub_2", "cus_2", [("p_year", 1)], "2026-02-10", status="canceled", ended="2026-05-01")
    f = world.frames()
    frame = metrics.mrr_history(f["subscriptions"])
    assert by_month(frame, "mrr") == {"2026-01": 1000, "2026-02": 2000, "2026-03": 2000, "2026-04": 2000,
                                      "2026-05": 1000, "2026-06": 1000}


def test_history_amounts_are_declared_and_plot_draws_movements_and_mrr(world: World) -> None:
    import matplotlib

    matplotlib.use("Agg")
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-01-01", changes=[("2026-03-15", "p_20", 1)])
    world.subscribe("sub_2", "cus_2", [("p_20", 1)], "2026-02-01", status="canceled", ended="2026-04-02")
    frame = history(world)
    assert isinstance(frame, MrrHistory)
    major = frame.stripe.to_major()
    assert major["mrr"].tolist() == [10.0, 30.0, 40.0, 20.0, 20.0, 20.0]
    ax = frame.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == sorted(["new", "expansion", "reactivation", "contraction", "churned", "MRR"])
    assert list(ax.lines[0].get_ydata()) == [10.0, 30.0, 40.0, 20.0, 20.0, 20.0]
    churn_bars = [p.get_height() for p in ax.containers[4]]
    assert churn_bars[3] == -20.0
    assert frame.plot(x="month", y="mrr") is not None  # pandas' own plot still answers


# -- the roll-forward on random histories, against an independent oracle --------------------------------------

PRICES = {"m1": (1000, 1), "m2": (2500, 1), "m3": (999, 1), "y1": (1201, 12), "y2": (2399, 12)}


@st.composite
def businesses(draw: st.DrawFn) -> list[dict]:
    customers = []
    for n in range(draw(st.integers(1, 6))):
        family = draw(st.sampled_from(["m", "y"]))
        names = [p for p in PRICES if p.startswith(family)]
        start = draw(st.integers(0, 15))  # months after 2025-01
        day = draw(st.integers(1, 28))
        changes = []
        for _ in range(draw(st.integers(0, 2))):
            changes.append((draw(st.integers(1, 200)), draw(st.sampled_from(names)), draw(st.integers(1, 3))))
        ends = draw(st.one_of(st.none(), st.integers(20, 400)))
        again = draw(st.one_of(st.none(), st.integers(10, 120))) if ends is not None else None
        customers.append({"id": f"cus_{n}", "price": draw(st.sampled_from(names)), "qty": draw(st.integers(1, 3)),
                          "start": start, "day": day, "changes": changes, "ends": ends, "again": again})
    return customers


def build(plan: list[dict]) -> tuple[World, list[tuple[str, int, int, str, int]]]:
    """The world and the oracle's segments: (customer, from, to, price, quantity)."""
    world = World(now="2026-06-15")
    for name, (amount, months) in PRICES.items():
        world.add_price(name, amount, interval="year" if months == 12 else "month")
    horizon = ts(world.now)
    segments = []
    for c in plan:
        begin = add_months(ts(f"2025-01-{c['day']:02d}"), c["start"])
        if begin >= horizon:
            continue
        day = 86_400
        changes = sorted({begin + d * day: (p, q) for d, p, q in c["changes"]}.items())
        changes = [(w, p, q) for w, (p, q) in changes if w < horizon]
        end = begin + c["ends"] * day if c["ends"] is not None else None
        if end is not None and end >= horizon:
            end = None
        if end is not None:
            changes = [x for x in changes if x[0] < end]
        text = lambda t: pd.Timestamp(t, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M")  # noqa: E731
        world.subscribe(f"sub_{c['id']}", c["id"], [(c["price"], c["qty"])], text(begin),
                        status="canceled" if end else "active", ended=text(end) if end else None,
                        changes=[(text(w), p, q) for w, p, q in changes])
        state, moment = (c["price"], c["qty"]), begin
        for w, p, q in changes:
            segments.append((c["id"], moment, w, *state))
            state, moment = (p, q), w
        segments.append((c["id"], moment, end if end else 2**62, *state))
        if end is not None and c["again"] is not None and end + c["again"] * day < horizon:
            restart = end + c["again"] * day
            world.subscribe(f"sub_{c['id']}_again", c["id"], [(c["price"], 1)], text(restart))
            segments.append((c["id"], restart, 2**62, c["price"], 1))
    return world, segments


def oracle(segments: list[tuple[str, int, int, str, int]], moment: int) -> int:
    """Total MRR at ``moment``: each customer's exact value, rounded half up once."""
    per: dict[str, Fraction] = {}
    for customer, start, end, price, qty in segments:
        if start <= moment < end:
            amount, months = PRICES[price]
            per[customer] = per.get(customer, Fraction(0)) + Fraction(amount * qty, months)
    return sum(int((v + Fraction(1, 2)) // 1) for v in per.values())


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(businesses())
def test_roll_forward_is_exact_every_month_on_random_histories(plan: list[dict]) -> None:
    world, segments = build(plan)
    if not world.subscriptions:
        return
    frame = history(world)
    assert_rolls_forward(frame)
    for month, value in zip(frame["month"], frame["mrr"]):
        moment = (month + 1).to_timestamp().tz_localize("UTC").value // 10**9 - 1
        moment = min(moment, ts(world.now))
        assert int(value) == oracle(segments, moment), str(month)
    entries = log(world)  # every change on its moment: a month's changes sum to its net movement
    net = entries.groupby(["month", "currency"])["amount"].sum()
    expected = (frame["mrr"] - frame["starting_mrr"]).set_axis(pd.MultiIndex.from_frame(frame[["month", "currency"]]))
    assert net.reindex(expected.index, fill_value=0).astype(int).to_dict() == expected.astype(int).to_dict()
    assert entries["date"].notna().all()  # a change in the current month is dated by its proration lines


def test_a_credit_without_its_charge_never_makes_mrr_negative(world: World) -> None:
    world.subscribe("sub_1", "cus_1", [("p_10", 1)], "2026-03-01")
    world.invoices = world.invoices[1:]  # the March invoice is missing from the data
    world.invoice("cus_1", "usd", [world.line("sub_1", -500, "p_10", 1, ts("2026-03-16"), ts("2026-04-01"),
                                              proration=True)], created=ts("2026-03-16"))
    frame = history(world)
    assert by_month(frame, "mrr")["2026-03"] == 0
    assert_rolls_forward(frame)


def test_history_converted_to_one_currency_rolls_forward_with_each_month_rate(world: World) -> None:
    world.add_price("p_jpy", 1000, currency="jpy")
    world.subscribe("sub_u", "cus_u", [("p_10", 1)], "2026-04-02")
    world.subscribe("sub_j", "cus_j", [("p_jpy", 3)], "2026-04-02")
    rates = pd.DataFrame({"currency": ["jpy", "jpy"], "rate": [0.0060, 0.0070],
                          "date": pd.to_datetime(["2026-01-01", "2026-05-15"], utc=True)})
    frame = history(world, to="usd", rates=rates)
    assert set(frame["currency"]) == {"usd"}
    assert by_month(frame, "mrr") == {"2026-04": 1000 + 1800, "2026-05": 1000 + 2100, "2026-06": 1000 + 2100}
    assert by_month(frame, "expansion")["2026-05"] == 300  # the rate moved, so did the customer's MRR
    assert_rolls_forward(frame)
    with pytest.raises(metrics_errors.UsageError, match="no rate from jpy to usd"):
        history(world, to="usd", rates={"eur": 1.1})
