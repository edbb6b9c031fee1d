"""Billing on a test clock: 13 months of a monthly and a yearly subscription give exactly Stripe's
invoices (issue 23, item 3): reasons, line periods, numbers, transition times, events."""

from __future__ import annotations

import pytest

from billing_world import T0, advance, call, customer, events, invoices_of, lines_of, product_price, new_clock
from paragon_magic.sandbox.engine import Engine
from paragon_magic.sandbox.engine.billing import add_interval

HOUR = 3_600


@pytest.fixture
def year_on_a_clock() -> tuple[Engine, dict, dict, dict]:
    engine = Engine(seed=7)
    clock = new_clock(engine, T0)
    cus = customer(engine, clock)
    monthly = product_price(engine, 1_500, name="Team")
    yearly = product_price(engine, 12_000, interval="year", name="Archive")
    sub_m = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": monthly["id"]}]})
    sub_y = call(engine, "POST", "/v1/subscriptions", {"customer": cus["id"], "items": [{"price": yearly["id"], "quantity": 2}]})
    advance(engine, clock, add_interval(T0, "month", 13) + 2 * HOUR)
    return engine, engine.store.get(cus["id"]), sub_m, sub_y


def _of(engine: Engine, invoices: list[dict], sub_id: str) -> list[dict]:
    return [i for i in invoices if i["parent"]["subscription_details"]["subscription"] == sub_id]


def test_thirteen_months_make_exactly_the_right_invoices(year_on_a_clock) -> None:
    engine, cus, sub_m, sub_y = year_on_a_clock
    invoices = invoices_of(engine, cus["id"])
    monthly, yearly = _of(engine, invoices, sub_m["id"]), _of(engine, invoices, sub_y["id"])
    assert [i["billing_reason"] for i in monthly] == ["subscription_create"] + ["subscription_cycle"] * 13
    assert [i["billing_reason"] for i in yearly] == ["subscription_create", "subscription_cycle"]
    assert len(invoices) == 16
    assert [i["created"] for i in monthly] == [add_interval(T0, "month", k) for k in range(14)]
    assert [i["created"] for i in yearly] == [T0, add_interval(T0, "year")]
    assert all(i["status"] == "paid" and i["amount_paid"] == i["total"] for i in invoices)
    assert {i["total"] for i in monthly} == {1_500} and {i["total"] for i in yearly} == {24_000}


def test_line_periods_start_when_the_invoice_is_created(year_on_a_clock) -> None:
    engine, cus, sub_m, _ = year_on_a_clock
    for invoice in invoices_of(engine, cus["id"]):
        (line,) = lines_of(engine, invoice["id"])
        assert line["period"]["start"] == invoice["created"]
        assert line["period"]["end"] > line["period"]["start"]
        assert line["parent"]["subscription_item_details"]["proration"] is False
        assert invoice["lines"]["data"][0]["id"] == line["id"]
    ends = [lines_of(engine, i["id"])[0]["period"]["end"] for i in _of(engine, invoices_of(engine, cus["id"]), sub_m["id"])]
    assert ends == [add_interval(T0, "month", k) for k in range(1, 15)]  # anchored on the 31st, clamped


def test_numbers_are_sequential_and_transitions_ordered(year_on_a_clock) -> None:
    engine, cus, _, _ = year_on_a_clock
    invoices = sorted(invoices_of(engine, cus["id"]), key=lambda i: (i["status_transitions"]["finalized_at"], i["number"]))
    assert [i["number"] for i in invoices] == [f"{cus['invoice_prefix']}-{n:04d}" for n in range(1, 17)]
    assert cus["next_invoice_sequence"] == 17
    for invoice in invoices:
        moments = invoice["status_transitions"]
        assert moments["paid_at"] >= moments["finalized_at"] >= invoice["created"]
        assert invoice["effective_at"] == moments["finalized_at"]
        expected = invoice["created"] + (HOUR if invoice["billing_reason"] == "subscription_cycle" else 0)
        assert moments["finalized_at"] == expected
        assert invoice["customer_name"] == "Ada Lovelace" and invoice["customer_email"] == "ada@example.com"
        assert invoice["hosted_invoice_url"].endswith(invoice["id"]) and invoice["attempt_count"] == 1


def test_payments_and_events_are_dated_on_the_clock(year_on_a_clock) -> None:
    engine, cus, sub_m, _ = year_on_a_clock
    invoices = invoices_of(engine, cus["id"])
    links = [p for p in engine.store.all("invoice_payment")]
    assert sorted(p["invoice"] for p in links) == sorted(i["id"] for i in invoices)
    assert all(p["status"] == "paid" and p["amount_paid"] == p["amount_requested"] for p in links)
    assert all(p["status_transitions"]["paid_at"] == engine.store.get(p["invoice"])["status_transitions"]["paid_at"] for p in links)
    charges = [c for c in engine.store.all("charge") if c["customer"] == cus["id"]]
    assert len(charges) == 16 and all(c["status"] == "succeeded" for c in charges)
    for type in ("invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"):
        found = events(engine, type)
        assert len(found) == 16, type
    for event in events(engine, "invoice.created"):
        assert event["created"] == event["data"]["object"]["created"]
    for event in events(engine, "invoice.paid"):
        assert event["created"] == event["data"]["object"]["status_transitions"]["paid_at"]
    renewals = [e for e in events(engine, "customer.subscription.updated", sub_m["id"])
                if "items" in e["data"].get("previous_attributes", {})]  # fmt: skip
    assert [e["created"] for e in renewals] == [add_interval(T0, "month", k) for k in range(1, 14)]
    before = renewals[0]["data"]["previous_attributes"]["items"]["data"][0]
    assert before["current_period_start"] == T0 and before["current_period_end"] == add_interval(T0, "month")


def test_the_next_renewal_is_scheduled_and_previewed(year_on_a_clock) -> None:
    engine, cus, sub_m, _ = year_on_a_clock
    sub = engine.store.get(sub_m["id"])
    item = sub["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (add_interval(T0, "month", 13), add_interval(T0, "month", 14))
    assert item["subscription"] == sub["id"] and item["price"]["id"] == item["plan"]["id"]
    assert sub["items"]["url"] == f"/v1/subscription_items?subscription={sub['id']}"
    preview = call(engine, "POST", "/v1/invoices/create_preview", {"subscription": sub["id"]})
    (line,) = preview["lines"]["data"]
    assert preview["billing_reason"] == "upcoming" and preview["amount_due"] == 1_500
    assert line["period"] == {"start": add_interval(T0, "month", 14), "end": add_interval(T0, "month", 15)}
    assert len(invoices_of(engine, cus["id"])) == 16  # a preview stores nothing
