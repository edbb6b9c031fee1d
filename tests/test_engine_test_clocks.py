"""Stripe's test clocks in the engine, driven through ``Engine.handle``: create, retrieve, list, advance
(jobs run at their moments, events dated on the clock, advancing -> ready), Stripe's advance limits,
and delete (the clock's customers and what hangs off them go; money stays)."""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import call, refused

from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.prices import add_interval

NOW = 1_800_000_000  # the sandbox clock (wall) in these tests
FROZEN = NOW - 5 * 86_400  # a clock starting five days ago (its events are within the 30-day retention)
DAY = 86_400


@pytest.fixture
def engine() -> Engine:
    return Engine(wall=lambda: NOW)





def new_clock(engine: Engine, frozen_time: int = FROZEN, **extra: Any) -> dict[str, Any]:
    return call(engine, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": frozen_time, **extra})


def events(engine: Engine, *prefixes: str) -> list[tuple[str, int]]:
    return [(e["type"], e["created"]) for e in engine.collection("event") if e["type"].startswith(prefixes or ("",))]


def test_a_clock_is_one_object_in_the_store_and_the_clocks(engine: Engine) -> None:
    clock = new_clock(engine, name="Renewals")
    assert clock["id"].startswith("clock_")
    assert sorted(clock) == sorted(["id", "object", "created", "deletes_after", "frozen_time", "livemode", "name",
                                    "status", "status_details"])  # fixtures3.json's keys  # fmt: skip
    assert (clock["object"], clock["status"], clock["status_details"], clock["frozen_time"], clock["name"]) == (
        "test_helpers.test_clock", "ready", {}, FROZEN, "Renewals")
    assert (clock["created"], clock["deletes_after"]) == (NOW, NOW + 30 * DAY)
    assert engine.clocks.test_clocks[clock["id"]] is engine.store.get(clock["id"])
    assert engine.now(clock["id"]) == FROZEN
    assert call(engine, "GET", f"/v1/test_helpers/test_clocks/{clock['id']}") == clock
    assert [c["id"] for c in engine.collection("test_helpers.test_clock")] == [clock["id"]]
    assert events(engine) == [("test_helpers.test_clock.created", NOW)]
    customer = call(engine, "POST", "/v1/customers", {"email": "a@example.com", "test_clock": clock["id"]})
    assert (customer["test_clock"], customer["created"]) == (clock["id"], FROZEN)
    assert events(engine, "customer.") == [("customer.created", FROZEN)]


def test_advancing_runs_each_job_at_its_moment(engine: Engine) -> None:
    clock = new_clock(engine)
    clock_id = clock["id"]
    customer = call(engine, "POST", "/v1/customers", {"email": "a@example.com", "test_clock": clock_id})
    ran: list[tuple[str, int]] = []

    def renew(label: str) -> None:
        ran.append((label, engine.now(clock_id)))
        engine.update(customer, {"description": label}, clock=clock_id)
        if label == "first":  # a job may schedule a later one; it runs in the same advance
            engine.clocks.schedule(clock_id, FROZEN + 3 * DAY, lambda: renew("chained"), "chained")

    engine.clocks.schedule(clock_id, FROZEN + 2 * DAY, lambda: renew("second"), "second")
    engine.clocks.schedule(clock_id, FROZEN + DAY, lambda: renew("first"), "first")
    engine.clocks.schedule(clock_id, FROZEN + 10 * DAY, lambda: renew("later"), "later")
    answer = call(engine, "POST", f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": FROZEN + 4 * DAY})
    assert (answer["status"], answer["status_details"], answer["frozen_time"]) == (
        "advancing", {"advancing": {"target_frozen_time": FROZEN + 4 * DAY}}, FROZEN)
    assert ran == [("first", FROZEN + DAY), ("second", FROZEN + 2 * DAY), ("chained", FROZEN + 3 * DAY)]
    assert engine.clocks.pending(clock_id) == [(FROZEN + 10 * DAY, "later")]
    ready = call(engine, "GET", f"/v1/test_helpers/test_clocks/{clock_id}")
    assert (ready["status"], ready["status_details"], ready["frozen_time"]) == ("ready", {}, FROZEN + 4 * DAY)
    assert engine.now(clock_id) == FROZEN + 4 * DAY
    assert events(engine, "customer.") == [("customer.created", FROZEN), ("customer.updated", FROZEN + DAY),
                                           ("customer.updated", FROZEN + 2 * DAY), ("customer.updated", FROZEN + 3 * DAY)]  # fmt: skip
    assert [e["data"]["previous_attributes"] for e in engine.collection("event") if e["type"] == "customer.updated"] == [
        {"description": None}, {"description": "first"}, {"description": "second"}]
    clock_events = events(engine, "test_helpers.")
    assert clock_events == [("test_helpers.test_clock.created", NOW), ("test_helpers.test_clock.advancing", NOW),
                            ("test_helpers.test_clock.ready", NOW)]  # fmt: skip
    # the sandbox clock is untouched, and the next advance runs the remaining job
    assert engine.now() == NOW
    call(engine, "POST", f"/v1/test_helpers/test_clocks/{clock_id}/advance", {"frozen_time": FROZEN + 10 * DAY})
    assert ran[-1] == ("later", FROZEN + 10 * DAY) and engine.clocks.pending(clock_id) == []


def test_advance_limits_change_nothing(engine: Engine) -> None:
    clock_id = new_clock(engine)["id"]
    path = f"/v1/test_helpers/test_clocks/{clock_id}/advance"
    assert refused(engine, "POST", path, {}).code == "parameter_missing"
    assert refused(engine, "POST", path, {"frozen_time": FROZEN}).param == "frozen_time"  # not after
    assert refused(engine, "POST", path, {"frozen_time": FROZEN - 1}).param == "frozen_time"
    two_years = add_interval(FROZEN, "year", 2)
    assert "two years" in refused(engine, "POST", path, {"frozen_time": two_years + 1}).message
    assert refused(engine, "POST", "/v1/test_helpers/test_clocks/clock_missing/advance", {"frozen_time": FROZEN + 1},
                   status=404).code == "resource_missing"  # fmt: skip
    assert refused(engine, "POST", "/v1/test_helpers/test_clocks", {}).param == "frozen_time"
    assert refused(engine, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": "soon"}).code == "parameter_invalid_integer"
    assert call(engine, "POST", path, {"frozen_time": two_years})["status"] == "advancing"
    assert engine.now(clock_id) == two_years


def test_advance_is_limited_to_two_intervals_of_the_shortest_subscription(engine: Engine) -> None:
    clock_id = new_clock(engine)["id"]
    customer = call(engine, "POST", "/v1/customers", {"test_clock": clock_id})["id"]
    product = call(engine, "POST", "/v1/products", {"name": "Pro"})["id"]
    prices = {interval: call(engine, "POST", "/v1/prices", {"product": product, "currency": "usd", "unit_amount": 100,
                                                            "recurring": {"interval": interval}})["id"]
              for interval in ("month", "year")}  # fmt: skip
    # billing's objects, made directly: a yearly and a monthly subscription on the clock's customer
    for interval in ("year", "month"):
        sub = engine.create("subscription", "sub_", clock=clock_id, customer=customer, status="active")
        engine.create("subscription_item", "si_", clock=clock_id, subscription=sub["id"], price=prices[interval])
    path = f"/v1/test_helpers/test_clocks/{clock_id}/advance"
    two_months = add_interval(FROZEN, "month", 2)
    error = refused(engine, "POST", path, {"frozen_time": two_months + 1})
    assert "month" in error.message and str(two_months) in error.message
    call(engine, "POST", path, {"frozen_time": two_months})
    assert engine.now(clock_id) == two_months


def test_add_interval_keeps_the_day_of_the_month() -> None:
    jan31 = 1_706_659_200  # 2024-01-31T00:00:00Z
    assert add_interval(jan31, "month") == 1_709_164_800  # 2024-02-29 (leap year, clamped)
    assert add_interval(jan31, "month", 2) == 1_711_843_200  # 2024-03-31
    assert add_interval(jan31, "year") == 1_738_281_600  # 2025-01-31
    assert add_interval(jan31, "week", 2) == jan31 + 14 * DAY
    assert add_interval(jan31, "day", 3) == jan31 + 3 * DAY


def test_deleting_a_clock_deletes_its_customers_and_their_objects(engine: Engine) -> None:
    clock_id = new_clock(engine)["id"]
    other = call(engine, "POST", "/v1/customers", {"email": "stays@example.com"})
    customer = call(engine, "POST", "/v1/customers", {"email": "goes@example.com", "test_clock": clock_id})
    sub = engine.create("subscription", "sub_", clock=clock_id, customer=customer["id"], status="active")
    item = engine.create("subscription_item", "si_", clock=clock_id, subscription=sub["id"])
    invoice = engine.create("invoice", "in_", clock=clock_id, customer=customer["id"])
    line = engine.create("line_item", "il_", clock=clock_id, invoice=invoice["id"], event=None)
    charge = engine.create("charge", "ch_", clock=clock_id, customer=customer["id"])
    engine.clocks.schedule(clock_id, FROZEN + DAY, lambda: None, "renewal")
    deleted = call(engine, "DELETE", f"/v1/test_helpers/test_clocks/{clock_id}")
    assert deleted == {"id": clock_id, "object": "test_helpers.test_clock", "deleted": True}
    for gone in (sub, item, invoice, line):
        assert engine.store.get(gone["id"]) is None
    assert call(engine, "GET", f"/v1/customers/{customer['id']}")["deleted"] is True
    assert engine.store.get(charge["id"]) is charge  # money that moved stays
    assert engine.store.get(other["id"]) is other
    assert clock_id not in engine.clocks.test_clocks and engine.clocks.pending(clock_id) == []
    assert events(engine, "customer.deleted", "test_helpers.test_clock.deleted") == [
        ("customer.deleted", FROZEN), ("test_helpers.test_clock.deleted", NOW)]
    assert refused(engine, "GET", f"/v1/test_helpers/test_clocks/{clock_id}", status=404).code == "resource_missing"
    assert engine.collection("test_helpers.test_clock") == []


def test_a_clock_can_take_an_existing_customer(engine: Engine) -> None:
    customer = call(engine, "POST", "/v1/customers", {"email": "a@example.com"})
    clock = new_clock(engine, customer=customer["id"])
    assert engine.store.get(customer["id"])["test_clock"] == clock["id"]
    assert refused(engine, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": FROZEN, "customer": customer["id"]}
                   ).param == "customer"  # fmt: skip
    assert refused(engine, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": FROZEN, "customer": "cus_missing"},
                   status=404).param == "customer"  # fmt: skip


def test_reset_forgets_clocks(engine: Engine) -> None:
    clock_id = new_clock(engine)["id"]
    engine.reset()
    assert engine.clocks.test_clocks == {} and engine.collection("test_helpers.test_clock") == []
    assert refused(engine, "GET", f"/v1/test_helpers/test_clocks/{clock_id}", status=404).code == "resource_missing"
